/**
 * torch `F.interpolate(x, size, mode='area')` on CPU in float32 — i.e. `adaptive_avg_pool2d`.
 *
 * For output row `i` of `outH` over `inH` input rows the window is
 * `[floor(i * inH / outH), ceil((i + 1) * inH / outH))` (likewise for columns). PyTorch's CPU
 * kernel sums the window in float32 (row by row, left to right) and divides by the window
 * height, then by the window width, each rounded to float32 (`sum / kh / kw`). When the input
 * holds integers (uint8 pixels) the float32 sum is exact, so only the two divisions round.
 */

const f32 = Math.fround;

function startIndex(a: number, b: number, c: number): number {
  return Math.floor((a * c) / b);
}
function endIndex(a: number, b: number, c: number): number {
  return Math.floor(((a + 1) * c + b - 1) / b);
}

export interface Windows {
  start: Int32Array;
  len: Int32Array;
}

/** Adaptive pooling windows for `outSize` outputs over `inSize` inputs (integer arithmetic, exact). */
export function areaWindows(inSize: number, outSize: number): Windows {
  const start = new Int32Array(outSize);
  const len = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const s = startIndex(i, outSize, inSize);
    const e = endIndex(i, outSize, inSize);
    start[i] = s;
    len[i] = e - s;
  }
  return { start, len };
}

/**
 * `F.interpolate(input, size=[outH, outW], mode='area')` for an NCHW float32 tensor.
 * Accumulates in float32 like PyTorch's CPU kernel.
 */
export function interpolateArea(
  input: Float32Array,
  dims: [n: number, c: number, h: number, w: number],
  outH: number,
  outW: number,
): Float32Array {
  const [n, c, h, w] = dims;
  if (input.length < n * c * h * w) throw new RangeError(`interpolateArea: input has ${input.length} values, dims need ${n * c * h * w}`);
  const out = new Float32Array(n * c * outH * outW);
  const wy = areaWindows(h, outH);
  const wx = areaWindows(w, outW);
  for (let p = 0; p < n * c; p++) {
    const inOff = p * h * w;
    const outOff = p * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = wy.start[oy]!;
      const kh = wy.len[oy]!;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = wx.start[ox]!;
        const kw = wx.len[ox]!;
        let sum = 0;
        for (let y = y0; y < y0 + kh; y++) {
          const row = inOff + y * w;
          for (let x = x0; x < x0 + kw; x++) sum = f32(sum + input[row + x]!);
        }
        out[outOff + oy * outW + ox] = f32(f32(sum / kh) / kw);
      }
    }
  }
  return out;
}

/**
 * Area-resample a rectangle of a packed RGB uint8 image (rows `y0..y0+h`, columns `x0..x0+w`,
 * all inside the image) to `outH × outW`, and write it planar (CHW) into `dst` at `dstOffset`,
 * mapped through `(v - 127.5) * 0.0078125` when `normalize` is set (MTCNN's input scaling,
 * computed in float32 like torch). Equivalent to `interpolate(img[:, :, y0:y0+h, x0:x0+w], mode='area')`
 * on the float32 tensor of the image.
 */
export function areaResizeRgbRegion(
  img: { data: Uint8Array; width: number; height: number },
  x0: number,
  y0: number,
  w: number,
  h: number,
  outH: number,
  outW: number,
  dst: Float32Array,
  dstOffset: number,
  normalize: boolean,
): void {
  const { data, width } = img;
  const wy = areaWindows(h, outH);
  const wx = areaWindows(w, outW);
  const plane = outH * outW;
  const stride = width * 3;
  for (let oy = 0; oy < outH; oy++) {
    const ys = y0 + wy.start[oy]!;
    const kh = wy.len[oy]!;
    for (let ox = 0; ox < outW; ox++) {
      const xs = x0 + wx.start[ox]!;
      const kw = wx.len[ox]!;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let y = ys; y < ys + kh; y++) {
        let p = y * stride + xs * 3;
        for (let x = 0; x < kw; x++, p += 3) {
          s0 += data[p]!;
          s1 += data[p + 1]!;
          s2 += data[p + 2]!;
        }
      }
      // Integer sums are exact in float32 (< 2^24) — same as torch's float32 accumulation.
      const o = dstOffset + oy * outW + ox;
      let v0 = f32(f32(s0 / kh) / kw);
      let v1 = f32(f32(s1 / kh) / kw);
      let v2 = f32(f32(s2 / kh) / kw);
      if (normalize) {
        v0 = f32(v0 - 127.5) * 0.0078125;
        v1 = f32(v1 - 127.5) * 0.0078125;
        v2 = f32(v2 - 127.5) * 0.0078125;
      }
      dst[o] = v0;
      dst[o + plane] = v1;
      dst[o + 2 * plane] = v2;
    }
  }
}
