import { describe, expect, it } from 'vitest';
import { colorize, colormap, colormapLut } from './colormap.js';

/** Relative luminance (Rec. 709 on the 8-bit values; enough to check monotonic lightness). */
const lum = ([r, g, b]: number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe('colormap', () => {
  it('runs from dark blue to yellow and clamps outside [0, 1]', () => {
    expect(colormap(0)).toEqual([68, 1, 84]);
    expect(colormap(1)).toEqual([253, 231, 37]);
    expect(colormap(-3)).toEqual(colormap(0));
    expect(colormap(7)).toEqual(colormap(1));
    expect(colormap(Number.NaN)).toEqual(colormap(0));
  });

  it('gets lighter with every step, so it reads in greyscale print', () => {
    const lut = colormapLut();
    for (let v = 1; v < 256; v++) {
      const prev = lum([...lut.subarray((v - 1) * 3, v * 3)]);
      expect(lum([...lut.subarray(v * 3, v * 3 + 3)])).toBeGreaterThanOrEqual(prev);
    }
    expect(lum([...lut.subarray(255 * 3)]) - lum([...lut.subarray(0, 3)])).toBeGreaterThan(150);
  });

  it('colorizes against a stated value scale', () => {
    const px = colorize([0.1, 0.3, 0.2], 0.1, 0.3);
    expect([...px.subarray(0, 3)]).toEqual(colormap(0));
    expect([...px.subarray(3, 6)]).toEqual(colormap(1));
    expect([...px.subarray(6, 9)]).toEqual(colormap(0.5));
  });
});
