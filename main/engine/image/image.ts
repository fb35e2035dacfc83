/**
 * 8-bit raster images as the engine passes them around: rows top to bottom, pixels left to
 * right, channels interleaved (gray, gray+alpha, RGB or RGBA), no row padding.
 * This matches numpy's HxWxC uint8 layout that the reference system uses, so a crop or a
 * resize can be compared with it byte for byte.
 */
import { DeepscanError } from '../util/errors.js';

export type Channels = 1 | 2 | 3 | 4;

export interface Image8 {
  readonly width: number;
  readonly height: number;
  readonly channels: Channels;
  /** width * height * channels bytes. */
  readonly data: Uint8Array;
}

export function makeImage(width: number, height: number, channels: Channels, data?: Uint8Array): Image8 {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new DeepscanError('invalid-argument', `Image size must be non-negative integers, got ${width}x${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new DeepscanError('invalid-argument', `Image channel count must be 1..4, got ${channels}`);
  }
  const n = width * height * channels;
  if (data === undefined) return { width, height, channels, data: new Uint8Array(n) };
  if (data.length !== n) {
    throw new DeepscanError('invalid-argument', `Image data has ${data.length} bytes, expected ${n} for ${width}x${height}x${channels}`);
  }
  return { width, height, channels, data };
}

export function assertImage(img: Image8, what = 'image'): void {
  const n = img.width * img.height * img.channels;
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 0 || img.height < 0 || ![1, 2, 3, 4].includes(img.channels) || img.data.length !== n) {
    throw new DeepscanError('invalid-argument', `Malformed ${what}: ${img.width}x${img.height}x${img.channels} with ${img.data.length} bytes`);
  }
}

/**
 * numpy-style crop `img[y0:y1, x0:x1]`: bounds are clamped to the image the way Python slicing
 * clamps them (negative values are NOT wrapped here; callers pass max(v, 0) like the reference).
 */
export function cropImage(img: Image8, x0: number, y0: number, x1: number, y1: number): Image8 {
  assertImage(img);
  const cx0 = Math.min(Math.max(x0, 0), img.width);
  const cy0 = Math.min(Math.max(y0, 0), img.height);
  const cx1 = Math.min(Math.max(x1, cx0), img.width);
  const cy1 = Math.min(Math.max(y1, cy0), img.height);
  const w = cx1 - cx0;
  const h = cy1 - cy0;
  const cn = img.channels;
  const out = new Uint8Array(w * h * cn);
  const rowBytes = w * cn;
  for (let y = 0; y < h; y++) {
    const src = ((cy0 + y) * img.width + cx0) * cn;
    out.set(img.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { width: w, height: h, channels: cn, data: out };
}

/** Converts gray / gray+alpha / RGBA to RGB (alpha is dropped, not composited). */
export function toRgb(img: Image8): Image8 {
  assertImage(img);
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const d = img.data;
  const cn = img.channels;
  for (let i = 0; i < n; i++) {
    if (cn === 1 || cn === 2) {
      const v = d[i * cn];
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    } else {
      out[i * 3] = d[i * 4];
      out[i * 3 + 1] = d[i * 4 + 1];
      out[i * 3 + 2] = d[i * 4 + 2];
    }
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}
