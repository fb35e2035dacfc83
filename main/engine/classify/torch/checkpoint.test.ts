import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeepscanError } from '../../util/errors.js';
import { parseTorchCheckpoint, readTorchCheckpoint, type TorchCheckpoint } from './checkpoint.js';
import { pickleBytes, writeZip } from '../../../../test/helpers/torch-kit.js';
import { unpickle, PyTuple } from './unpickle.js';
import { ZipArchive } from './zip.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const LEGACY = path.join(fixtures, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');
const ZIP = path.join(fixtures, 'checkpoints', 'dfdc_b0_seed7.zip.pth');

function bytesOf(t: { data: ArrayBufferView }): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function expectSameStateDict(a: TorchCheckpoint, b: TorchCheckpoint): void {
  expect([...a.stateDict.keys()]).toEqual([...b.stateDict.keys()]);
  for (const [k, ta] of a.stateDict) {
    const tb = b.stateDict.get(k)!;
    expect(tb.dtype, k).toBe(ta.dtype);
    expect(tb.shape, k).toEqual(ta.shape);
    expect(Buffer.compare(bytesOf(ta), bytesOf(tb)), k).toBe(0);
  }
}

/** Catches a DeepscanError and returns it (fails the test if none or another error). */
function catchDs(fn: () => unknown): DeepscanError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DeepscanError);
    return e as DeepscanError;
  }
  throw new Error('expected a DeepscanError');
}

const LEGACY_HEADER = pickleBytes(
  // magic number (LONG1, 10 bytes), protocol version 1001, sys_info {little_endian: True}
  [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e],
  [0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e],
  [0x80, 0x02, 0x7d, 0x58, 13, 0, 0, 0],
  'little_endian',
  [0x88, 0x73, 0x2e],
);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('torch checkpoint reader: fixtures', () => {
  const legacy = readTorchCheckpoint(LEGACY);
  const zip = readTorchCheckpoint(ZIP);

  it('reads the legacy and zip files to the same state dict', () => {
    expect(legacy.format).toBe('legacy');
    expect(zip.format).toBe('zip');
    expect(legacy.stateDict.size).toBe(362);
    expectSameStateDict(legacy, zip);
  });

  it('reads epoch and bce_best (a numpy float64) and strips module.', () => {
    for (const c of [legacy, zip]) {
      expect(c.epoch).toBe(40);
      expect(c.bceBest).toBeCloseTo(0.1834, 10);
      expect([...c.stateDict.keys()].every((k) => !k.startsWith('module.'))).toBe(true);
      expect(c.stateDict.get('encoder.conv_stem.weight')!.shape).toEqual([32, 3, 3, 3]);
      const nbt = c.stateDict.get('encoder.bn1.num_batches_tracked')!;
      expect(nbt.dtype).toBe('int64');
      expect(nbt.shape).toEqual([]);
      expect(nbt.data).toBeInstanceOf(BigInt64Array);
      expect(c.stateDict.get('fc.weight')!.data).toBeInstanceOf(Float32Array);
    }
  });

  it('keeps zip float32 storages as views of the file buffer (no copy)', () => {
    const a = zip.stateDict.get('encoder.conv_head.weight')!.data;
    const b = zip.stateDict.get('fc.weight')!.data;
    expect(a.buffer).toBe(b.buffer);
  });

  it('reads a re-packed zip: deflated entries, data descriptors and zip64 records', () => {
    const buf = new Uint8Array(fs.readFileSync(ZIP));
    const src = new ZipArchive(buf, ZIP);
    const entries: [string, Uint8Array][] = [...src.entries.keys()].map((n) => [n.replace(/^b0_zip\//, 'renamed/'), src.read(n)]);
    for (const opts of [{ deflate: true, dataDescriptor: true }, { zip64: true, dataDescriptor: true, align: 64 }, { zip64: true, deflate: true }]) {
      const c = parseTorchCheckpoint(writeZip(entries, opts), 'repacked.pth');
      expect(c.epoch).toBe(40);
      expectSameStateDict(legacy, c);
    }
  });

  it('refuses a zip entry with an unknown compression method, and a corrupt CRC', () => {
    const good = writeZip([['a/data.pkl', new Uint8Array([0x80, 0x02, 0x7d, 0x2e])]]);
    const bad = good.slice();
    bad[8] = 12; // local header method (ignored) …
    const dv = new DataView(bad.buffer);
    const cd = dv.getUint32(bad.length - 6, true);
    dv.setUint16(cd + 10, 12, true); // … central directory method = bzip2
    expect(catchDs(() => parseTorchCheckpoint(bad, 'bz.pth')).message).toMatch(/bz\.pth.*compression method 12/);
    const crc = good.slice();
    crc[30 + 'a/data.pkl'.length + 2] ^= 0xff; // flip a data byte
    expect(catchDs(() => parseTorchCheckpoint(crc, 'crc.pth')).message).toMatch(/crc\.pth.*CRC-32/);
  });
});

describe('torch checkpoint reader: hostile and broken input', () => {
  const marker = path.join(os.tmpdir(), `deepscan-pwned-${process.pid}`);
  const cmd = `touch ${marker}`;
  const u32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  const str = (s: string): Uint8Array => pickleBytes([0x58, ...u32(s.length)], s);

  const malicious: [string, Uint8Array][] = [
    ['os.system', pickleBytes([0x80, 0x02], 'cos\nsystem\n', str(cmd), [0x85, 0x52, 0x2e])],
    ['posix.system', pickleBytes([0x80, 0x02], 'cposix\nsystem\n', str(cmd), [0x85, 0x52, 0x2e])],
    ['builtins.eval', pickleBytes([0x80, 0x02], 'cbuiltins\neval\n', str(`__import__('os').system('${cmd}')`), [0x85, 0x52, 0x2e])],
    // STACK_GLOBAL form (protocol 4)
    ['subprocess.Popen', pickleBytes([0x80, 0x04], [0x8c, 10], 'subprocess', [0x8c, 5], 'Popen', [0x93], str(cmd), [0x85, 0x52, 0x2e])],
    ['torch.load', pickleBytes([0x80, 0x02], 'ctorch\nload\n', str('/etc/passwd'), [0x85, 0x52, 0x2e])],
  ];

  it.each(malicious)('refuses %s as a bare pickle, a legacy main pickle and a zip data.pkl, executing nothing', (global, p) => {
    const asLegacyMain = concat(LEGACY_HEADER, p);
    const asZip = writeZip([['x/data.pkl', p]]);
    for (const [file, bytes] of [
      ['bare.pth', p],
      ['legacy.pth', asLegacyMain],
      ['evil.zip.pth', asZip],
    ] as const) {
      const err = catchDs(() => parseTorchCheckpoint(bytes, file));
      expect(err.code).toBe('checkpoint-invalid');
      expect(err.message).toContain(file);
      expect(err.message).toContain(`refused global ${global}`);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses a disallowed global even when nested inside an allowed structure', () => {
    // {'state_dict': OrderedDict(), 'x': builtins.getattr}
    const p = pickleBytes([0x80, 0x02, 0x7d, 0x28], str('state_dict'), 'ccollections\nOrderedDict\n', [0x29, 0x52], str('x'), 'cbuiltins\ngetattr\n', [0x75, 0x2e]);
    expect(catchDs(() => parseTorchCheckpoint(concat(LEGACY_HEADER, p), 'nested.pth')).message).toMatch(/nested\.pth.*refused global builtins\.getattr/);
  });

  it('refuses object-construction opcodes and REDUCE on non-callables', () => {
    const opts = { file: 'f.pkl', resolveGlobal: () => undefined };
    expect(() => unpickle(pickleBytes([0x80, 0x02], 'ios\nsystem\n', [0x2e]), 0, opts)).toThrow(/INST.*os\.system/);
    expect(() => unpickle(pickleBytes([0x80, 0x02, 0x29, 0x29, 0x81, 0x2e]), 0, opts)).toThrow(/NEWOBJ/);
    expect(() => unpickle(pickleBytes([0x80, 0x02, 0x28, 0x6f, 0x2e]), 0, opts)).toThrow(/OBJ/);
    expect(() => unpickle(pickleBytes([0x80, 0x02, 0x4e, 0x29, 0x52, 0x2e]), 0, opts)).toThrow(/REDUCE on a value that is not an allow-listed callable/);
    expect(() => unpickle(pickleBytes([0x80, 0x02, 0x7d, 0x4e, 0x62, 0x2e]), 0, opts)).toThrow(/BUILD/);
    expect(() => unpickle(pickleBytes([0x80, 0x02, 0x4e, 0x51, 0x2e]), 0, opts)).toThrow(/persistent id/);
  });

  it('decodes plain pickle values', () => {
    const r = unpickle(pickleBytes([0x80, 0x02, 0x28, 0x4b, 7, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x88, 0x4e, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x74, 0x2e]), 0, {
      file: 'f',
      resolveGlobal: () => undefined,
    });
    expect(r.value).toEqual(new PyTuple([7, -1, true, null, 1.5]));
  });

  it('names the file on truncation, at many cut points', () => {
    const legacy = new Uint8Array(fs.readFileSync(LEGACY));
    const zip = new Uint8Array(fs.readFileSync(ZIP));
    for (const [name, buf] of [
      ['legacy', legacy],
      ['zip', zip],
    ] as const) {
      const cuts = [1, 5, 14, 30, 140, 1000, 20_000, 47_000, 47_700, 53_743, 53_760, 100_000, buf.length >> 1, buf.length - 100, buf.length - 1];
      for (const cut of cuts) {
        const file = `cut-${name}-${cut}.pth`;
        const err = catchDs(() => parseTorchCheckpoint(buf.subarray(0, cut), file));
        expect(err.code, file).toBe('checkpoint-invalid');
        expect(err.message, file).toContain(file);
      }
    }
  });

  it('rejects an empty file, garbage, trailing bytes and a non-contiguous tensor', () => {
    expect(catchDs(() => parseTorchCheckpoint(new Uint8Array(0), 'empty.pth')).message).toMatch(/empty\.pth: file is empty/);
    expect(catchDs(() => parseTorchCheckpoint(new TextEncoder().encode('hello world'), 'text.pth')).message).toMatch(/text\.pth: not a torch\.save/);
    const legacy = new Uint8Array(fs.readFileSync(LEGACY));
    expect(catchDs(() => parseTorchCheckpoint(concat(legacy, new Uint8Array(3)), 'tail.pth')).message).toMatch(/tail\.pth: 3 unexpected trailing bytes/);

    // A zip checkpoint whose single tensor has a transposed stride: {'state_dict': {'w': tensor 2x3 stride (1,2)}}
    const tensorPickle = (stride: [number, number]): Uint8Array =>
      pickleBytes(
        [0x80, 0x02, 0x7d, 0x28],
        str('state_dict'),
        [0x7d, 0x28],
        str('w'),
        'ctorch._utils\n_rebuild_tensor_v2\n',
        [0x28, 0x28],
        str('storage'),
        'ctorch\nFloatStorage\n',
        str('0'),
        str('cpu'),
        [0x4b, 6, 0x74, 0x51, 0x4b, 0, 0x4b, 2, 0x4b, 3, 0x86, 0x4b, stride[0], 0x4b, stride[1], 0x86, 0x89],
        'ccollections\nOrderedDict\n',
        [0x29, 0x52, 0x74, 0x52, 0x75, 0x75, 0x2e],
      );
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const ok = parseTorchCheckpoint(writeZip([['t/data.pkl', tensorPickle([3, 1])], ['t/data/0', data], ['t/byteorder', new TextEncoder().encode('little')]]), 'ok.pth');
    expect([...(ok.stateDict.get('w')!.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ok.epoch).toBeNull();
    const err = catchDs(() => parseTorchCheckpoint(writeZip([['t/data.pkl', tensorPickle([1, 2])], ['t/data/0', data]]), 'strided.pth'));
    expect(err.message).toMatch(/strided\.pth: tensor w is not contiguous/);
    const big = catchDs(() => parseTorchCheckpoint(writeZip([['t/data.pkl', tensorPickle([3, 1])], ['t/data/0', data], ['t/byteorder', new TextEncoder().encode('big')]]), 'be.pth'));
    expect(big.message).toMatch(/be\.pth: checkpoint byte order is big/);
    const missing = catchDs(() => parseTorchCheckpoint(writeZip([['t/data.pkl', tensorPickle([3, 1])]]), 'nodata.pth'));
    expect(missing.message).toMatch(/nodata\.pth: storage 0 missing/);
  });

  it('reads epoch and bce_best saved as 0-d tensors', () => {
    const p = pickleBytes(
      [0x80, 0x02, 0x7d, 0x28],
      str('epoch'),
      [0x4b, 3],
      str('bce_best'),
      'ctorch._utils\n_rebuild_tensor_v2\n',
      [0x28, 0x28],
      str('storage'),
      'ctorch\nDoubleStorage\n',
      str('0'),
      str('cuda:0'),
      [0x4b, 1, 0x74, 0x51, 0x4b, 0, 0x29, 0x29, 0x89],
      'ccollections\nOrderedDict\n',
      [0x29, 0x52, 0x74, 0x52],
      str('state_dict'),
      [0x7d, 0x75, 0x2e],
    );
    const c = parseTorchCheckpoint(writeZip([['t/data.pkl', p], ['t/data/0', new Uint8Array(new Float64Array([0.25]).buffer)]]), 'scalar.pth');
    expect(c.epoch).toBe(3);
    expect(c.bceBest).toBe(0.25);
    expect(c.stateDict.size).toBe(0);
  });

  it('widens a float16 storage to float32', () => {
    const p = pickleBytes(
      [0x80, 0x02, 0x7d, 0x28],
      str('h'),
      'ctorch._utils\n_rebuild_tensor_v2\n',
      [0x28, 0x28],
      str('storage'),
      'ctorch\nHalfStorage\n',
      str('0'),
      str('cpu'),
      [0x4b, 4, 0x74, 0x51, 0x4b, 0, 0x4b, 4, 0x85, 0x4b, 1, 0x85, 0x89],
      'ccollections\nOrderedDict\n',
      [0x29, 0x52, 0x74, 0x52, 0x75, 0x2e],
    );
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer);
    const c = parseTorchCheckpoint(writeZip([['t/data.pkl', p], ['t/data/0', half]]), 'half.pth');
    const t = c.stateDict.get('h')!;
    expect(t.dtype).toBe('float32');
    expect(t.storedDtype).toBe('float16');
    const d = t.data as Float32Array;
    expect(d[0]).toBe(1);
    expect(d[1]).toBe(-2);
    expect(d[2]).toBeCloseTo(0.33325, 5);
    expect(d[3]).toBeCloseTo(2 ** -24, 12);
  });
});

describe('torch checkpoint reader: memory layout', () => {
  it('legacy tensors share one arena, not the file buffer', () => {
    const c = readTorchCheckpoint(LEGACY);
    const buffers = new Set([...c.stateDict.values()].map((t) => t.data.buffer));
    expect(buffers.size).toBe(1);
    const total = [...c.stateDict.values()].reduce((n, t) => n + t.data.byteLength, 0);
    expect([...buffers][0].byteLength).toBeLessThan(total + 8 * c.stateDict.size + 1);
  });
});
