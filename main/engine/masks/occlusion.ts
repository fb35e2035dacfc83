/**
 * "Model attention": occlusion sensitivity of the classifier ensemble on one face.
 *
 * A square patch of a flat colour (default: the ImageNet mean, which normalises to ~0) slides
 * over the 380×380 classifier canvas (the exact input the models see); each occluded canvas is
 * scored by every model and the drop of the ensemble's fake probability (mean of the models'
 * probabilities) against the unoccluded canvas is recorded per position. A pixel's attention is
 * the mean drop of the positions whose patch covers it; positive drops (regions the fake score
 * depends on) are normalised by the largest one and drawn as a coloured, semi-transparent PNG
 * that overlays the face. It shows what the models react to, not where a manipulation is.
 *
 * Cost: (positions + 1) × models inferences per face. Positions are bounded by `maxPositions`
 * (the stride grows until the grid fits); canvases go to the ensemble in batches of `batch`.
 * The pipeline that computes and caches it for a stored face is pipeline/heatmap.ts.
 */
import { colormap } from '../../../common/colormap.js';
import type { FaceScore } from '../classify/ensemble.js';
import { CLASSIFIER_INPUT_SIZE, IMAGENET_MEAN } from '../classify/preprocess.js';
import type { Image8 } from '../image/image.js';
import { DeepscanError } from '../util/errors.js';

export const ATTENTION_LABEL = 'model attention (occlusion sensitivity)';

export interface OcclusionParams {
  /** Patch side in canvas pixels (default 64). */
  patch: number;
  /** Step between patch positions (default 32); grown if the grid exceeds maxPositions. */
  stride: number;
  /** Patch colour: 'imagenet-mean' (RGB 124,116,104) or a grey level 0..255 (default 'imagenet-mean'). */
  fill: 'imagenet-mean' | number;
  /** Most patch positions (default 144). */
  maxPositions: number;
  /** Canvases per scoring call (default 8). */
  batch: number;
}

export const DEFAULT_OCCLUSION: OcclusionParams = { patch: 64, stride: 32, fill: 'imagenet-mean', maxPositions: 144, batch: 8 };

/** Anything that scores 380×380 canvases per model (the ClassifierEnsemble). */
export interface CanvasScorer {
  score(canvases: readonly Image8[], context: string): Promise<Map<string, FaceScore[]>>;
}

export interface OcclusionResult {
  params: OcclusionParams;
  /** Stride actually used (≥ params.stride). */
  stride: number;
  /** Patch origins along each axis. */
  xs: number[];
  ys: number[];
  gridWidth: number;
  gridHeight: number;
  /** Drop of the ensemble fake probability per position, row-major (ys outer, xs inner). */
  values: number[];
  baseScore: number;
  /** Per-pixel attention on the canvas, 0..1 (size × size). */
  heat: Float32Array;
  size: number;
}

function axisPositions(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + patch <= size; p += stride) out.push(p);
  if (!out.length || out[out.length - 1] + patch < size) out.push(Math.max(0, size - patch)); // cover the far edge
  return out;
}

export function checkParams(p: Partial<OcclusionParams>): OcclusionParams {
  const q = { ...DEFAULT_OCCLUSION, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as OcclusionParams;
  const int = (v: number, name: string, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new DeepscanError('invalid-argument', `${name} must be an integer from ${min} to ${max} (got ${v})`);
  };
  int(q.patch, 'patch', 4, CLASSIFIER_INPUT_SIZE);
  int(q.stride, 'stride', 1, CLASSIFIER_INPUT_SIZE);
  int(q.maxPositions, 'maxPositions', 1, 10_000);
  int(q.batch, 'batch', 1, 64);
  if (q.fill !== 'imagenet-mean') int(q.fill, 'fill', 0, 255);
  return q;
}

/** Patch origins per axis for a canvas side, the stride grown until the grid fits maxPositions. */
export function occlusionPositions(size: number, p: OcclusionParams): { xs: number[]; stride: number; patch: number; count: number } {
  const patch = Math.min(p.patch, size);
  let stride = p.stride;
  let xs = axisPositions(size, patch, stride);
  while (xs.length * xs.length > p.maxPositions) {
    stride++;
    xs = axisPositions(size, patch, stride);
  }
  return { xs, stride, patch, count: xs.length * xs.length };
}

function fillColour(fill: OcclusionParams['fill']): [number, number, number] {
  return fill === 'imagenet-mean' ? (IMAGENET_MEAN.map((m) => Math.round(m * 255)) as [number, number, number]) : [fill, fill, fill];
}

function ensembleProb(byModel: Map<string, FaceScore[]>, k: number): number {
  let s = 0;
  for (const list of byModel.values()) s += list[k].prob;
  return s / byModel.size;
}

/** Occlusion sensitivity of `scorer` on one 380×380 RGB canvas. */
export async function occlusionMap(scorer: CanvasScorer, canvas: Image8, params: Partial<OcclusionParams> = {}, opts: { context?: string; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<OcclusionResult> {
  const p = checkParams(params);
  const size = canvas.width;
  if (canvas.height !== size || canvas.channels !== 3) throw new DeepscanError('invalid-argument', `occlusion needs a square RGB canvas (got ${canvas.width}×${canvas.height}×${canvas.channels})`);
  const { xs, stride, patch } = occlusionPositions(size, p);
  const ys = xs;
  const context = opts.context ?? 'attention';
  const base = await scorer.score([canvas], context);
  if (!base.size) throw new DeepscanError('invalid-argument', 'model attention needs at least one classifier model');
  const baseScore = ensembleProb(base, 0);
  const colour = fillColour(p.fill);
  const positions = ys.flatMap((y) => xs.map((x) => [x, y] as const));
  const values: number[] = [];
  for (let start = 0; start < positions.length; start += p.batch) {
    if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'model attention was cancelled');
    const chunk = positions.slice(start, start + p.batch);
    const canvases = chunk.map(([x0, y0]) => {
      const data = Uint8Array.from(canvas.data);
      for (let y = y0; y < y0 + patch; y++) {
        for (let x = x0; x < x0 + patch; x++) {
          const i = (y * size + x) * 3;
          data[i] = colour[0];
          data[i + 1] = colour[1];
          data[i + 2] = colour[2];
        }
      }
      return { width: size, height: size, channels: 3 as const, data };
    });
    const scored = await scorer.score(canvases, context);
    chunk.forEach((_, k) => values.push(baseScore - ensembleProb(scored, k)));
    opts.onProgress?.(values.length, positions.length);
  }
  // Per pixel: mean drop of the covering patches (separable box counts).
  const sum = new Float64Array(size * size);
  const count = new Uint16Array(size * size);
  positions.forEach(([x0, y0], k) => {
    const v = values[k];
    for (let y = y0; y < y0 + patch; y++) {
      for (let x = x0; x < x0 + patch; x++) {
        sum[y * size + x] += v;
        count[y * size + x]++;
      }
    }
  });
  const heat = new Float32Array(size * size);
  let max = 0;
  for (let i = 0; i < heat.length; i++) {
    const v = count[i] ? sum[i] / count[i] : 0;
    heat[i] = v > 0 ? v : 0;
    if (heat[i] > max) max = heat[i];
  }
  if (max > 0) for (let i = 0; i < heat.length; i++) heat[i] /= max;
  return { params: p, stride, xs, ys, gridWidth: xs.length, gridHeight: ys.length, values, baseScore, heat, size };
}

/** The perceptual colour map (common/colormap.ts) over 0…1, alpha rising with attention (0 → transparent). */
export function heatToRgba(heat: Float32Array, width: number, height: number, region?: { x: number; y: number; width: number; height: number }, canvasWidth = width): Image8 {
  const r = region ?? { x: 0, y: 0, width, height };
  const out = new Uint8Array(r.width * r.height * 4);
  const clamp = (v: number) => Math.max(0, Math.min(1, v));
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const t = heat[(r.y + y) * canvasWidth + r.x + x];
      const o = (y * r.width + x) * 4;
      const [red, green, blue] = colormap(clamp(t));
      out[o] = red;
      out[o + 1] = green;
      out[o + 2] = blue;
      out[o + 3] = Math.round(200 * clamp(t));
    }
  }
  return { width: r.width, height: r.height, channels: 4, data: out };
}
