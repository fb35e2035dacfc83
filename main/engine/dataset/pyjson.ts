/**
 * Python `json.dump` text (default separators `", "` and `": "`, floats as `repr`), so that the
 * exported `boxes/<id>.json` files read exactly like the seed's.
 */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e16) {
    // repr switches to exponent notation outside [1e-4, 1e16); mantissa digits are the shortest round-trip ones.
    const [m, e] = v.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(v);
  return Number.isInteger(v) ? `${s}.0` : s;
}

/** `json.dump` of `{frame: [[x0, y0, x1, y1], ...] | None}` with int keys in the given order. */
export function pyBoxesJson(boxes: ReadonlyMap<number, readonly (readonly number[])[] | null>): string {
  const parts: string[] = [];
  for (const [k, v] of boxes) {
    parts.push(`"${k}": ${v === null ? 'null' : `[${v.map((b) => `[${b.map(pyFloat).join(', ')}]`).join(', ')}]`}`);
  }
  return `{${parts.join(', ')}}`;
}
