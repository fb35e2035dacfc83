import { describe, expect, it } from 'vitest';
import { cubicCoefficients, resize, roundHalfEven, type Interpolation } from './cv-resize.js';
import { makeImage, type Channels, type Image8 } from './image.js';
import { DeepscanError } from '../util/errors.js';

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

function img(w: number, h: number, cn: Channels, seed: number): Image8 {
  return makeImage(w, h, cn, noise(w * h * cn, seed));
}

function px(im: Image8, x: number, y: number, c = 0): number {
  return im.data[(y * im.width + x) * im.channels + c];
}

describe('roundHalfEven (cvRound)', () => {
  it.each([
    [0.5, 0], [1.5, 2], [2.5, 2], [-0.5, -0], [-1.5, -2], [2.4999, 2], [2.5001, 3], [254.5, 254], [255.5, 256],
  ])('%d → %d', (x, r) => {
    expect(roundHalfEven(x) === r || (r === 0 && roundHalfEven(x) === 0)).toBe(true);
  });
});

describe('cubicCoefficients', () => {
  it('interpolates at x = 0 and sums to 1 in float32', () => {
    expect(cubicCoefficients(0)).toEqual([0, 1, 0, 0]);
    for (const x of [0.1, 0.25, 0.5, 0.75, 0.9]) {
      const c = cubicCoefficients(x);
      expect(Math.abs(c[0] + c[1] + c[2] + c[3] - 1)).toBeLessThan(1e-6);
      // Keys kernel with A = -0.75, evaluated in float64 for comparison.
      const k = (t: number): number => {
        const a = -0.75;
        t = Math.abs(t);
        if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
        if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
        return 0;
      };
      const ref = [k(x + 1), k(x), k(1 - x), k(2 - x)];
      for (let i = 0; i < 4; i++) expect(Math.abs(c[i] - ref[i])).toBeLessThan(1e-6);
    }
  });
});

describe('resize: invariants', () => {
  const cases: [number, number, number, number, Interpolation][] = [
    [432, 342, 380, 300, 'area'],
    [100, 60, 37, 22, 'area'],
    [40, 40, 20, 20, 'area'],
    [60, 45, 20, 15, 'area'],
    [30, 20, 380, 253, 'cubic'],
    [7, 5, 19, 13, 'cubic'],
    [30, 20, 61, 41, 'linear'],
    [30, 20, 13, 9, 'linear'],
    [10, 8, 25, 20, 'area'], // enlarging with INTER_AREA → OpenCV's bilinear emulation
  ];
  it.each(cases)('constant image stays constant: %dx%d → %dx%d (%s)', (w, h, dw, dh, interp) => {
    for (const cn of [1, 3, 4] as Channels[]) {
      for (const value of [0, 1, 127, 254, 255]) {
        const src = makeImage(w, h, cn, new Uint8Array(w * h * cn).fill(value));
        const out = resize(src, { width: dw, height: dh }, interp);
        expect([out.width, out.height, out.channels]).toEqual([dw, dh, cn]);
        expect(out.data.every((v) => v === value)).toBe(true);
      }
    }
  });

  it('same size is a copy', () => {
    const src = img(9, 7, 3, 1);
    const out = resize(src, { width: 9, height: 7 }, 'cubic');
    expect(out.data).toEqual(src.data);
    expect(out.data).not.toBe(src.data);
  });

  it('rejects empty targets and sources', () => {
    expect(() => resize(img(4, 4, 3, 1), { width: 0, height: 0 }, 'area')).toThrow(DeepscanError);
    expect(() => resize(makeImage(0, 0, 3), { width: 2, height: 2 }, 'area')).toThrow(DeepscanError);
    expect(() => resize(img(4, 4, 3, 1), { width: 2.5, height: 2 }, 'area')).toThrow(DeepscanError);
  });
});

describe('resize: INTER_AREA integer-scale fast path', () => {
  it('2x2 blocks round half up: (a+b+c+d+2) >> 2', () => {
    for (const cn of [1, 3, 4] as Channels[]) {
      const src = img(16, 10, cn, 3 + cn);
      const out = resize(src, { width: 8, height: 5 }, 'area');
      for (let y = 0; y < 5; y++)
        for (let x = 0; x < 8; x++)
          for (let c = 0; c < cn; c++) {
            const s = px(src, 2 * x, 2 * y, c) + px(src, 2 * x + 1, 2 * y, c) + px(src, 2 * x, 2 * y + 1, c) + px(src, 2 * x + 1, 2 * y + 1, c);
            expect(px(out, x, y, c)).toBe((s + 2) >> 2);
          }
    }
    // The tie case explicitly: sum 2 → 1 (half up), not 0 (half even).
    const tie = makeImage(2, 2, 1, Uint8Array.from([0, 0, 1, 1]));
    expect(resize(tie, { width: 1, height: 1 }, 'area').data[0]).toBe(1);
  });

  it('INTER_LINEAR with an exact 2x shrink is the area fast path', () => {
    const src = img(20, 12, 3, 11);
    expect(resize(src, { width: 10, height: 6 }, 'linear').data).toEqual(resize(src, { width: 10, height: 6 }, 'area').data);
  });

  it('4x4 blocks: float32 sum * (1/16) rounded half to even', () => {
    const src = img(16, 8, 3, 5);
    const out = resize(src, { width: 4, height: 2 }, 'area');
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let yy = 0; yy < 4; yy++) for (let xx = 0; xx < 4; xx++) s += px(src, 4 * x + xx, 4 * y + yy, c);
          expect(px(out, x, y, c)).toBe(roundHalfEven(s / 16));
        }
    // Ties go to even: sum 8 → 0.5 → 0, sum 24 → 1.5 → 2.
    const t1 = makeImage(4, 4, 1, Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(resize(t1, { width: 1, height: 1 }, 'area').data[0]).toBe(0);
    const t2 = makeImage(4, 4, 1, Uint8Array.from([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]));
    expect(resize(t2, { width: 1, height: 1 }, 'area').data[0]).toBe(2);
  });

  it('3x3 blocks follow float32 sum * float32(1/9)', () => {
    const src = img(9, 6, 1, 8);
    const out = resize(src, { width: 3, height: 2 }, 'area');
    const ninth = Math.fround(1 / 9);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 3; x++) {
        let s = 0;
        for (let yy = 0; yy < 3; yy++) for (let xx = 0; xx < 3; xx++) s += px(src, 3 * x + xx, 3 * y + yy);
        expect(px(out, x, y)).toBe(roundHalfEven(Math.fround(s * ninth)));
      }
  });

  it('fx/fy form with a partial last block averages what exists (OpenCV semantics)', () => {
    // 7 wide × 4 high, fx = fy = 0.5 → dsize = (round(3.5) = 4, 2); last column has one source column.
    const src = img(7, 4, 1, 9);
    const out = resize(src, null, 'area', 0.5, 0.5);
    expect([out.width, out.height]).toEqual([4, 2]);
    for (let y = 0; y < 2; y++) {
      const s = px(src, 6, 2 * y) + px(src, 6, 2 * y + 1);
      expect(px(out, 3, y)).toBe(roundHalfEven(Math.fround(s / 2)));
    }
  });
});

describe('resize: INTER_AREA general path', () => {
  /** Exact area average in float64 — OpenCV's weights and float32 sums may differ by one level at ties. */
  function areaRef(src: Image8, dw: number, dh: number): Float64Array {
    const cn = src.channels;
    const sx = src.width / dw;
    const sy = src.height / dh;
    const out = new Float64Array(dw * dh * cn);
    const cover = (d: number, s: number, scale: number): number => Math.max(0, Math.min(d * scale + scale, s + 1) - Math.max(d * scale, s));
    for (let y = 0; y < dh; y++)
      for (let x = 0; x < dw; x++)
        for (let c = 0; c < cn; c++) {
          let acc = 0;
          for (let yy = Math.floor(y * sy); yy < Math.min(src.height, Math.ceil((y + 1) * sy)); yy++) {
            const wy = cover(y, yy, sy);
            for (let xx = Math.floor(x * sx); xx < Math.min(src.width, Math.ceil((x + 1) * sx)); xx++) acc += wy * cover(x, xx, sx) * px(src, xx, yy, c);
          }
          out[(y * dw + x) * cn + c] = acc / (sx * sy);
        }
    return out;
  }

  it.each([
    [108, 86, 95, 75],
    [137, 99, 127, 91],
    [50, 40, 17, 13],
    [10, 10, 3, 7],
  ])('%dx%d → %dx%d is the area average (within float32 rounding)', (w, h, dw, dh) => {
    const src = img(w, h, 3, w * 7 + h);
    const out = resize(src, { width: dw, height: dh }, 'area');
    const ref = areaRef(src, dw, dh);
    let exact = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(out.data[i] - ref[i]);
      expect(d).toBeLessThanOrEqual(0.5 + 1e-3);
      if (out.data[i] === Math.round(ref[i])) exact++;
    }
    expect(exact / ref.length).toBeGreaterThan(0.99);
  });
});

describe('resize: INTER_LINEAR fixed point', () => {
  it('matches hand-computed OpenCV values for a 2→4 enlargement', () => {
    // fx = (dx+0.5)/2 - 0.5 → -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the last pixel);
    // 255*0.25 = 63.75 → ((2048*((255*512)>>4))>>16 + 2) >> 2 = 64; 191.25 → 191.
    const src = makeImage(2, 1, 1, Uint8Array.from([0, 255]));
    expect(Array.from(resize(src, { width: 4, height: 1 }, 'linear').data)).toEqual([0, 64, 191, 255]);
  });
});

describe('resize: INTER_CUBIC fixed point', () => {
  it('reproduces OpenCV’s own (non-IPP) result from opencv issue #22477', () => {
    // [[0,255,0],[255,0,255]] with fx = fy = 1.5: OpenCV's own code gives 155 at [0,1]
    // (macOS/ARM wheels and Linux 4.2); x86 wheels with IPP give 156.
    const src = makeImage(3, 2, 1, Uint8Array.from([0, 255, 0, 255, 0, 255]));
    const out = resize(src, null, 'cubic', 1.5, 1.5);
    expect([out.width, out.height]).toEqual([4, 3]); // round(4.5) = 4 (half to even), 3
    expect(px(out, 1, 0)).toBe(155);
  });

  it('is close to a float64 Keys-cubic reference with replicated borders', () => {
    const src = img(23, 17, 3, 77);
    const dw = 61;
    const dh = 40;
    const out = resize(src, { width: dw, height: dh }, 'cubic');
    const k = (t: number): number => {
      const a = -0.75;
      t = Math.abs(t);
      if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
      if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
      return 0;
    };
    const clampi = (v: number, n: number): number => Math.min(Math.max(v, 0), n - 1);
    let maxd = 0;
    for (let y = 0; y < dh; y++) {
      const fy = (y + 0.5) * (17 / dh) - 0.5;
      const y0 = Math.floor(fy);
      for (let x = 0; x < dw; x++) {
        const fx = (x + 0.5) * (23 / dw) - 0.5;
        const x0 = Math.floor(fx);
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let j = -1; j <= 2; j++)
            for (let i = -1; i <= 2; i++) v += k(fy - (y0 + j)) * k(fx - (x0 + i)) * px(src, clampi(x0 + i, 23), clampi(y0 + j, 17), c);
          const r = Math.min(255, Math.max(0, v));
          maxd = Math.max(maxd, Math.abs(px(out, x, y, c) - r));
        }
      }
    }
    expect(maxd).toBeLessThanOrEqual(1.5);
  });
});
