/**
 * The DFDC seed's data-preparation face steps (training side, `preprocessing/*.py`), shared by
 * the dataset export and the comparison with a known original:
 *  - boxes: facenet-pytorch MTCNN with thresholds [0.85, 0.95, 0.95] (min face 20, factor 0.709,
 *    largest box first) on the frame halved with Pillow's default (bicubic) `resize`;
 *    half-resolution float boxes;
 *  - crops: `int(b * 2)` of each float, then the 1/3-margin rectangle (same rule as inference);
 *  - landmarks: MTCNN [0.65, 0.75, 0.75] on the full-size crop, the first face's 5 points,
 *    `np.around` (half to even) to int16.
 */
import type { MtcnnDetector } from './mtcnn.js';
import { halveForDetection, type RgbImage } from './pil-resize.js';
import { cutRgb, scaleBoxToFull, SEED_FACTOR, SEED_MIN_FACE, seedCropRect } from './seed-faces.js';

export const PREP_BOX_THRESHOLDS: [number, number, number] = [0.85, 0.95, 0.95];
export const PREP_LANDMARK_THRESHOLDS: [number, number, number] = [0.65, 0.75, 0.75];

export type FloatBox = [number, number, number, number];

/** Half-resolution float boxes of one full-resolution RGB frame, or null when no face (as the seed's JSON). */
export async function detectPrepBoxes(detector: MtcnnDetector, frame: RgbImage, context?: string): Promise<FloatBox[] | null> {
  if (Math.floor(frame.width / 2) < 1 || Math.floor(frame.height / 2) < 1) return null;
  const half = halveForDetection(frame);
  const dets = await detector.detect(half, { thresholds: PREP_BOX_THRESHOLDS, minFaceSize: SEED_MIN_FACE, factor: SEED_FACTOR, ...(context !== undefined ? { context } : {}) });
  return dets.length ? dets.map((d) => [...d.box] as FloatBox) : null;
}

/** The crop rectangle [x0, y0, x1, y1) that the seed's `extract_crops.py` cuts for a half-res box. */
export function prepCropRect(box: FloatBox, width: number, height: number): [number, number, number, number] {
  return seedCropRect(box.map(scaleBoxToFull) as [number, number, number, number], width, height);
}

export function prepCrop(frame: RgbImage, box: FloatBox): { rect: [number, number, number, number]; pixels: Buffer } {
  const rect = prepCropRect(box, frame.width, frame.height);
  return { rect, pixels: cutRgb(frame, rect) };
}

/** numpy `around` (round half to even) of a float, as int16 (wrapping like `astype(np.int16)`). */
export function aroundInt16(v: number): number {
  let r = Math.round(v);
  if (Math.abs(v % 1) === 0.5 && r % 2 !== 0) r -= 1;
  return (r << 16) >> 16;
}

/** The seed's landmarks of one crop: the first face's 5 points rounded, or null when no face. */
export async function detectPrepLandmarks(detector: MtcnnDetector, crop: RgbImage, context?: string): Promise<Int16Array | null> {
  if (crop.width < 1 || crop.height < 1) return null;
  const dets = await detector.detect(crop, { thresholds: PREP_LANDMARK_THRESHOLDS, minFaceSize: SEED_MIN_FACE, factor: SEED_FACTOR, ...(context !== undefined ? { context } : {}) });
  if (!dets.length) return null;
  const out = new Int16Array(10);
  dets[0].landmarks.forEach(([x, y], i) => {
    out[i * 2] = aroundInt16(x);
    out[i * 2 + 1] = aroundInt16(y);
  });
  return out;
}
