/**
 * Pillow-exact BICUBIC resize of an 8-bit RGB image (`PIL.Image.resize(size)` with the default
 * resampling filter of Pillow ≥ 7, `reducing_gap=None`, no box).
 *
 * What Pillow does (libImaging/Resample.c), restated:
 * - Separable convolution, horizontal pass first, then vertical; each pass rounds and clips to
 *   uint8 before the next one.
 * - Per output coordinate `xx`: `scale = inSize / outSize` (double), `filterscale = max(scale, 1)`
 *   (antialiasing when shrinking), `support = 2 * filterscale` (bicubic support is 2),
 *   `center = (xx + 0.5) * scale`, taps `xmin = trunc(center - support + 0.5)` clamped at 0,
 *   `xmax = trunc(center + support + 0.5)` clamped at `inSize`. Weight of tap `x` is
 *   `k((x - center + 0.5) / filterscale)` with the Keys cubic, a = -0.5, then the taps are
 *   normalised to sum 1 (double).
 * - Coefficients become fixed point with 22 fractional bits (`PRECISION_BITS = 32 - 8 - 2`),
 *   rounded half away from zero; the accumulator starts at `1 << 21` (rounding) and the result
 *   is `acc >> 22`, clipped to 0..255.
 * - The vertical pass only reads the rows that some output row needs: the horizontal pass runs
 *   on rows `[ybox_first, ybox_last)`; this does not change any value.
 * - A pass whose size does not change is skipped (no filtering at all).
 */
import { DeepscanError } from '../util/errors.js';

export interface RgbImage {
  /** Packed RGB, row-major, `width * height * 3` bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function bicubic(xIn: number): number {
  const a = -0.5;
  let x = xIn;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

export interface ResampleCoeffs {
  /** Taps per output sample in `weights` (Pillow's `ksize`). */
  ksize: number;
  /** Per output sample: first input index. */
  start: Int32Array;
  /** Per output sample: number of taps used. */
  count: Int32Array;
  /** Fixed-point weights, `outSize * ksize`. */
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bicubic filter, box = [0, inSize]. */
export function bicubicCoeffs(inSize: number, outSize: number): ResampleCoeffs {
  const support0 = 2.0;
  const scale = inSize / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = support0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const invFilterscale = 1.0 / filterscale;
  const tmp = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * invFilterscale);
      tmp[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0.0 ? tmp[x]! / ww : tmp[x]!;
      // C's (int) cast truncates toward zero.
      weights[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(acc: number): number {
  // Pillow: table lookup of (acc >> 22) clamped to 0..255; acc fits in int32.
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resize an RGB image to `outWidth × outHeight` exactly as Pillow's BICUBIC `Image.resize` does.
 * Returns a new image; the input is not modified. Same size → a copy (as Pillow).
 */
export function pilResizeBicubic(src: RgbImage, outWidth: number, outHeight: number): RgbImage {
  const { width: inW, height: inH, data } = src;
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
    throw new DeepscanError('invalid-argument', `Cannot resize an image to ${outWidth}×${outHeight}: both sides must be whole numbers ≥ 1.`);
  }
  if (!Number.isInteger(inW) || !Number.isInteger(inH) || inW < 1 || inH < 1 || data.length < inW * inH * 3) {
    throw new DeepscanError('invalid-argument', `Cannot resize a ${inW}×${inH} RGB image backed by ${data.length} bytes.`);
  }
  const needH = outWidth !== inW;
  const needV = outHeight !== inH;
  if (!needH && !needV) {
    return { data: data.slice(0, inW * inH * 3), width: inW, height: inH };
  }

  const vert = bicubicCoeffs(inH, outHeight);
  // Rows of the source the vertical pass reads.
  const yFirst = needV ? vert.start[0]! : 0;
  const yLast = needV ? vert.start[outHeight - 1]! + vert.count[outHeight - 1]! : inH;

  let mid: Uint8Array = data;
  let midW = inW;
  let midRow0 = 0; // source row index of mid's row 0
  if (needH) {
    const hc = bicubicCoeffs(inW, outWidth);
    const rows = yLast - yFirst;
    mid = new Uint8Array(outWidth * rows * 3);
    const { ksize, start, count, weights } = hc;
    for (let r = 0; r < rows; r++) {
      const inRow = (r + yFirst) * inW * 3;
      const outRow = r * outWidth * 3;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = start[xx]!;
        const n = count[xx]!;
        const kOff = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = inRow + xmin * 3;
        for (let x = 0; x < n; x++, p += 3) {
          const k = weights[kOff + x]!;
          s0 += data[p]! * k;
          s1 += data[p + 1]! * k;
          s2 += data[p + 2]! * k;
        }
        const o = outRow + xx * 3;
        mid[o] = clip8(s0);
        mid[o + 1] = clip8(s1);
        mid[o + 2] = clip8(s2);
      }
    }
    midW = outWidth;
    midRow0 = yFirst;
  }
  if (!needV) {
    return { data: mid, width: midW, height: inH };
  }
  const out = new Uint8Array(midW * outHeight * 3);
  const { ksize, start, count, weights } = vert;
  const stride = midW * 3;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = start[yy]! - midRow0;
    const n = count[yy]!;
    const kOff = yy * ksize;
    const outRow = yy * stride;
    for (let c = 0; c < stride; c++) {
      let s = HALF;
      let p = ymin * stride + c;
      for (let y = 0; y < n; y++, p += stride) {
        s += mid[p]! * weights[kOff + y]!;
      }
      out[outRow + c] = clip8(s);
    }
  }
  return { data: out, width: midW, height: outHeight };
}

/** The DFDC reference's ×½ downscale: `img.resize((w // 2, h // 2))`. */
export function halveForDetection(src: RgbImage): RgbImage {
  const w = Math.floor(src.width / 2);
  const h = Math.floor(src.height / 2);
  return pilResizeBicubic(src, w, h);
}
