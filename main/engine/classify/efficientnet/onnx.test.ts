import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DeepscanError } from '../../util/errors.js';
import { readTorchCheckpoint, type Tensor } from '../torch/checkpoint.js';
import { efficientNetArch, expectedStateDictShapes, type EfficientNetVariant } from './arch.js';
import { buildDeepfakeClassifierOnnx, samePadding } from './onnx.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const LEGACY = path.join(fixtures, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');
const REF = path.join(fixtures, 'reference', 'three_faces.dfdc_b0_seed7.json');
const S = 380;

/** Decodes an 8-bit RGB, non-interlaced PNG (what the fixtures are) to packed RGB bytes. */
function decodePngRgb(file: string): { width: number; height: number; rgb: Uint8Array } {
  const buf = fs.readFileSync(file);
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[9] !== 2 || body[12] !== 0) throw new Error(`${file}: only 8-bit RGB non-interlaced PNGs are supported`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const rgb = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rgb.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? rgb.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= 3 ? out[x - 3] : 0;
      const b = prev[x];
      const c = x >= 3 ? prev[x - 3] : 0;
      let p: number;
      switch (f) {
        case 0:
          p = 0;
          break;
        case 1:
          p = a;
          break;
        case 2:
          p = b;
          break;
        case 3:
          p = (a + b) >> 1;
          break;
        case 4: {
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`${file}: bad PNG filter ${f}`);
      }
      out[x] = (src[x] + p) & 0xff;
    }
  }
  return { width, height, rgb };
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

function normalise(rgb: Uint8Array, out: Float32Array, offset: number): void {
  const hw = S * S;
  for (let i = 0; i < hw; i++) {
    for (let c = 0; c < 3; c++) out[offset + c * hw + i] = (rgb[i * 3 + c] / 255 - MEAN[c]) / STD[c];
  }
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random but well-scaled state dict with exactly the expected keys and shapes. */
function syntheticStateDict(variant: EfficientNetVariant, seed: number): Map<string, Tensor> {
  const r = rng(seed);
  const sd = new Map<string, Tensor>();
  for (const [k, shape] of expectedStateDictShapes(efficientNetArch(variant))) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (k.endsWith('num_batches_tracked')) {
      sd.set(k, { dtype: 'int64', storedDtype: 'int64', shape, data: new BigInt64Array([1000n]) });
      continue;
    }
    const d = new Float32Array(n);
    if (k.endsWith('running_var')) d.fill(1).forEach((_, i) => (d[i] = 0.5 + r()));
    else if (k.endsWith('running_mean') || k.endsWith('bn1.bias') || k.endsWith('bn2.bias') || k.endsWith('bn3.bias')) d.forEach((_, i) => (d[i] = (r() - 0.5) * 0.2));
    else if (/bn\d\.weight$/.test(k)) d.forEach((_, i) => (d[i] = 0.5 + r() * 0.5));
    else {
      const fanIn = shape.length > 1 ? n / shape[0] : 1;
      const a = Math.sqrt(3 / fanIn);
      d.forEach((_, i) => (d[i] = (r() * 2 - 1) * a));
    }
    sd.set(k, { dtype: 'float32', storedDtype: 'float32', shape, data: d });
  }
  return sd;
}

describe('TF same padding', () => {
  it('matches timm for the 380 pipeline', () => {
    expect(samePadding(380, 3, 2)).toEqual({ begin: 0, end: 1, out: 190 });
    expect(samePadding(190, 3, 2)).toEqual({ begin: 0, end: 1, out: 95 });
    expect(samePadding(95, 5, 2)).toEqual({ begin: 2, end: 2, out: 48 });
    expect(samePadding(48, 3, 2)).toEqual({ begin: 0, end: 1, out: 24 });
    expect(samePadding(24, 5, 2)).toEqual({ begin: 1, end: 2, out: 12 });
    expect(samePadding(12, 5, 1)).toEqual({ begin: 2, end: 2, out: 12 });
  });
});

describe('DeepFakeClassifier ONNX graph', () => {
  it('B0 fixture: logits of the six reference faces within 1e-3 of the reference', async () => {
    const ck = readTorchCheckpoint(LEGACY);
    const t0 = performance.now();
    const { bytes, arch } = buildDeepfakeClassifierOnnx(ck, { inputSize: S, file: LEGACY });
    const buildMs = performance.now() - t0;
    expect(arch.variant).toBe('b0');
    expect(arch.features).toBe(1280);
    expect(arch.inputSize).toBe(380);
    // Deterministic bytes.
    expect(Buffer.compare(buildDeepfakeClassifierOnnx(ck).bytes, bytes)).toBe(0);

    const ref: number[] = JSON.parse(fs.readFileSync(REF, 'utf8')).videos[0].models[0].logits.slice(0, 6);
    const N = 6;
    const input = new Float32Array(N * 3 * S * S);
    for (let n = 0; n < N; n++) {
      const png = decodePngRgb(path.join(fixtures, 'reference', 'faces380', `face_${n}.png`));
      expect([png.width, png.height]).toEqual([S, S]);
      normalise(png.rgb, input, n * 3 * S * S);
    }
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logit', 'prob']);

    // Batch 6.
    await session.run({ input: new ort.Tensor('float32', input.subarray(0, 3 * S * S), [1, 3, S, S]) }); // warm-up
    let t = performance.now();
    const out = await session.run({ input: new ort.Tensor('float32', input, [N, 3, S, S]) });
    const batchMs = performance.now() - t;
    expect(out.logit.dims).toEqual([N, 1]);
    const logits = out.logit.data as Float32Array;
    const probs = out.prob.data as Float32Array;
    const diffs = ref.map((r, i) => Math.abs(logits[i] - r));
    for (let i = 0; i < N; i++) {
      expect(diffs[i], `face_${i}`).toBeLessThanOrEqual(1e-3);
      expect(probs[i]).toBeCloseTo(1 / (1 + Math.exp(-logits[i])), 6);
    }

    // Batch 1, face by face: same values as in the batch.
    t = performance.now();
    for (let i = 0; i < N; i++) {
      const o = await session.run({ input: new ort.Tensor('float32', input.slice(i * 3 * S * S, (i + 1) * 3 * S * S), [1, 3, S, S]) });
      expect(Math.abs((o.logit.data as Float32Array)[0] - ref[i])).toBeLessThanOrEqual(1e-3);
    }
    const singleMs = (performance.now() - t) / N;
    console.log(
      `[b0] max|logit-ref|=${Math.max(...diffs).toExponential(3)} onnx=${(bytes.length / 1e6).toFixed(2)}MB build=${buildMs.toFixed(0)}ms ` +
        `batch6=${(batchMs / N).toFixed(1)}ms/face batch1=${singleMs.toFixed(1)}ms/face`,
    );
  });

  it('is generic over variants: a synthetic b3 builds and runs with the right output shape', async () => {
    const sd = syntheticStateDict('b3', 3);
    const { bytes, arch } = buildDeepfakeClassifierOnnx({ stateDict: sd, epoch: 1, bceBest: 0.5 });
    expect(arch).toMatchObject({ variant: 'b3', features: 1536, stemChs: 40, depths: [2, 3, 3, 5, 5, 6, 2], inputSize: 380 });
    expect(arch.parameters).toBe(12_234_769);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
    const r = rng(9);
    const input = new Float32Array(2 * 3 * S * S).map(() => r() * 4 - 2);
    const out = await session.run({ input: new ort.Tensor('float32', input, [2, 3, S, S]) });
    expect(out.logit.dims).toEqual([2, 1]);
    expect(out.prob.dims).toEqual([2, 1]);
    const l = out.logit.data as Float32Array;
    const p = out.prob.data as Float32Array;
    expect(Number.isFinite(l[0]) && Number.isFinite(l[1])).toBe(true);
    // Seeded random weights leave a 26-block network whose output hardly depends on its input
    // (about 1e-8 between inputs, below float32 resolution on some CPUs), so the two logits are
    // not compared with each other; the B0 test above checks real numbers against the reference.
    // What is checked: each batch item equals that input run alone, and prob = sigmoid(logit).
    for (const k of [0, 1]) {
      const one = input.subarray(k * 3 * S * S, (k + 1) * 3 * S * S);
      const alone = await session.run({ input: new ort.Tensor('float32', one, [1, 3, S, S]) });
      expect(Math.abs((alone.logit.data as Float32Array)[0] - l[k])).toBeLessThan(1e-5);
      expect(Math.abs(p[k] - 1 / (1 + Math.exp(-l[k])))).toBeLessThan(1e-6);
    }
  });

  it('builds a b2 graph for another input size', async () => {
    const { bytes, arch } = buildDeepfakeClassifierOnnx({ stateDict: syntheticStateDict('b2', 2) }, { inputSize: 224 });
    expect(arch).toMatchObject({ variant: 'b2', features: 1408, inputSize: 224 });
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.1), [1, 3, 224, 224]) });
    expect(out.logit.dims).toEqual([1, 1]);
  });

  it('refuses a state dict that fails the strict check', () => {
    const sd = syntheticStateDict('b0', 1);
    sd.delete('encoder.blocks.1.1.conv_pwl.weight');
    expect(() => buildDeepfakeClassifierOnnx({ stateDict: sd }, { file: 'x.pth' })).toThrow(DeepscanError);
    expect(() => buildDeepfakeClassifierOnnx({ stateDict: sd }, { file: 'x.pth' })).toThrow(/x\.pth: key encoder\.blocks\.1\.1\.conv_pwl\.weight missing/);
  });
});
