/**
 * Face detection and cropping exactly as the DFDC reference's inference (`kernel_utils.FaceExtractor`):
 * the full-resolution RGB frame is downscaled to `(w // 2, h // 2)` with Pillow's BICUBIC resize,
 * MTCNN runs on it with thresholds [0.7, 0.8, 0.8] (min face 20, factor 0.709), every face is kept
 * in `MTCNN.detect` order, each box is scaled ×2 and truncated to int (`int(b * 2)`, toward zero),
 * and the crop is `frame[max(ymin - p_h, 0) : ymax + p_h, max(xmin - p_w, 0) : xmax + p_w]` with
 * `p_w = (xmax - xmin) // 3`, `p_h = (ymax - ymin) // 3` (Python floor division) and numpy slice
 * semantics (a stop past the edge is clamped, a negative stop counts from the end, an empty
 * slice is empty).
 */
import { DeepscanError } from '../util/errors.js';
import type { DetectedFace, MtcnnDetector } from './mtcnn.js';
import { halveForDetection, type RgbImage } from './pil-resize.js';

export const SEED_THRESHOLDS: [number, number, number] = [0.7, 0.8, 0.8];
export const SEED_MIN_FACE = 20;
export const SEED_FACTOR = 0.709;

export interface SeedFace {
  /** `int(b * 2)` of the detector box, full-resolution pixels. */
  box: [number, number, number, number];
  detector: { box: [number, number, number, number]; prob: number };
  /** Landmarks ×2, full-resolution pixels (floats). */
  landmarks: [number, number][];
  /** The crop actually cut, [x0, y0, x1, y1) in full-resolution pixels, after slice clamping. */
  crop: [number, number, number, number];
  /** Packed RGB of the crop, `(y1 - y0) * (x1 - x0) * 3` bytes (may be empty). */
  cropPixels: Buffer;
}

export interface SeedFrameResult {
  /** `[w, h]` of the image MTCNN ran on. */
  halfSize: [number, number];
  faces: SeedFace[];
}

/** Python `a // b` for integers. */
export function pyFloorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Normalised `[start:stop]` of numpy/Python slicing on an axis of length `n` (step 1). */
export function pySlice(start: number, stop: number, n: number): [number, number] {
  const norm = (v: number): number => {
    let x = v < 0 ? v + n : v;
    if (x < 0) x = 0;
    if (x > n) x = n;
    return x;
  };
  const s = norm(start);
  const e = norm(stop);
  return e < s ? [s, s] : [s, e];
}

/** The reference's crop rectangle for an int box on a `width × height` frame: [x0, y0, x1, y1). */
export function seedCropRect(box: readonly [number, number, number, number], width: number, height: number): [number, number, number, number] {
  const [xmin, ymin, xmax, ymax] = box;
  const pW = pyFloorDiv(xmax - xmin, 3);
  const pH = pyFloorDiv(ymax - ymin, 3);
  const [y0, y1] = pySlice(Math.max(ymin - pH, 0), ymax + pH, height);
  const [x0, x1] = pySlice(Math.max(xmin - pW, 0), xmax + pW, width);
  return [x0, y0, x1, y1];
}

/** `int(b * 2)` of a float32 detector coordinate. */
export function scaleBoxToFull(b: number): number {
  return Math.trunc(Math.fround(b * 2)) + 0; // + 0 turns -0 into 0
}

export function cutRgb(frame: RgbImage, rect: readonly [number, number, number, number]): Buffer {
  const [x0, y0, x1, y1] = rect;
  const w = x1 - x0;
  const h = y1 - y0;
  const out = Buffer.alloc(Math.max(0, w) * Math.max(0, h) * 3);
  if (w <= 0 || h <= 0) return out;
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * frame.width + x0) * 3;
    out.set(frame.data.subarray(src, src + w * 3), y * w * 3);
  }
  return out;
}

/** Turn detector output on the half-size image into the reference's full-res boxes and crops. */
export function seedFacesFromDetections(frame: RgbImage, dets: readonly DetectedFace[]): SeedFace[] {
  return dets.map((d) => {
    const box = d.box.map(scaleBoxToFull) as [number, number, number, number];
    const crop = seedCropRect(box, frame.width, frame.height);
    return {
      box,
      detector: { box: [...d.box] as [number, number, number, number], prob: d.prob },
      landmarks: d.landmarks.map(([x, y]) => [x * 2, y * 2] as [number, number]),
      crop,
      cropPixels: cutRgb(frame, crop),
    };
  });
}

/**
 * The reference's per-frame face step. `context` names the frame/evidence in errors.
 * A frame too small to hold a 12-pixel pyramid level, or with no face, gives no faces.
 */
export async function detectSeedFaces(detector: MtcnnDetector, frame: RgbImage, context?: string): Promise<SeedFrameResult> {
  if (!Number.isInteger(frame.width) || !Number.isInteger(frame.height) || frame.width < 0 || frame.height < 0 || frame.data.length < frame.width * frame.height * 3) {
    throw new DeepscanError('invalid-argument', `Frame${context !== undefined ? ` ${context}` : ''} is not a packed RGB ${frame.width}×${frame.height} buffer (${frame.data.length} bytes).`);
  }
  const hw = Math.floor(frame.width / 2);
  const hh = Math.floor(frame.height / 2);
  if (hw < 1 || hh < 1) return { halfSize: [hw, hh], faces: [] };
  const half = halveForDetection(frame);
  const opts = { thresholds: SEED_THRESHOLDS, minFaceSize: SEED_MIN_FACE, factor: SEED_FACTOR, ...(context !== undefined ? { context } : {}) };
  const dets = await detector.detect(half, opts);
  return { halfSize: [hw, hh], faces: seedFacesFromDetections(frame, dets) };
}

/** Several frames at once (same-size frames share P-Net runs). */
export async function detectSeedFacesBatch(detector: MtcnnDetector, frames: readonly RgbImage[], context?: string): Promise<SeedFrameResult[]> {
  const halves: (RgbImage | null)[] = frames.map((f) => (Math.floor(f.width / 2) >= 1 && Math.floor(f.height / 2) >= 1 ? halveForDetection(f) : null));
  const usable = halves.filter((h): h is RgbImage => h !== null);
  const opts = { thresholds: SEED_THRESHOLDS, minFaceSize: SEED_MIN_FACE, factor: SEED_FACTOR, ...(context !== undefined ? { context } : {}) };
  const dets = usable.length > 0 ? await detector.detectBatch(usable, opts) : [];
  let k = 0;
  return frames.map((f, i) => {
    const hs: [number, number] = [Math.floor(f.width / 2), Math.floor(f.height / 2)];
    if (halves[i] === null) return { halfSize: hs, faces: [] };
    return { halfSize: hs, faces: seedFacesFromDetections(f, dets[k++]!) };
  });
}
