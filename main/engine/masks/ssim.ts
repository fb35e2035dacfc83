/**
 * The DFDC seed's difference mask (`preprocessing/generate_diffs.py`), numerically:
 *
 *  - scikit-image `structural_similarity(a, b, channel_axis=2, full=True)` with its defaults:
 *    7×7 uniform window (`scipy.ndimage.uniform_filter`, mode 'reflect' = `d c b a | a b c d | d c b a`,
 *    a separable running sum in float64 exactly as scipy's `NI_UniformFilter1D` computes it:
 *    first window summed then divided, each next value `+= (new - old) / size`; rows axis first),
 *    data_range 255 (uint8), K1 0.01, K2 0.03, sample covariance (`49 / 48`). With channels the
 *    full map keeps one SSIM map per channel (only the scalar mean is averaged over channels);
 *  - `(1 - map) * 255` cast to uint8 the way numpy casts on x86: truncation toward zero, then the
 *    low 8 bits (values in [256, 510] — strongly anti-correlated windows — wrap around);
 *  - OpenCV `cvtColor(…, COLOR_BGR2GRAY)` on 8 bits: fixed point with 15 fractional bits
 *    (R 9798, G 19235, B 3735, rounding `+ 2^14`, `>> 15`).
 *
 * The seed reads both crops with `cv2.imread` (BGR), so its per-channel map is BGR-ordered and
 * BGR2GRAY weighs each channel correctly. For RGB crops (ours), the same result is the RGB map
 * with the red channel weighted by 9798 and blue by 3735 — verified to the grey level against
 * the reference fixtures (reference/ssim/*_diff.png: 100 % identical pixels).
 */
import type { Image8 } from '../image/image.js';
import { DeepscanError } from '../util/errors.js';

export const SSIM_WIN = 7;
export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;
export const SSIM_DATA_RANGE = 255;

/** scipy.ndimage 'reflect' index of `i` on an axis of length `n`. */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n;
  let k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - k - 1;
}

/**
 * `uniform_filter1d(src, size, axis)` on a `height × width` float64 plane, mode 'reflect', origin 0.
 */
function uniformFilter1d(src: Float64Array, width: number, height: number, size: number, axis: 0 | 1, out: Float64Array): void {
  const n = axis === 0 ? height : width;
  const lines = axis === 0 ? width : height;
  const size1 = Math.floor(size / 2);
  const ext = new Float64Array(n + size - 1);
  const stride = axis === 0 ? width : 1;
  for (let line = 0; line < lines; line++) {
    const base = axis === 0 ? line : line * width;
    for (let j = 0; j < ext.length; j++) ext[j] = src[base + reflectIndex(j - size1, n) * stride];
    let tmp = 0;
    for (let j = 0; j < size; j++) tmp += ext[j];
    tmp /= size;
    out[base] = tmp;
    for (let j = 1; j < n; j++) {
      tmp += (ext[j + size - 1] - ext[j - 1]) / size;
      out[base + j * stride] = tmp;
    }
  }
}

function uniformFilter(src: Float64Array, width: number, height: number, size: number): Float64Array {
  const tmp = new Float64Array(src.length);
  const out = new Float64Array(src.length);
  uniformFilter1d(src, width, height, size, 0, tmp);
  uniformFilter1d(tmp, width, height, size, 1, out);
  return out;
}

/** scikit-image's full SSIM map of two single-channel float64 planes (defaults as above). */
export function ssimMapPlane(x: Float64Array, y: Float64Array, width: number, height: number, winSize = SSIM_WIN): Float64Array {
  const n = width * height;
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const ux = uniformFilter(x, width, height, winSize);
  const uy = uniformFilter(y, width, height, winSize);
  const uxx = uniformFilter(xx, width, height, winSize);
  const uyy = uniformFilter(yy, width, height, winSize);
  const uxy = uniformFilter(xy, width, height, winSize);
  const np = winSize * winSize;
  const covNorm = np / (np - 1);
  const c1 = (SSIM_K1 * SSIM_DATA_RANGE) ** 2;
  const c2 = (SSIM_K2 * SSIM_DATA_RANGE) ** 2;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const vx = covNorm * (uxx[i] - ux[i] * ux[i]);
    const vy = covNorm * (uyy[i] - uy[i] * uy[i]);
    const vxy = covNorm * (uxy[i] - ux[i] * uy[i]);
    const a1 = 2 * ux[i] * uy[i] + c1;
    const a2 = 2 * vxy + c2;
    const b1 = ux[i] ** 2 + uy[i] ** 2 + c1;
    const b2 = vx + vy + c2;
    s[i] = (a1 * a2) / (b1 * b2);
  }
  return s;
}

/** numpy's float64 → uint8 cast on x86: truncation toward zero, low 8 bits kept. */
export function castUint8(v: number): number {
  return Math.trunc(v) & 255;
}

export interface SsimDiff {
  /** Gray mask (1 channel), the seed's `_diff.png` pixels. */
  mask: Image8;
  /** Mean SSIM over channels of the map cropped by (win-1)/2 (scikit-image's scalar result). */
  mssim: number;
  /** Mean of mask / 255 ("difference energy"). */
  energy: number;
}

/** The seed's difference mask of two same-size RGB crops (original, fake). */
export function ssimDiffMask(orig: Image8, fake: Image8): SsimDiff {
  if (orig.channels !== 3 || fake.channels !== 3 || orig.width !== fake.width || orig.height !== fake.height) {
    throw new DeepscanError('invalid-argument', `SSIM needs two RGB images of the same size (got ${orig.width}×${orig.height}×${orig.channels} and ${fake.width}×${fake.height}×${fake.channels})`);
  }
  const { width, height } = orig;
  if (width < SSIM_WIN || height < SSIM_WIN) {
    throw new DeepscanError('invalid-argument', `SSIM needs images of at least ${SSIM_WIN}×${SSIM_WIN} pixels (got ${width}×${height})`);
  }
  const n = width * height;
  const maps: Float64Array[] = [];
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      x[i] = orig.data[i * 3 + c];
      y[i] = fake.data[i * 3 + c];
    }
    maps.push(ssimMapPlane(x, y, width, height));
  }
  const pad = (SSIM_WIN - 1) / 2;
  let mssimSum = 0;
  for (const m of maps) {
    let sum = 0;
    for (let r = pad; r < height - pad; r++) for (let q = pad; q < width - pad; q++) sum += m[r * width + q];
    mssimSum += sum / ((height - 2 * pad) * (width - 2 * pad));
  }
  const out = new Uint8Array(n);
  let total = 0;
  const [mr, mg, mb] = maps;
  for (let i = 0; i < n; i++) {
    const r = castUint8((1 - mr[i]) * 255);
    const g = castUint8((1 - mg[i]) * 255);
    const b = castUint8((1 - mb[i]) * 255);
    const v = (r * 9798 + g * 19235 + b * 3735 + 16384) >> 15;
    out[i] = v;
    total += v;
  }
  return { mask: { width, height, channels: 1, data: out }, mssim: mssimSum / 3, energy: n ? total / n / 255 : 0 };
}
