import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, attr } from './builder.js';
import { DeepscanError } from '../util/errors.js';

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

function f32(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', new Float32Array(values), dims);
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol) throw new Error(`index ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('OnnxGraphBuilder', () => {
  it('runs Add + Relu with a symbolic batch dimension', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'add_relu' });
    b.addInput('x', 'float32', ['batch', 3]);
    b.addInitializer('w', new Float32Array([1, 2, 3]), [3]);
    b.addNode('Add', ['x', 'w'], ['y']);
    b.addNode('Relu', ['y'], ['z']);
    b.addOutput('z', 'float32', ['batch', 3]);
    const r = await run(b.toBytes(), { x: f32([-5, 0, 1, 1, 1, -9], [2, 3]) });
    expect(r.z.dims).toEqual([2, 3]);
    expectClose(r.z.data as Float32Array, [0, 2, 4, 2, 3, 0]);
  });

  it('runs a grouped, strided, padded Conv with bias against hand-computed values', async () => {
    // x: 1x2x3x3, two groups of one channel; each group has one 2x2 kernel; stride 2, pad 1.
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, /* ch1 */ 9, 8, 7, 6, 5, 4, 3, 2, 1];
    const w = [1, 0, 0, -1, /* g1 */ 0.5, 0.5, 0.5, 0.5];
    const b = new OnnxGraphBuilder({ graphName: 'conv' });
    b.addInput('x', 'float32', [1, 2, 3, 3]);
    b.addInitializer('w', new Float32Array(w), [2, 1, 2, 2]);
    b.addInitializer('b', new Float32Array([10, -1]), [2]);
    b.addNode('Conv', ['x', 'w', 'b'], ['y'], { group: attr.int(2), kernel_shape: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) });
    b.addOutput('y', 'float32', [1, 2, 2, 2]);
    // Hand computation: padded input p(i,j) = x(i-1,j-1); out(oy,ox) = sum_k w(ky,kx)*p(2oy+ky, 2ox+kx) + b.
    const expected: number[] = [];
    for (let c = 0; c < 2; c++) {
      for (let oy = 0; oy < 2; oy++) {
        for (let ox = 0; ox < 2; ox++) {
          let s = c === 0 ? 10 : -1;
          for (let ky = 0; ky < 2; ky++) {
            for (let kx = 0; kx < 2; kx++) {
              const iy = 2 * oy + ky - 1;
              const ix = 2 * ox + kx - 1;
              if (iy < 0 || iy > 2 || ix < 0 || ix > 2) continue;
              s += w[c * 4 + ky * 2 + kx] * x[c * 9 + iy * 3 + ix];
            }
          }
          expected.push(s);
        }
      }
    }
    const r = await run(b.toBytes(), { x: f32(x, [1, 2, 3, 3]) });
    expectClose(r.y.data as Float32Array, expected);
  });

  it('runs PRelu with per-channel slopes broadcast as (C,1,1)', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'prelu' });
    b.addInput('x', 'float32', [1, 2, 1, 2]);
    b.addInitializer('slope', new Float32Array([0.1, 0.25]), [2, 1, 1]);
    b.addNode('PRelu', ['x', 'slope'], ['y']);
    b.addOutput('y', 'float32', [1, 2, 1, 2]);
    const r = await run(b.toBytes(), { x: f32([-1, 2, -4, 3], [1, 2, 1, 2]) });
    expectClose(r.y.data as Float32Array, [-0.1, 2, -1, 3]);
  });

  it('runs MaxPool with ceil_mode and an omitted optional output', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'maxpool' });
    b.addInput('x', 'float32', [1, 1, 3, 3]);
    b.addNode('MaxPool', ['x'], ['y'], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) });
    b.addOutput('y', 'float32', [1, 1, 2, 2]);
    const r = await run(b.toBytes(), { x: f32([1, 5, 2, 3, 4, 9, 8, 7, 6], [1, 1, 3, 3]) });
    expect(r.y.dims).toEqual([1, 1, 2, 2]);
    expectClose(r.y.data as Float32Array, [5, 9, 8, 6]);
  });

  it('runs Gemm (transB, float alpha/beta), MatMul and Softmax on a negative axis', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'fc' });
    b.addInput('x', 'float32', ['n', 2]);
    b.addInitializer('W', new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]); // (out, in)
    b.addInitializer('B', new Float32Array([1, 1, 1]), [3]);
    b.addInitializer('M', new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]);
    b.addNode('Gemm', ['x', 'W', 'B'], ['g'], { transB: attr.int(1), alpha: attr.float(0.5), beta: attr.float(2) });
    b.addNode('MatMul', ['g', 'M'], ['m']);
    b.addNode('Softmax', ['m'], ['p'], { axis: attr.int(-1) });
    b.addOutput('g', 'float32', ['n', 3]);
    b.addOutput('p', 'float32', ['n', 2]);
    const r = await run(b.toBytes(), { x: f32([1, -1], [1, 2]) });
    // g = 0.5 * x W^T + 2 B = 0.5*[-1,-1,-1] + 2 = [1.5, 1.5, 1.5]; m = g M = [3, 3]; p = [0.5, 0.5].
    expectClose(r.g.data as Float32Array, [1.5, 1.5, 1.5]);
    expectClose(r.p.data as Float32Array, [0.5, 0.5]);
  });

  it('runs Transpose + Reshape (int64 shape initializer) and a Constant with a tensor attribute', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'shape_ops' });
    b.addInput('x', 'float32', [1, 2, 2, 3]); // NCHW
    b.addNode('Transpose', ['x'], ['t'], { perm: attr.ints([0, 2, 3, 1]) }); // NHWC
    b.addInitializer('shape', new BigInt64Array([1n, -1n]), [2]);
    b.addNode('Reshape', ['t', 'shape'], ['flat']);
    b.addNode('Constant', [], ['c'], { value: attr.tensor(new Float32Array([100]), [1]) });
    b.addNode('Add', ['flat', 'c'], ['y']);
    b.addOutput('y', 'float32', [1, 12]);
    const x = Array.from({ length: 12 }, (_, i) => i);
    const r = await run(b.toBytes(), { x: f32(x, [1, 2, 2, 3]) });
    const expected: number[] = [];
    for (let h = 0; h < 2; h++) for (let w = 0; w < 3; w++) for (let c = 0; c < 2; c++) expected.push(100 + x[c * 6 + h * 3 + w]);
    expectClose(r.y.data as Float32Array, expected);
  });

  it('encodes negative ints attributes (64-bit two\'s complement varints)', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'neg_ints', opset: 17 });
    b.addInput('x', 'float32', [2, 3]);
    b.addNode('ReduceMax', ['x'], ['m'], { axes: attr.ints([-1]), keepdims: attr.int(0) });
    b.addOutput('m', 'float32', [2]);
    const r = await run(b.toBytes(), { x: f32([1, 5, 2, -3, -1, -2], [2, 3]) });
    expectClose(r.m.data as Float32Array, [5, -1]);
  });

  it('writes int32, uint8 and int64 initializers and string attributes', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'types' });
    b.addInput('i', 'int32', [3]);
    b.addInitializer('k', new Int32Array([-7, 0, 2147483647]), [3]);
    b.addNode('Add', ['i', 'k'], ['s']);
    b.addInitializer('u', new Uint8Array([0, 128, 255]), [3]);
    b.addNode('Cast', ['u'], ['uf'], { to: attr.int(1) });
    b.addInitializer('big', new BigInt64Array([-(2n ** 40n), 5n]), [2]);
    b.addNode('Identity', ['big'], ['bigout']);
    b.addInitializer('img', new Float32Array([1, 2, 3, 4]), [1, 1, 2, 2]);
    b.addInitializer('sizes', new BigInt64Array([1n, 1n, 4n, 4n]), [4]);
    b.addNode('Resize', ['img', '', '', 'sizes'], ['big_img'], { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric') });
    b.addOutput('s', 'int32', [3]);
    b.addOutput('uf', 'float32', [3]);
    b.addOutput('bigout', 'int64', [2]);
    b.addOutput('big_img', 'float32', [1, 1, 4, 4]);
    const r = await run(b.toBytes(), { i: new ort.Tensor('int32', new Int32Array([7, 1, 0]), [3]) });
    expect(Array.from(r.s.data as Int32Array)).toEqual([0, 1, 2147483647]);
    expect(Array.from(r.uf.data as Float32Array)).toEqual([0, 128, 255]);
    expect(Array.from(r.bigout.data as BigInt64Array)).toEqual([-(2n ** 40n), 5n]);
    expect(Array.from(r.big_img.data as Float32Array)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('is deterministic and records metadata, producer and opset', async () => {
    const build = (): Uint8Array => {
      const b = new OnnxGraphBuilder({ graphName: 'det', producerName: 'deepscan-test', producerVersion: '1.2.3', docString: 'doc' });
      b.addInput('x', 'float32', ['batch', 2]);
      b.addInitializer('w', new Float32Array([0.1, -0.2]), [2]);
      b.addNode('Mul', ['x', 'w'], ['y'], undefined, 'mul');
      b.addOutput('y', 'float32', ['batch', 2]);
      b.setMetadata('source', 'unit test');
      b.setMetadata('z', 'last');
      return b.toBytes();
    };
    const a = build();
    const c = build();
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(true);
    const session = await ort.InferenceSession.create(a);
    try {
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
    } finally {
      await session.release();
    }
    // ir_version 8 is the first field; the opset import (field 8) carries version 17.
    expect(Array.from(a.subarray(0, 2))).toEqual([0x08, 8]);
    expect(Buffer.from(a).includes(Buffer.from([0x42, 0x04, 0x0a, 0x00, 0x10, 17]))).toBe(true);
    expect(Buffer.from(a).includes(Buffer.from('unit test'))).toBe(true);
  });

  it('serialises a 120 MB initializer into one buffer that onnxruntime reads back intact', async () => {
    const n = 30_000_000; // 120 MB of float32
    const w = new Float32Array(n);
    for (let i = 0; i < n; i += 1000) w[i] = i;
    w[n - 1] = -3.5;
    const b = new OnnxGraphBuilder({ graphName: 'big' });
    b.addInput('idx', 'int64', [3]);
    b.addInitializer('w', w, [n]);
    b.addNode('Gather', ['w', 'idx'], ['y'], { axis: attr.int(0) });
    b.addOutput('y', 'float32', [3]);
    const bytes = b.toBytes();
    expect(bytes.byteLength).toBeGreaterThan(n * 4);
    expect(bytes.byteLength).toBeLessThan(n * 4 + 200);
    const r = await run(bytes, { idx: new ort.Tensor('int64', new BigInt64Array([0n, 12_345_000n, BigInt(n - 1)]), [3]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([0, 12_345_000, -3.5]);
  });

  it('rejects malformed graphs with DeepscanError', () => {
    const undefinedInput = new OnnxGraphBuilder({ graphName: 'bad' });
    undefinedInput.addInput('x', 'float32', [1]);
    undefinedInput.addNode('Relu', ['nope'], ['y']);
    undefinedInput.addOutput('y', 'float32', [1]);
    expect(() => undefinedInput.toBytes()).toThrow(DeepscanError);

    const missingOutput = new OnnxGraphBuilder({ graphName: 'bad' });
    missingOutput.addInput('x', 'float32', [1]);
    missingOutput.addOutput('y', 'float32', [1]);
    expect(() => missingOutput.toBytes()).toThrow(/never produced/);

    const dup = new OnnxGraphBuilder({ graphName: 'bad' });
    dup.addInput('x', 'float32', [1]);
    dup.addInitializer('x', new Float32Array([1]), [1]);
    expect(() => dup.toBytes()).toThrow(/already defined/);

    const b = new OnnxGraphBuilder({ graphName: 'bad' });
    expect(() => b.addInitializer('w', new Float32Array(6), [2, 2])).toThrow(/hold 4 elements/);
    expect(() => b.addInput('x', 'float32', [1.5])).toThrow(DeepscanError);
  });
});
