import { describe, expect, it } from 'vitest';
import { areaResizeRgbRegion, areaWindows, interpolateArea } from './resample.js';

describe('areaWindows (adaptive average pooling windows)', () => {
  it('downsampling 3 → 2 overlaps the middle row', () => {
    const w = areaWindows(3, 2);
    expect(Array.from(w.start)).toEqual([0, 1]);
    expect(Array.from(w.len)).toEqual([2, 2]);
  });
  it('upsampling 2 → 3: [0,1), [0,2), [1,2)', () => {
    const w = areaWindows(2, 3);
    expect(Array.from(w.start)).toEqual([0, 0, 1]);
    expect(Array.from(w.len)).toEqual([1, 2, 1]);
  });
  it('integer ratio 6 → 3 gives disjoint pairs', () => {
    const w = areaWindows(6, 3);
    expect(Array.from(w.start)).toEqual([0, 2, 4]);
    expect(Array.from(w.len)).toEqual([2, 2, 2]);
  });
  it('the first P-Net level of a 540-row image (scale 0.6 → 325 rows) uses 2- and 3-row windows', () => {
    const w = areaWindows(540, 325);
    expect(new Set(Array.from(w.len))).toEqual(new Set([2, 3]));
    expect(w.start[324]! + w.len[324]!).toBe(540);
  });
});

describe('interpolateArea', () => {
  it('averages 3×3 → 2×2 over overlapping 2×2 windows', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const y = interpolateArea(x, [1, 1, 3, 3], 2, 2);
    expect(Array.from(y)).toEqual([3, 4, 6, 7]);
  });
  it('divides by the window height then the width, each rounded to float32 (as torch does)', () => {
    // A 3×3 window summing to 5: fround(fround(5/3)/3) = 0.555555522…, not fround(5/9) = 0.555555582….
    const x = new Float32Array(9);
    x[0] = 5;
    const y = interpolateArea(x, [1, 1, 3, 3], 1, 1);
    expect(y[0]).toBe(Math.fround(Math.fround(5 / 3) / 3));
    expect(y[0]).not.toBe(Math.fround(5 / 9));
  });
  it('replicates on upsampling and handles several planes', () => {
    const x = Float32Array.from([1, 2, 10, 20]); // N=1, C=2, H=1, W=2
    const y = interpolateArea(x, [1, 2, 1, 2], 1, 3);
    expect(Array.from(y)).toEqual([1, 1.5, 2, 10, 15, 20]);
  });
});

describe('areaResizeRgbRegion', () => {
  it('equals interpolateArea on the CHW float tensor of the same region, and normalises like MTCNN', () => {
    const W = 7;
    const H = 5;
    const data = new Uint8Array(W * H * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) % 256;
    const img = { data, width: W, height: H };
    // Region x 1..6, y 1..5 (w 5, h 4) → 3×2.
    const chw = new Float32Array(3 * 4 * 5);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) chw[c * 20 + y * 5 + x] = data[((y + 1) * W + (x + 1)) * 3 + c]!;
    const ref = interpolateArea(chw, [1, 3, 4, 5], 2, 3);
    const raw = new Float32Array(18);
    areaResizeRgbRegion(img, 1, 1, 5, 4, 2, 3, raw, 0, false);
    expect(Array.from(raw)).toEqual(Array.from(ref));
    const norm = new Float32Array(20);
    areaResizeRgbRegion(img, 1, 1, 5, 4, 2, 3, norm, 2, true);
    expect(Array.from(norm.subarray(2))).toEqual(Array.from(ref).map((v) => Math.fround((Math.fround(v - 127.5)) * 0.0078125)));
    expect(norm[0]).toBe(0);
  });
  it('maps 0 and 255 to -0.99609375 and 0.99609375', () => {
    const img = { data: Uint8Array.from([0, 255, 0]), width: 1, height: 1 };
    const out = new Float32Array(3);
    areaResizeRgbRegion(img, 0, 0, 1, 1, 1, 1, out, 0, true);
    expect(Array.from(out)).toEqual([-0.99609375, 0.99609375, -0.99609375]);
  });
});
