/**
 * The reference classifier's input preparation (DFDC winner, `kernel_utils.py`):
 *
 * 1. `isotropically_resize_image(face, 380)`: returns the crop unchanged when its longer side is
 *    already 380; otherwise, if w > h the width becomes exactly 380 and the height
 *    `int(h * (380 / w))` (float64, truncated), else (h >= w, squares included) the height
 *    becomes 380 and the width `int(w * (380 / h))`. INTER_CUBIC when the scale is > 1, INTER_AREA
 *    otherwise (OpenCV semantics, see ../image/cv-resize.ts).
 * 2. `put_to_center(img, 380)`: first `img[:380, :380]`, then pasted on a black 380×380 canvas at
 *    `((380 - w) // 2, (380 - h) // 2)`.
 * 3. Batch: uint8 → float32, `/ 255.` (float32 true division, the CPU path), then torchvision
 *    `Normalize(mean, std)` on the float32 tensor = `(x - float32(mean)) / float32(std)`, each
 *    step rounded to float32, laid out NCHW. (The original ran on CUDA, where a scalar divisor
 *    becomes a multiply by its reciprocal; the published reference fixtures were made on CPU.)
 */
import { DeepscanError } from '../util/errors.js';
import { assertImage, type Image8 } from '../image/image.js';
import { resize } from '../image/cv-resize.js';

export const CLASSIFIER_INPUT_SIZE = 380;
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

function requireRgb(img: Image8, what: string): void {
  assertImage(img, what);
  if (img.channels !== 3) throw new DeepscanError('invalid-argument', `${what} must be RGB (3 channels), got ${img.channels}`);
}

/** Target size chosen by the reference for a crop of `width`×`height` (before any resize). */
export function isotropicTargetSize(width: number, height: number, size = CLASSIFIER_INPUT_SIZE): { width: number; height: number; scale: number } {
  if (Math.max(width, height) === size) return { width, height, scale: 1 };
  if (width > height) {
    const scale = size / width;
    return { width: size, height: Math.trunc(height * scale), scale };
  }
  const scale = size / height;
  return { width: Math.trunc(width * scale), height: size, scale };
}

/** `isotropically_resize_image(img, size)` with OpenCV INTER_AREA down / INTER_CUBIC up. */
export function isotropicResize(img: Image8, size = CLASSIFIER_INPUT_SIZE): Image8 {
  assertImage(img, 'face crop');
  if (img.width < 1 || img.height < 1) throw new DeepscanError('invalid-argument', `Face crop is empty (${img.width}x${img.height})`);
  const t = isotropicTargetSize(img.width, img.height, size);
  if (t.scale === 1 && Math.max(img.width, img.height) === size) return img;
  if (t.width < 1 || t.height < 1) {
    throw new DeepscanError('invalid-argument', `Face crop ${img.width}x${img.height} is too thin to resize to ${size} (would be ${t.width}x${t.height})`);
  }
  return resize(img, { width: t.width, height: t.height }, t.scale > 1 ? 'cubic' : 'area');
}

/** `put_to_center(img, size)`: top-left `size`×`size` of the image, centred on black. */
export function putToCenter(img: Image8, size = CLASSIFIER_INPUT_SIZE): Image8 {
  requireRgb(img, 'face image');
  const w = Math.min(img.width, size);
  const h = Math.min(img.height, size);
  const startW = Math.floor((size - w) / 2);
  const startH = Math.floor((size - h) / 2);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < h; y++) {
    const src = y * img.width * 3;
    out.set(img.data.subarray(src, src + w * 3), ((startH + y) * size + startW) * 3);
  }
  return { width: size, height: size, channels: 3, data: out };
}

/** One classifier input: the 380×380 uint8 canvas the model sees (also what the UI shows). */
export function prepareFace(crop: Image8, size = CLASSIFIER_INPUT_SIZE): Image8 {
  requireRgb(crop, 'face crop');
  return putToCenter(isotropicResize(crop, size), size);
}

/**
 * Square RGB canvases → one float32 NCHW batch, `((v / 255) - mean[c]) / std[c]` with every
 * operation rounded to float32 as PyTorch does on CPU.
 */
export function toNormalizedNCHW(
  images: readonly Image8[],
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): Float32Array {
  if (images.length === 0) throw new DeepscanError('invalid-argument', 'No face images to normalise');
  const size = images[0].width;
  const plane = size * size;
  const out = new Float32Array(images.length * 3 * plane);
  // Per channel, a 256-entry table: the float32 result for each byte value.
  const lut: Float32Array[] = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    const m = Math.fround(mean[c]);
    const s = Math.fround(std[c]);
    for (let v = 0; v < 256; v++) t[v] = Math.fround(Math.fround(Math.fround(v / 255) - m) / s);
    return t;
  });
  images.forEach((img, n) => {
    requireRgb(img, `face image ${n}`);
    if (img.width !== size || img.height !== size) {
      throw new DeepscanError('invalid-argument', `Face image ${n} is ${img.width}x${img.height}, expected ${size}x${size}`);
    }
    const base = n * 3 * plane;
    const d = img.data;
    const l0 = lut[0];
    const l1 = lut[1];
    const l2 = lut[2];
    for (let i = 0; i < plane; i++) {
      out[base + i] = l0[d[i * 3]];
      out[base + plane + i] = l1[d[i * 3 + 1]];
      out[base + 2 * plane + i] = l2[d[i * 3 + 2]];
    }
  });
  return out;
}

/** Sum of a normalised batch in float64 (the reference fixture's `input_checksum`). */
export function inputChecksum(batch: Float32Array): number {
  let s = 0;
  for (let i = 0; i < batch.length; i++) s += batch[i];
  return s;
}
