/**
 * One perceptual colour map for every value image Deepscan shows or prints (difference masks,
 * model attention): monotonic in lightness, readable in greyscale print and by colour-blind
 * readers, unlike rainbow maps whose bright bands invent structure. The stops sample the
 * standard "viridis" map (dark blue → green → yellow) at nine evenly spaced values; between
 * stops the colour is interpolated linearly, which is indistinguishable at 8 bits per channel
 * for a legend and close enough for overlays. Pure data and arithmetic: common/ is shared by the
 * engine (PDF) and the renderer (canvas overlays and legends).
 */

/** [value in 0…1, r, g, b] */
const STOPS: readonly (readonly [number, number, number, number])[] = [
  [0.0, 68, 1, 84],
  [0.125, 71, 44, 122],
  [0.25, 59, 81, 139],
  [0.375, 44, 113, 142],
  [0.5, 33, 144, 141],
  [0.625, 39, 173, 129],
  [0.75, 92, 200, 99],
  [0.875, 170, 220, 50],
  [1.0, 253, 231, 37],
];

export type Rgb = [number, number, number];

/** The map's colour for t in [0, 1] (clamped; NaN maps to the lowest colour). */
export function colormap(t: number): Rgb {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  let i = 0;
  while (i < STOPS.length - 2 && x > STOPS[i + 1][0]) i++;
  const [t0, r0, g0, b0] = STOPS[i];
  const [t1, r1, g1, b1] = STOPS[i + 1];
  const f = (x - t0) / (t1 - t0);
  return [Math.round(r0 + (r1 - r0) * f), Math.round(g0 + (g1 - g0) * f), Math.round(b0 + (b1 - b0) * f)];
}

/** A 256-entry lookup table (index = 8-bit value), RGB interleaved. */
export function colormapLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) lut.set(colormap(v / 255), v * 3);
  return lut;
}

/** CSS colour string for t in [0, 1]. */
export function colormapCss(t: number): string {
  const [r, g, b] = colormap(t);
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Maps values onto the colour map between `min` and `max` (a value scale that the legend then
 * states). Returns interleaved RGB, one pixel per value.
 */
export function colorize(values: ArrayLike<number>, min: number, max: number): Uint8Array {
  const out = new Uint8Array(values.length * 3);
  const span = max > min ? max - min : 1;
  for (let i = 0; i < values.length; i++) out.set(colormap((values[i] - min) / span), i * 3);
  return out;
}
