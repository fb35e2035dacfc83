/**
 * Class activation maps: a known answer on a synthetic classifier whose head reads one feature
 * channel (a red-detector), and on the B0 fixture the CAM equals a plain Σ_c w_c · A_c + b from
 * the feature map and the checkpoint's own fc weights, while the logit path stays bit-identical.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { camGraph } from '../classify/cam-graph.js';
import { buildDeepfakeClassifierOnnx } from '../classify/efficientnet/onnx.js';
import type { ModelManifest } from '../classify/model-store.js';
import { IMAGENET_MEAN, IMAGENET_STD, prepareFace, toNormalizedNCHW } from '../classify/preprocess.js';
import { readTorchCheckpoint } from '../classify/torch/checkpoint.js';
import type { Image8 } from '../image/image.js';
import { decodePng } from '../image/png.js';
import { OnnxGraphBuilder } from '../onnx/builder.js';
import { cropRegion } from '../pipeline/heatmap.js';
import { camMap, upsampleGrid } from './cam.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const S = 380;

function manifest(id: string): ModelManifest {
  return {
    id, input: { name: 'input', size: S, layout: 'NCHW', colour: 'RGB', scale: 1 / 255, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] },
    output: { logit: 'logit', prob: null },
  } as unknown as ModelManifest;
}

/**
 * Encoder = one 32×32 stride-32 conv (cell means of the red and green planes, 12×12 cells with
 * the far edge padded), then the classifier's own tail: global_pool → Flatten → fc. fc reads the
 * red channel only, so the CAM is 2 × (mean normalised red of the cell) + 0.25.
 */
function redHeadModel(): Uint8Array {
  const b = new OnnxGraphBuilder({ graphName: 'red-head' });
  b.addInput('input', 'float32', ['N', 3, S, S]);
  const w = new Float32Array(2 * 3 * 32 * 32);
  for (let i = 0; i < 1024; i++) {
    w[0 * 3072 + 0 * 1024 + i] = 1 / 1024; // out 0 ← red
    w[1 * 3072 + 1 * 1024 + i] = 1 / 1024; // out 1 ← green
  }
  b.addInitializer('enc.w', w, [2, 3, 32, 32]);
  b.addNode('Conv', ['input', 'enc.w'], ['feat'], { kernel_shape: { kind: 'ints', value: [32, 32] }, strides: { kind: 'ints', value: [32, 32] }, pads: { kind: 'ints', value: [0, 0, 4, 4] } }, 'enc');
  b.addNode('GlobalAveragePool', ['feat'], ['pooled'], undefined, 'global_pool');
  b.addNode('Flatten', ['pooled'], ['flat'], { axis: { kind: 'int', value: 1 } }, 'flatten');
  b.addInitializer('fc.weight', Float32Array.from([2, 0]), [1, 2]);
  b.addInitializer('fc.bias', Float32Array.from([0.25]), [1]);
  b.addNode('Gemm', ['flat', 'fc.weight', 'fc.bias'], ['logit'], { transB: { kind: 'int', value: 1 } }, 'fc');
  b.addOutput('logit', 'float32', ['N', 1]);
  return b.toBytes();
}

describe('class activation map', () => {
  it('lights the region the head reads, on the crop as the classifier placed it', async () => {
    // A 200×100 crop: red in its left quarter (x < 50), green elsewhere. Resized to 380×190 and
    // centred at y = 95, so the red lies in canvas x < 95, y 95…284.
    const crop: Image8 = { width: 200, height: 100, channels: 3, data: new Uint8Array(200 * 100 * 3) };
    for (let y = 0; y < 100; y++) for (let x = 0; x < 200; x++) crop.data[(y * 200 + x) * 3 + (x < 50 ? 0 : 1)] = 255;
    const canvas = prepareFace(crop);
    const r = await camMap([{ manifest: manifest('red'), bytes: redHeadModel() }], canvas, 'cpu', 'test');
    if ('unavailable' in r) throw new Error('CAM unexpectedly unavailable');
    expect([r.gridWidth, r.gridHeight]).toEqual([12, 12]);
    const red = (1 - 0.485) / 0.229;
    const black = -0.485 / 0.229;
    // Cell (row 4, col 1) covers canvas y 128…159, x 32…63: all red. (row 4, col 6): all green. (row 0, col 6): black border.
    expect(r.values[4 * 12 + 1]).toBeCloseTo(2 * red + 0.25, 4);
    expect(r.values[4 * 12 + 6]).toBeCloseTo(2 * black + 0.25, 4);
    expect(r.values[0 * 12 + 6]).toBeCloseTo(2 * black + 0.25, 4);
    // Exactness: the mean of the cells is the logit.
    const mean = r.values.reduce((a, v) => a + v, 0) / r.values.length;
    expect(mean).toBeCloseTo(r.perModel[0].logit, 5);
    // Mapped back onto the crop: the region's left quarter is hot, the rest is not.
    const region = cropRegion(200, 100);
    expect(region).toEqual({ x: 0, y: 95, width: 380, height: 190 });
    const map = upsampleGrid(r.values, 12, 12, S);
    const at = (cx: number, cy: number) => map[(region.y + Math.round((cy * region.height) / 100)) * S + region.x + Math.round((cx * region.width) / 200)];
    expect(at(20, 50)).toBeGreaterThan(2 * red);
    expect(at(150, 50)).toBeLessThan(0);
  });

  it('equals Σ w·A + b on the B0 fixture and leaves the logit path bit-identical', async () => {
    const ck = readTorchCheckpoint(path.join(fixtures, 'checkpoints', 'dfdc_b0_seed7.legacy.pth'));
    const { bytes } = buildDeepfakeClassifierOnnx(ck);
    const g = camGraph(bytes);
    expect(g).not.toBeNull();
    const face = decodePng(fs.readFileSync(path.join(fixtures, 'reference', 'faces380', 'face_0.png')));
    const canvas = prepareFace(face);
    const input = new ort.Tensor('float32', toNormalizedNCHW([canvas]), [1, 3, S, S]);
    const plain = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    const sibling = await ort.InferenceSession.create(g!.bytes, { graphOptimizationLevel: 'all' });
    try {
      const a = await plain.run({ input });
      const b = await sibling.run({ input });
      expect(b.logit.data[0]).toBe(a.logit.data[0]);
      const feat = b[g!.featureName];
      expect(feat.dims).toEqual([1, 1280, 12, 12]);
      // Direct: fc weights from the checkpoint itself, one cell at a time.
      const wfc = ck.stateDict.get('fc.weight')!.data as Float32Array;
      const bfc = (ck.stateDict.get('fc.bias')!.data as Float32Array)[0];
      const A = feat.data as Float32Array;
      const direct: number[] = [];
      for (let i = 0; i < 144; i++) {
        let s = bfc;
        for (let c = 0; c < 1280; c++) s += wfc[c] * A[c * 144 + i];
        direct.push(s);
      }
      const r = await camMap([{ manifest: manifest('b0'), bytes }], canvas, 'cpu', 'test');
      if ('unavailable' in r) throw new Error('CAM unexpectedly unavailable');
      expect(r.perModel[0].logit).toBe(a.logit.data[0]);
      r.values.forEach((v, i) => expect(v).toBeCloseTo(direct[i], 9));
      const mean = r.values.reduce((s, v) => s + v, 0) / r.values.length;
      expect(Math.abs(mean - Number(a.logit.data[0]))).toBeLessThan(1e-4 * Math.max(1, Math.abs(Number(a.logit.data[0]))));
    } finally {
      await plain.release();
      await sibling.release();
    }
  });

  it('says when a graph has no CAM', async () => {
    const b = new OnnxGraphBuilder({ graphName: 'no-pool' });
    b.addInput('input', 'float32', ['N', 3, S, S]);
    b.addNode('ReduceMean', ['input'], ['logit'], { axes: { kind: 'ints', value: [1, 2, 3] }, keepdims: { kind: 'int', value: 0 } });
    b.addOutput('logit', 'float32', ['N']);
    const canvas: Image8 = { width: S, height: S, channels: 3, data: new Uint8Array(S * S * 3) };
    expect(await camMap([{ manifest: manifest('x'), bytes: b.toBytes() }], canvas, 'cpu', 'test')).toEqual({ unavailable: 'x' });
  });
});
