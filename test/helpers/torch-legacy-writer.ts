import type { Tensor } from '../../main/engine/classify/torch/checkpoint.js';

/**
 * Writes a checkpoint in the legacy (non-zip) torch.save format of early 2020, the format of the
 * released DFDC weights: magic-number, protocol and sys_info pickles, the main pickle
 * `{'epoch', 'state_dict' (OrderedDict, 'module.'-prefixed keys), 'bce_best' (numpy float64)}`
 * whose tensors reference storages by persistent id, the sorted storage-key list, then each
 * storage as an int64 element count and its raw little-endian bytes. Written from the format's
 * description, for tests: Deepscan itself never writes checkpoints.
 */
class Pickler {
  private parts: Buffer[] = [];
  op(code: number | string): this {
    this.parts.push(typeof code === 'number' ? Buffer.from([code]) : Buffer.from(code, 'latin1'));
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return this.op('X').raw(len).raw(b);
  }
  int(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return this.op('J').raw(b);
  }
  global(module: string, name: string): this {
    return this.op(`c${module}\n${name}\n`);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const STORAGE_CLASS: Record<string, string> = { float32: 'FloatStorage', int64: 'LongStorage' };

function smallPickle(build: (p: Pickler) => void): Buffer {
  const p = new Pickler().op(0x80).op(2);
  build(p);
  return p.op('.').bytes();
}

export function writeLegacyCheckpoint(stateDict: Map<string, Tensor>, meta: { epoch: number; bceBest: number }): Buffer {
  const magic = smallPickle((p) => p.op(0x8a).op(10).raw(Buffer.from('6c fc 9c 46 f9 20 6a a8 50 19'.replace(/ /g, ''), 'hex')));
  const protocol = smallPickle((p) => p.op('M').raw(Buffer.from([0xe9, 0x03]))); // 1001
  const sysInfo = smallPickle((p) => {
    p.op('}').op('(').str('protocol_version').op('M').raw(Buffer.from([0xe9, 0x03])).str('little_endian').op(0x88);
    p.str('type_sizes').op('}').op('(').str('short').int(2).str('int').int(4).str('long').int(4).op('u').op('u');
  });
  const keys: string[] = [];
  const main = smallPickle((p) => {
    p.op('}').op('(').str('epoch').int(meta.epoch).str('state_dict').global('collections', 'OrderedDict').op(')').op('R').op('(');
    let i = 0;
    for (const [name, t] of stateDict) {
      const key = String(i++);
      keys.push(key);
      const numel = t.shape.reduce((a, b) => a * b, 1);
      const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
      p.str(`module.${name}`).global('torch._utils', '_rebuild_tensor_v2').op('(');
      p.op('(').str('storage').global('torch', STORAGE_CLASS[t.dtype]).str(key).str('cpu').int(numel).op('N').op('t').op('Q');
      p.int(0).op('(');
      for (const d of t.shape) p.int(d);
      p.op('t').op('(');
      for (const s of strides) p.int(s);
      p.op('t').op(0x89).global('collections', 'OrderedDict').op(')').op('R').op('t').op('R');
    }
    p.op('u');
    // bce_best as a numpy float64 scalar: numpy.core.multiarray.scalar(dtype('f8'), bytes).
    const f8 = Buffer.alloc(8);
    f8.writeDoubleLE(meta.bceBest);
    p.str('bce_best').global('numpy.core.multiarray', 'scalar').global('numpy', 'dtype').str('f8').op(0x89).op(0x88).op(0x87).op('R');
    p.op('(').int(3).str('<').op('N').op('N').op('N').int(-1).int(-1).int(0).op('t').op('b');
    p.global('_codecs', 'encode').str(f8.toString('latin1')).str('latin1').op(0x86).op('R').op(0x86).op('R');
    p.op('u');
  });
  const keyList = smallPickle((p) => {
    p.op(']').op('(');
    for (const k of keys) p.str(k);
    p.op('e');
  });
  const storages: Buffer[] = [];
  for (const t of stateDict.values()) {
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(t.data.length));
    storages.push(count, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return Buffer.concat([magic, protocol, sysInfo, main, keyList, ...storages]);
}
