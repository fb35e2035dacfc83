/**
 * OpenCV `cv::resize` for 8-bit images (1–4 channels), re-derived from the behaviour of
 * OpenCV 4.x `modules/imgproc/src/resize.cpp` (CPU path, no OpenCL), so that the classifier
 * sees the same pixels the reference system's `cv2.resize` produced.
 *
 * What is reproduced, and how:
 *
 * - Size and scale: with an explicit dsize, `inv_scale = dsize / ssize` (double) and
 *   `scale = 1 / inv_scale` (double, so e.g. 432→380 uses 1/(380/432), not 432/380). With
 *   fx/fy instead, `dsize = round(ssize * f)` (cvRound: half to even) and `inv_scale = f`.
 *   dsize == ssize is a plain copy.
 * - INTER_AREA when shrinking (scale >= 1 on both axes):
 *   - integer scale on both axes (|scale - round(scale)| < DBL_EPSILON): block means.
 *     2x2 blocks (1, 3 or 4 channels) use integer `(a+b+c+d+2) >> 2` (round half up);
 *     other factors multiply the integer block sum by the float32 `1/area` and round half to
 *     even. Partial blocks at the edge (possible only with fx/fy) average what exists.
 *   - otherwise the general area filter: per axis a table of (source, destination, weight)
 *     with float32 weights computed in double (`computeResizeAreaTab`), a horizontal pass
 *     accumulating `src * w` in float32 per source row, then a vertical float32 accumulation
 *     `sum += beta * rowbuf`, and a final round-half-even + saturate to uint8.
 * - INTER_AREA when enlarging on either axis: OpenCV's bilinear emulation with area-mode
 *   coefficients.
 * - INTER_LINEAR: fixed point with INTER_RESIZE_COEF_BITS = 11 (coefficients rounded half to
 *   even to int16), horizontal int sums, vertical `((b0*(s0>>4))>>16) + ((b1*(s1>>4))>>16) + 2) >> 2`.
 *   An exact 2x2 shrink is redirected to the INTER_AREA fast path, as OpenCV does.
 * - INTER_CUBIC: Keys cubic with A = -0.75; coefficients computed in float32, scaled by 2048 and
 *   rounded half to even to int16; horizontal int sums with replicated borders; vertical
 *   `(sum + 2^21) >> 22` (floor) then saturate to [0, 255]; source rows clamped to the image.
 *
 * Known platform dependence (see the report in preprocess tests): on x86-64 builds with Intel
 * IPP (the PyPI opencv-python wheels) cv2 hands 8-bit INTER_CUBIC to IPP, whose rounding
 * differs from OpenCV's own code by about one grey level on some pixels (opencv issue
 * #22477); and OpenCV's SIMD vertical cubic pass rounds in float32 rather than with the integer
 * shift. Neither is reproducible without the binary; this module implements OpenCV's own
 * scalar fixed-point arithmetic for INTER_CUBIC. INTER_AREA and INTER_LINEAR on 8-bit data are
 * never handed to IPP, and their SIMD paths are integer/float-exact with the scalar code, so
 * those two are bit-exact targets.
 */
import { DeepscanError } from '../util/errors.js';
import { assertImage, type Image8 } from './image.js';

export type Interpolation = 'linear' | 'cubic' | 'area';

export interface Size {
  width: number;
  height: number;
}

const DBL_EPSILON = 2.220446049250313e-16;
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;
const f32 = Math.fround;

/** cvRound: round half to even (what lrint / cvtss2si do in the default rounding mode). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

function saturateU8(x: number): number {
  const r = roundHalfEven(x);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

function saturateS16(x: number): number {
  const r = roundHalfEven(x);
  return r < -32768 ? -32768 : r > 32767 ? 32767 : r;
}

/** OpenCV's Keys cubic weights (A = -0.75), evaluated in float32 exactly as written in C. */
export function cubicCoefficients(xIn: number): [number, number, number, number] {
  const A = -0.75;
  const x = f32(xIn);
  const x1 = f32(x + 1);
  let c0 = f32(A * x1);
  c0 = f32(c0 - 5 * A);
  c0 = f32(c0 * x1);
  c0 = f32(c0 + 8 * A);
  c0 = f32(c0 * x1);
  c0 = f32(c0 - 4 * A);
  let c1 = f32((A + 2) * x);
  c1 = f32(c1 - (A + 3));
  c1 = f32(c1 * x);
  c1 = f32(c1 * x);
  c1 = f32(c1 + 1);
  const u = f32(1 - x);
  let c2 = f32((A + 2) * u);
  c2 = f32(c2 - (A + 3));
  c2 = f32(c2 * u);
  c2 = f32(c2 * u);
  c2 = f32(c2 + 1);
  const c3 = f32(f32(f32(1 - c0) - c1) - c2);
  return [c0, c1, c2, c3];
}

/**
 * cv2.resize(src, dsize, interpolation=...) for uint8 data. Give `dsize`, or `dsize = null`
 * and `fx`/`fy` (OpenCV's other calling form).
 */
export function resize(src: Image8, dsize: Size | null, interpolation: Interpolation, fx?: number, fy?: number): Image8 {
  assertImage(src, 'resize source');
  const sw = src.width;
  const sh = src.height;
  if (sw < 1 || sh < 1) throw new DeepscanError('invalid-argument', `Cannot resize an empty image (${sw}x${sh})`);
  let dw: number;
  let dh: number;
  let invX: number;
  let invY: number;
  if (dsize && dsize.width > 0 && dsize.height > 0) {
    if (!Number.isInteger(dsize.width) || !Number.isInteger(dsize.height)) {
      throw new DeepscanError('invalid-argument', `Resize target must be whole pixels, got ${dsize.width}x${dsize.height}`);
    }
    dw = dsize.width;
    dh = dsize.height;
    invX = dw / sw;
    invY = dh / sh;
  } else {
    if (!(fx !== undefined && fy !== undefined && fx > 0 && fy > 0)) {
      throw new DeepscanError('invalid-argument', `Resize needs a non-empty target size or positive fx/fy (got ${JSON.stringify(dsize)}, ${fx}, ${fy})`);
    }
    dw = roundHalfEven(sw * fx);
    dh = roundHalfEven(sh * fy);
    invX = fx;
    invY = fy;
    if (dw < 1 || dh < 1) throw new DeepscanError('invalid-argument', `Resize by ${fx}x${fy} gives an empty image from ${sw}x${sh}`);
  }
  if (dw === sw && dh === sh) return { width: sw, height: sh, channels: src.channels, data: src.data.slice() };

  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  const iscaleX = roundHalfEven(scaleX);
  const iscaleY = roundHalfEven(scaleY);
  const isAreaFast = Math.abs(scaleX - iscaleX) < DBL_EPSILON && Math.abs(scaleY - iscaleY) < DBL_EPSILON;

  let interp = interpolation;
  if (interp === 'linear' && isAreaFast && iscaleX === 2 && iscaleY === 2) interp = 'area';

  if (interp === 'area' && scaleX >= 1 && scaleY >= 1) {
    if (isAreaFast) return resizeAreaFast(src, dw, dh, iscaleX, iscaleY);
    return resizeAreaGeneral(src, dw, dh, scaleX, scaleY);
  }
  return resizeGeneric(src, dw, dh, interp, scaleX, scaleY, invX, invY);
}

// ------------------------------------------------------------------ INTER_AREA, integer scale

function resizeAreaFast(src: Image8, dw: number, dh: number, sx: number, sy: number): Image8 {
  const cn = src.channels;
  const swE = src.width * cn; // source row length in elements
  const sh = src.height;
  const S = src.data;
  const out = new Uint8Array(dw * dh * cn);
  const dwE = dw * cn;
  const area = sx * sy;
  const scale = f32(1 / area);
  const twoByTwo = sx === 2 && sy === 2 && (cn === 1 || cn === 3 || cn === 4);
  const fullW = Math.floor(src.width / sx) * cn; // elements with a complete block horizontally
  for (let dy = 0; dy < dh; dy++) {
    const sy0 = dy * sy;
    const o = dy * dwE;
    if (sy0 >= sh) continue; // zeros, as OpenCV writes
    const w = sy0 + sy <= sh ? Math.min(fullW, dwE) : 0;
    let dx = 0;
    for (; dx < w; dx++) {
      const c = dx % cn;
      const base = sy0 * swE + ((dx - c) / cn) * sx * cn + c;
      let sum = 0;
      for (let yy = 0; yy < sy; yy++) {
        const r = base + yy * swE;
        for (let xx = 0; xx < sx; xx++) sum += S[r + xx * cn];
      }
      out[o + dx] = twoByTwo ? (sum + 2) >> 2 : saturateU8(f32(sum * scale));
    }
    for (; dx < dwE; dx++) {
      const c = dx % cn;
      const sx0 = ((dx - c) / cn) * sx * cn + c;
      let sum = 0;
      let count = 0;
      for (let yy = 0; yy < sy; yy++) {
        if (sy0 + yy >= sh) break;
        const r = (sy0 + yy) * swE;
        for (let xx = 0; xx < sx * cn; xx += cn) {
          if (sx0 + xx >= swE) break;
          sum += S[r + sx0 + xx];
          count++;
        }
      }
      out[o + dx] = count > 0 ? saturateU8(f32(sum / count)) : 0;
    }
  }
  return { width: dw, height: dh, channels: cn, data: out };
}

// ------------------------------------------------------------------ INTER_AREA, general

interface AreaTab {
  di: Int32Array;
  si: Int32Array;
  alpha: Float32Array;
  size: number;
}

function areaTab(ssize: number, dsize: number, cn: number, scale: number): AreaTab {
  const cap = ssize * 2 + 2;
  const di = new Int32Array(cap);
  const si = new Int32Array(cap);
  const alpha = new Float32Array(cap);
  let k = 0;
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      di[k] = dx * cn;
      si[k] = (sx1 - 1) * cn;
      alpha[k++] = (sx1 - fsx1) / cellWidth;
    }
    for (let sx = sx1; sx < sx2; sx++) {
      di[k] = dx * cn;
      si[k] = sx * cn;
      alpha[k++] = 1.0 / cellWidth;
    }
    if (fsx2 - sx2 > 1e-3) {
      di[k] = dx * cn;
      si[k] = sx2 * cn;
      alpha[k++] = Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth;
    }
  }
  return { di, si, alpha, size: k };
}

function resizeAreaGeneral(src: Image8, dw: number, dh: number, scaleX: number, scaleY: number): Image8 {
  const cn = src.channels;
  const S = src.data;
  const swE = src.width * cn;
  const xt = areaTab(src.width, dw, cn, scaleX);
  const yt = areaTab(src.height, dh, 1, scaleY);
  const dwE = dw * cn;
  const out = new Uint8Array(dwE * dh);
  // Float32Array storage rounds every stored value to float32, like the C++ `float` buffers;
  // each product is rounded separately before the add, as the C++ evaluates `buf + s*alpha`.
  const buf = new Float32Array(dwE);
  const sum = new Float32Array(dwE);
  let prevDy = yt.size > 0 ? yt.di[0] : 0;
  for (let j = 0; j < yt.size; j++) {
    const beta = yt.alpha[j];
    const dy = yt.di[j];
    const rowOff = yt.si[j] * swE;
    buf.fill(0);
    for (let k = 0; k < xt.size; k++) {
      const dxn = xt.di[k];
      const sxn = rowOff + xt.si[k];
      const a = xt.alpha[k];
      for (let c = 0; c < cn; c++) buf[dxn + c] = buf[dxn + c] + f32(S[sxn + c] * a);
    }
    if (dy !== prevDy) {
      const o = prevDy * dwE;
      for (let dx = 0; dx < dwE; dx++) {
        out[o + dx] = saturateU8(sum[dx]);
        sum[dx] = beta * buf[dx];
      }
      prevDy = dy;
    } else {
      for (let dx = 0; dx < dwE; dx++) sum[dx] = sum[dx] + f32(beta * buf[dx]);
    }
  }
  const o = prevDy * dwE;
  for (let dx = 0; dx < dwE; dx++) out[o + dx] = saturateU8(sum[dx]);
  return { width: dw, height: dh, channels: cn, data: out };
}

// ------------------------------------------------------------------ linear / cubic (fixed point)

function resizeGeneric(src: Image8, dw: number, dh: number, interp: Interpolation, scaleX: number, scaleY: number, invX: number, invY: number): Image8 {
  const cn = src.channels;
  const sw = src.width;
  const sh = src.height;
  const areaMode = interp === 'area';
  const ksize = interp === 'cubic' ? 4 : 2;
  const ksize2 = ksize >> 1;
  const widthE = dw * cn;
  let xmin = 0;
  let xmax = dw;
  const xofs = new Int32Array(widthE);
  const ialpha = new Int32Array(widthE * ksize);
  const yofs = new Int32Array(dh);
  const ibeta = new Int32Array(dh * ksize);

  const coeffs = (f: number): number[] => (interp === 'cubic' ? cubicCoefficients(f) : [f32(1 - f), f]);

  for (let dx = 0; dx < dw; dx++) {
    let sx: number;
    let fx: number;
    if (!areaMode) {
      fx = f32((dx + 0.5) * scaleX - 0.5);
      sx = Math.floor(fx);
      fx = f32(fx - sx);
    } else {
      sx = Math.floor(dx * scaleX);
      fx = f32(dx + 1 - (sx + 1) * invX);
      fx = fx <= 0 ? 0 : f32(fx - Math.floor(fx));
    }
    if (sx < ksize2 - 1) {
      xmin = dx + 1;
      if (sx < 0 && interp !== 'cubic') {
        fx = 0;
        sx = 0;
      }
    }
    if (sx + ksize2 >= sw) {
      xmax = Math.min(xmax, dx);
      if (sx >= sw - 1 && interp !== 'cubic') {
        fx = 0;
        sx = sw - 1;
      }
    }
    const cb = coeffs(fx);
    for (let c = 0; c < cn; c++) {
      const e = dx * cn + c;
      xofs[e] = sx * cn + c;
      for (let k = 0; k < ksize; k++) ialpha[e * ksize + k] = saturateS16(f32(cb[k] * COEF_SCALE));
    }
  }
  for (let dy = 0; dy < dh; dy++) {
    let sy: number;
    let fy: number;
    if (!areaMode) {
      fy = f32((dy + 0.5) * scaleY - 0.5);
      sy = Math.floor(fy);
      fy = f32(fy - sy);
    } else {
      sy = Math.floor(dy * scaleY);
      fy = f32(dy + 1 - (sy + 1) * invY);
      fy = fy <= 0 ? 0 : f32(fy - Math.floor(fy));
    }
    yofs[dy] = sy;
    const cb = coeffs(fy);
    for (let k = 0; k < ksize; k++) ibeta[dy * ksize + k] = saturateS16(f32(cb[k] * COEF_SCALE));
  }

  const S = src.data;
  const swE = sw * cn;
  const xminE = xmin * cn;
  const xmaxE = xmax * cn;
  // Horizontal pass of one source row into int sums (exact in doubles; values stay < 2^31).
  const hresize = (sy: number, D: Float64Array): void => {
    const r = sy * swE;
    if (ksize === 2) {
      for (let e = 0; e < widthE; e++) {
        const sx = xofs[e];
        if (e < xmaxE) D[e] = S[r + sx] * ialpha[e * 2] + S[r + sx + cn] * ialpha[e * 2 + 1];
        else D[e] = S[r + sx] * COEF_SCALE;
      }
      return;
    }
    for (let e = 0; e < widthE; e++) {
      const a = e * 4;
      if (e >= xminE && e < xmaxE) {
        const sx = r + xofs[e];
        D[e] = S[sx - cn] * ialpha[a] + S[sx] * ialpha[a + 1] + S[sx + cn] * ialpha[a + 2] + S[sx + 2 * cn] * ialpha[a + 3];
      } else {
        const sx = xofs[e] - cn;
        let v = 0;
        for (let j = 0; j < 4; j++) {
          let sxj = sx + j * cn;
          while (sxj < 0) sxj += cn;
          while (sxj >= swE) sxj -= cn;
          v += S[r + sxj] * ialpha[a + j];
        }
        D[e] = v;
      }
    }
  };

  const out = new Uint8Array(widthE * dh);
  const cache = new Map<number, Float64Array>();
  for (let dy = 0; dy < dh; dy++) {
    const sy0 = yofs[dy];
    // Source rows, clamped to the image (border replicate), horizontally resized once each.
    const use: Float64Array[] = [];
    for (let k = 0; k < ksize; k++) {
      let sy = sy0 - ksize2 + 1 + k;
      sy = sy < 0 ? 0 : sy >= sh ? sh - 1 : sy;
      let row = cache.get(sy);
      if (!row) {
        row = new Float64Array(widthE);
        hresize(sy, row);
        cache.set(sy, row);
      }
      use.push(row);
    }
    // Drop rows no longer needed (yofs is non-decreasing).
    for (const key of cache.keys()) if (key < sy0 - ksize2 + 1) cache.delete(key);
    const o = dy * widthE;
    const b = dy * ksize;
    if (ksize === 2) {
      const b0 = ibeta[b];
      const b1 = ibeta[b + 1];
      const S0 = use[0];
      const S1 = use[1];
      for (let e = 0; e < widthE; e++) {
        out[o + e] = ((((b0 * (S0[e] >> 4)) >> 16) + ((b1 * (S1[e] >> 4)) >> 16) + 2) >> 2) & 0xff;
      }
    } else {
      const b0 = ibeta[b];
      const b1 = ibeta[b + 1];
      const b2 = ibeta[b + 2];
      const b3 = ibeta[b + 3];
      const [S0, S1, S2, S3] = use;
      for (let e = 0; e < widthE; e++) {
        const v = S0[e] * b0 + S1[e] * b1 + S2[e] * b2 + S3[e] * b3;
        const r = Math.floor((v + (1 << 21)) / (1 << 22));
        out[o + e] = r < 0 ? 0 : r > 255 ? 255 : r;
      }
    }
  }
  return { width: dw, height: dh, channels: cn, data: out };
}
