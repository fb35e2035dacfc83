/**
 * Issue 10, part 5: model import hardened. Forged manifests (at import and on disk), files that
 * are not regular files, oversized files, and ONNX bytes that do not run are each a named
 * refusal; nothing is written outside the models folder; a valid import keeps its id.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from '../../../test/helpers/paths.js';
import { isDeepscanError } from '../util/errors.js';
import { startWebHost } from '../../web/server.js';
import { createWorkstationService } from '../service/index.js';
import { MAX_MODEL_FILE_BYTES } from './model-file.js';
import { getModel, importModel, listModels, loadVerifiedOnnx, modelsRoot, removeModel, scanModels } from './model-store.js';

const LEGACY = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');
const ZIP = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.zip.pth');
/** The id main gave the B0 fixture before this change (efficientnet-b0 + the ONNX SHA-256's first 12 hex digits). */
const B0_ID = 'efficientnet-b0-c7136438869e';
const GOOD_MANIFEST = { architecture: { variant: 'b0', features: 1280 }, input: { size: 380, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } };

let work: string;
let home: string;
let evidence: string;
let onnx: string;
let firstImport: Awaited<ReturnType<typeof importModel>>;

/** Every path under `dir` with its size and mtime: any write shows up as a difference. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      out.push(`${relative(dir, p)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isDeepscanError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a refusal, but the call succeeded');
}

beforeAll(async () => {
  work = tempDir('deepscan-model-harden-');
  home = join(work, 'home');
  evidence = join(work, 'evidence');
  mkdirSync(evidence);
  writeFileSync(join(evidence, 'clip.mp4'), 'evidence bytes');
  firstImport = await importModel(home, LEGACY);
  onnx = join(work, 'lab-model.onnx');
  copyFileSync(join(modelsRoot(home), firstImport.manifest.id, 'model.onnx'), onnx);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('valid imports', () => {
  it('keep the id the B0 fixture had before, from both checkpoint formats, after a load check', async () => {
    expect(firstImport.created).toBe(true);
    expect(firstImport.manifest.id).toBe(B0_ID);
    expect(firstImport.loadCheckMs).toBeGreaterThan(0);
    const again = await importModel(home, ZIP);
    expect(again).toMatchObject({ created: false, manifest: { id: B0_ID } });
    expect((await listModels(home)).map((m) => m.id)).toEqual([B0_ID]);
  });
});

describe('forged import manifests', () => {
  const cases: [string, unknown, RegExp][] = [
    ['variant ../', { ...GOOD_MANIFEST, architecture: { variant: '../../evidence' } }, /field architecture\.variant must be one of b0, b1/],
    ['absolute variant', { ...GOOD_MANIFEST, architecture: { variant: '/var/evidence/case1' } }, /field architecture\.variant/],
    ['variant b9', { ...GOOD_MANIFEST, architecture: { variant: 'b9' } }, /field architecture\.variant .*got "b9"/],
    ['family', { ...GOOD_MANIFEST, architecture: { variant: 'b0', family: 'resnet' } }, /field architecture\.family/],
    ['unknown top-level key', { ...GOOD_MANIFEST, installDir: '../../evidence' }, /field installDir is not a known field/],
    ['unknown nested key', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, path: '/etc' } }, /field input\.path is not a known field/],
    ['NaN mean (null in JSON)', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, mean: [Number.NaN, 0.4, 0.4] } }, /field input\.mean\[0\] must be a finite number/],
    ['two means', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, mean: [0.4, 0.4] } }, /field input\.mean must be 3 numbers/],
    ['zero std', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, std: [0, 0.2, 0.2] } }, /field input\.std\[0\]/],
    ['huge size', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, size: 1e9 } }, /field input\.size must be an integer from 32 to 1024/],
    ['layout', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, layout: 'NHWC' } }, /field input\.layout/],
    ['scale', { ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, scale: 1 } }, /field input\.scale must be 1\/255/],
    ['name with a path', { ...GOOD_MANIFEST, name: '../../evidence/x' }, /field name must be a name/],
    ['sha256 format', { ...GOOD_MANIFEST, onnxSha256: 'abc' }, /field onnxSha256 must be a lower-case hex SHA-256/],
  ];

  it.each(cases)('refuses %s, naming the file and the field, and writes nothing', async (label, manifest, expected) => {
    const file = join(work, `m-${label.replace(/\W+/g, '_')}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    const before = tree(work);
    const r = await refusal(importModel(home, onnx, { manifestFile: file }));
    expect(r.code).toBe('model-invalid');
    expect(r.message).toContain(file);
    expect(r.message).toMatch(expected);
    expect(tree(work)).toEqual(before);
  });

  it('refuses a manifest that is not JSON (NaN literal) and a --name that is a path', async () => {
    const file = join(work, 'nan.json');
    writeFileSync(file, '{"architecture":{"variant":"b0"},"input":{"size":380,"mean":[NaN,0,0],"std":[1,1,1]}}');
    expect(await refusal(importModel(home, onnx, { manifestFile: file }))).toMatchObject({ code: 'model-invalid', message: expect.stringMatching(/nan\.json: manifest is not valid JSON/) });
    expect((await refusal(importModel(home, LEGACY, { name: '../../evidence/owned' }))).code).toBe('invalid-argument');
    expect(readdirSync(modelsRoot(home))).toEqual([B0_ID]);
  });

  it('installs an ONNX file under an id from its bytes only, whatever the manifest says', async () => {
    const file = join(work, 'good.json');
    writeFileSync(file, JSON.stringify({ ...GOOD_MANIFEST, name: 'Lab model' }));
    const r = await importModel(home, onnx, { manifestFile: file });
    expect(r).toMatchObject({ created: false, manifest: { id: B0_ID } }); // the same ONNX bytes are one model
    expect(readdirSync(modelsRoot(home))).toEqual([B0_ID]);
  });
});

describe('manifests on disk', () => {
  it('are re-checked on every read: a forged field is a named error, listed as invalid, never hidden', async () => {
    const file = join(modelsRoot(home), B0_ID, 'manifest.json');
    const original = readFileSync(file, 'utf8');
    const forge = (f: (m: Record<string, unknown>) => void): void => {
      const m = JSON.parse(original) as Record<string, unknown>;
      f(m);
      writeFileSync(file, JSON.stringify(m));
    };
    try {
      forge((m) => ((m.architecture as Record<string, unknown>).variant = '../../evidence'));
      for (const call of [() => listModels(home), () => getModel(home, B0_ID), () => loadVerifiedOnnx(home, B0_ID)]) {
        const r = await refusal(call());
        expect(r.code).toBe('model-invalid');
        expect(r.message).toContain(file);
        expect(r.message).toMatch(/architecture\.variant/);
      }
      const scan = await scanModels(home);
      expect(scan.models).toEqual([]);
      expect(scan.invalid.map((i) => [i.dir, i.error.code])).toEqual([[B0_ID, 'model-invalid']]);
      forge((m) => (m.extra = 1));
      expect((await refusal(listModels(home))).message).toMatch(/manifest field extra is not a known field/);
      forge((m) => ((m.input as Record<string, unknown>).std = [0.2, -1, 0.2]));
      expect((await refusal(listModels(home))).message).toMatch(/input\.std\[1\]/);
      forge((m) => (m.id = 'efficientnet-b0-000000000000'));
      expect((await refusal(listModels(home))).message).toMatch(/field id is efficientnet-b0-000000000000 but the model folder is/);
    } finally {
      writeFileSync(file, original);
    }
    expect((await listModels(home)).map((m) => m.id)).toEqual([B0_ID]);
  });

  it('a stray folder is reported, and an invalid model can still be removed', async () => {
    const stray = join(modelsRoot(home), 'efficientnet-b1-000000000000');
    mkdirSync(stray);
    writeFileSync(join(stray, 'manifest.json'), '{"id": "../../evidence"}');
    const r = await refusal(listModels(home));
    expect(r.message).toContain(join(stray, 'manifest.json'));
    expect(r.message).toMatch(/field id must be a content-derived model id/);
    await expect(removeModel(home, 'efficientnet-b1-000000000000')).resolves.toEqual({ id: 'efficientnet-b1-000000000000', manifest: null });
    expect(existsSync(stray)).toBe(false);
    expect((await refusal(removeModel(home, '../evidence'))).code).toBe('invalid-argument');
    expect(existsSync(join(evidence, 'clip.mp4'))).toBe(true);
  });
});

describe('files that are not regular files, or too large', () => {
  let specials: string;
  let server: net.Server;
  beforeAll(async () => {
    specials = join(work, 'specials');
    mkdirSync(specials);
    execFileSync('mkfifo', [join(specials, 'fifo.pth')]);
    mkdirSync(join(specials, 'dir.pth'));
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(join(specials, 'sock.pth'), resolve));
    // Sparse: one byte over the cap costs no disk and must be refused without reading.
    writeFileSync(join(specials, 'big.pth'), '');
    truncateSync(join(specials, 'big.pth'), MAX_MODEL_FILE_BYTES + 1);
  });
  afterAll(() => server.close());

  const cases: [string, string, string][] = [
    ['/dev/zero', '/dev/zero', 'a character device'],
    ['a FIFO', 'fifo.pth', 'a FIFO'],
    ['a directory', 'dir.pth', 'a directory'],
    ['a socket', 'sock.pth', 'a socket'],
  ];
  it.each(cases)('refuses %s up front and promptly', { timeout: 5000 }, async (_label, name, what) => {
    const file = name.startsWith('/') ? name : join(specials, name);
    const t = performance.now();
    const r = await refusal(importModel(home, file));
    expect(performance.now() - t).toBeLessThan(1000);
    expect(r.code).toBe('not-regular-file');
    expect(r.message).toContain(file);
    expect(r.message).toContain(what);
  });

  it('refuses a FIFO given as --manifest, and a file over the size cap', { timeout: 5000 }, async () => {
    expect(await refusal(importModel(home, onnx, { manifestFile: join(specials, 'fifo.pth') }))).toMatchObject({ code: 'not-regular-file', message: expect.stringContaining('FIFO') });
    const big = await refusal(importModel(home, join(specials, 'big.pth')));
    expect(big.code).toBe('too-large');
    expect(big.message).toContain(`${MAX_MODEL_FILE_BYTES + 1} bytes`);
  });

  it('gives the web API the same prompt refusals (/dev/zero, a FIFO)', { timeout: 10_000 }, async () => {
    const host = await startWebHost({ service: createWorkstationService({ home }), rendererDir: null, token: 'test-token' });
    try {
      for (const [file, code] of [['/dev/zero', 'not-regular-file'], [join(specials, 'fifo.pth'), 'not-regular-file']]) {
        const t = performance.now();
        const res = await fetch(`${host.origin}/api/importModel`, {
          method: 'POST',
          headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
          body: JSON.stringify([file]),
          signal: AbortSignal.timeout(3000),
        });
        const body = (await res.json()) as { ok: boolean; error?: { code: string; message: string } };
        expect(performance.now() - t).toBeLessThan(1500);
        expect(body).toMatchObject({ ok: false, error: { code, message: expect.stringContaining(file) } });
      }
    } finally {
      await host.close();
    }
  });
});

describe('the load check', () => {
  it('refuses random bytes named .onnx, installing nothing', async () => {
    const file = join(work, 'random.onnx');
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
    const m = join(work, 'random.json');
    writeFileSync(m, JSON.stringify(GOOD_MANIFEST));
    const r = await refusal(importModel(home, file, { manifestFile: m }));
    expect(r.code).toBe('model-invalid');
    // Refused by the protobuf walk (external-data check) or, failing that, by onnxruntime itself.
    expect(r.message).toMatch(/random\.onnx: (the ONNX model does not load in onnxruntime|not a readable ONNX model)/);
    expect(readdirSync(modelsRoot(home))).toEqual([B0_ID]);
  });

  it('refuses an ONNX model whose manifest names another output or input size', async () => {
    // A fresh home, so the already-installed copy of these bytes is not simply reused.
    const other = join(work, 'home2');
    const m = join(work, 'wrong.json');
    writeFileSync(m, JSON.stringify({ ...GOOD_MANIFEST, output: { logit: 'score' } }));
    expect((await refusal(importModel(other, onnx, { manifestFile: m }))).message).toMatch(/has no output named score/);
    writeFileSync(m, JSON.stringify({ ...GOOD_MANIFEST, input: { ...GOOD_MANIFEST.input, size: 224 } }));
    expect((await refusal(importModel(other, onnx, { manifestFile: m }))).message).toMatch(/fails on a 2×3×224×224 test batch/);
    expect(readdirSync(modelsRoot(other))).toEqual([]);
  });
});
