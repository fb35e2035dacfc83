/**
 * Zip checkpoints are hostile until proven otherwise (issue 10): a zip bomb is refused with
 * 'too-large' before it is inflated (peak memory measured in a child process), and forged
 * layouts (local vs central sizes, overlapping entries, absurd counts, duplicates) are refused.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../../../test/helpers/paths.js';
import { DeepscanError } from '../../util/errors.js';
import { parseTorchCheckpoint } from './checkpoint.js';
import { writeZip } from '../../../../test/helpers/torch-kit.js';
import { ZipArchive } from './zip.js';

const MiB = 1024 ** 2;
const BOMB_BYTES = 1536 * MiB; // 1.5 GiB

/**
 * A raw deflate stream of `mib` MiB of zeros, built without ever holding them: one MiB of
 * zeros deflated with a sync flush (byte-aligned, not final) repeated, then a final empty
 * block. Back-references stay within zeros, so the repeats are a valid continuation.
 */
function zerosDeflated(mib: number): Buffer {
  const chunk = zlib.deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return Buffer.concat([...Array.from({ length: mib }, () => chunk), Buffer.from([0x03, 0x00])]);
}

/** A one-entry zip whose entry is `body` (raw deflate) declared as `declared` bytes. */
function forgedDeflatedZip(name: string, body: Uint8Array, declared: number): Uint8Array {
  const zip = writeZip([[name, body]]); // stored; then patched to deflate with the forged size
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const cd = dv.getUint32(zip.length - 22 + 16, true);
  dv.setUint16(8, 8, true);
  dv.setUint32(22, declared, true);
  dv.setUint16(cd + 10, 8, true);
  dv.setUint32(cd + 24, declared, true);
  return zip;
}

function refusal(fn: () => unknown): DeepscanError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeepscanError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

let dir: string;
beforeAll(() => {
  dir = tempDir('deepscan-zip-bomb-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('zip bombs', () => {
  it('the crafted stream really inflates far past its size (so the refusals below mean something)', () => {
    expect(zlib.inflateRawSync(zerosDeflated(3))).toHaveLength(3 * MiB);
    const bomb = zerosDeflated(BOMB_BYTES / MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    expect(() => zlib.inflateRawSync(bomb, { maxOutputLength: 64 * MiB })).toThrow(/Cannot create a Buffer larger than|larger than/);
  });

  it('refuses a 1.5 GiB bomb (honest and lying headers) with too-large; peak RSS of the import stays under 1 GB', { timeout: 60_000 }, async () => {
    const body = zerosDeflated(BOMB_BYTES / MiB);
    const honest = join(dir, 'honest-bomb.pth');
    const lying = join(dir, 'lying-bomb.pth');
    writeFileSync(honest, forgedDeflatedZip('archive/data.pkl', body, BOMB_BYTES));
    writeFileSync(lying, forgedDeflatedZip('archive/data.pkl', body, MiB));
    const store = pathToFileURL(join(REPO_ROOT, 'main', 'engine', 'classify', 'model-store.ts')).href;
    const script = join(dir, 'child.mts');
    writeFileSync(script, [
      `import { importModel } from ${JSON.stringify(store)};`,
      'const [home, ...files] = process.argv.slice(2);',
      'const out = [];',
      'for (const f of files) {',
      '  try { await importModel(home, f); out.push({ file: f, code: "imported" }); }',
      '  catch (e) { out.push({ file: f, code: e.code, message: e.message }); }',
      '}',
      'console.log(JSON.stringify({ out, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));',
    ].join('\n'));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, join(dir, 'home'), honest, lying], { cwd: REPO_ROOT, timeout: 50_000 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { out: { file: string; code: string; message: string }[]; maxRssBytes: number };
    expect(r.out[0]).toMatchObject({ code: 'too-large', message: expect.stringMatching(/honest-bomb\.pth: zip entries inflate to more than \d+ bytes/) });
    expect(r.out[1]).toMatchObject({ code: 'too-large', message: expect.stringMatching(/lying-bomb\.pth: zip entry archive\/data\.pkl inflates past its declared 1048576 bytes/) });
    console.info(`zip bomb import: peak RSS ${(r.maxRssBytes / MiB).toFixed(0)} MiB`);
    expect(r.maxRssBytes).toBeLessThan(1e9);
  });

  it('bounds inflation across entries, not only per entry', () => {
    const zip = writeZip([['a', new Uint8Array(600)], ['b', new Uint8Array(600)]], { deflate: true });
    const e = refusal(() => new ZipArchive(zip, 'two.pth', { maxInflatedBytes: 1000 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/two\.pth: zip entries inflate to more than 1000 bytes in all \(entry b/);
    expect(new ZipArchive(zip, 'two.pth', { maxInflatedBytes: 1200 }).read('b')).toHaveLength(600);
  });
});

describe('forged zip layouts', () => {
  const entries: [string, Uint8Array][] = [['archive/data.pkl', new Uint8Array(100).fill(1)], ['archive/data/0', new Uint8Array(200).fill(2)]];

  it('refuses a local header that disagrees with the central directory', () => {
    const zip = writeZip(entries);
    new DataView(zip.buffer).setUint32(22, 99, true); // entry 0's local uncompressed size
    const e = refusal(() => parseTorchCheckpoint(zip, 'mismatch.pth'));
    expect(e.code).toBe('checkpoint-invalid');
    expect(e.message).toMatch(/mismatch\.pth: zip entry archive\/data\.pkl: local header .* disagrees with the central directory/);
  });

  it('refuses overlapping entries', () => {
    const zip = writeZip(entries, { dataDescriptor: true });
    const dv = new DataView(zip.buffer);
    const cd = dv.getUint32(zip.length - 22 + 16, true);
    dv.setUint32(cd + 20, 160, true); // entry 0 now reaches over entry 1's local header
    dv.setUint32(cd + 24, 160, true);
    expect(refusal(() => parseTorchCheckpoint(zip, 'overlap.pth')).message).toMatch(/overlap\.pth: zip entries archive\/data\.pkl and archive\/data\/0 overlap/);
  });

  it('refuses absurd entry counts and duplicate names', () => {
    const zip = writeZip(entries);
    const dv = new DataView(zip.buffer);
    dv.setUint16(zip.length - 22 + 10, 60_000, true);
    expect(refusal(() => parseTorchCheckpoint(zip, 'count.pth'))).toMatchObject({ code: 'too-large', message: expect.stringMatching(/claims 60000 entries/) });
    dv.setUint16(zip.length - 22 + 10, 500, true);
    expect(refusal(() => parseTorchCheckpoint(zip, 'count.pth')).message).toMatch(/claims 500 entries but its central directory \(\d+ bytes\) cannot hold them/);
    const dup = writeZip([entries[0], entries[0]]);
    expect(refusal(() => parseTorchCheckpoint(dup, 'dup.pth')).message).toMatch(/dup\.pth: zip entry archive\/data\.pkl appears twice/);
  });
});
