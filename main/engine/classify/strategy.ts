/**
 * The reference's per-model video score, `confident_strategy(pred, t=0.8)` from the DFDC
 * winner's `kernel_utils.py`, over all face probabilities of one video (all frames pooled):
 *
 *   fakes = count(p > t)
 *   if fakes > n // 2.5 and fakes > 11:     mean of the p > t            ('confident-fake')
 *   elif count(p < 0.2) > 0.9 * n:          mean of the p < 0.2          ('confident-real')
 *   else:                                   mean of all p                ('mean')
 *
 * `n // 2.5` is Python floor division of an int by a float; for integer n it equals
 * `Math.floor(n / 2.5)` = floor(2n / 5) exactly (checked in the tests). Comparisons are strict,
 * so p exactly 0.8 is not a fake and p exactly 0.2 is not "real"; the real branch needs
 * strictly more than 0.9·n (float64 product, as in Python).
 *
 * Precision: the reference applies np.mean to float32 arrays (numpy's float32 pairwise sum,
 * result rounded to float32). We compute the means in float64 over the given values. For the
 * float32 probabilities a model produces the two differ by at most a few float32 ulps
 * (< 1e-6 for n ≤ 127), which is far below anything the score is used for; the tests check
 * agreement with the reference fixture within 1e-6.
 *
 * Deliberate differences from the original (defects we do not copy): an empty list throws
 * (callers must report "no faces", never score 0.5), and a single face is scored normally
 * (the original crashed on it and fell back to 0.5).
 */
import { DeepscanError } from '../util/errors.js';

export type StrategyBranch = 'confident-fake' | 'confident-real' | 'mean';

export interface StrategyResult {
  value: number;
  branch: StrategyBranch;
}

/** Python's `n // 2.5` for a non-negative integer n. */
export function pyFloorDiv2p5(n: number): number {
  return Math.floor(n / 2.5);
}

export const CONFIDENT_THRESHOLD = 0.8;
export const REAL_THRESHOLD = 0.2;
export const MIN_CONFIDENT_FAKES = 11;

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function confidentStrategy(probs: readonly number[], t = CONFIDENT_THRESHOLD): StrategyResult {
  const n = probs.length;
  if (n === 0) throw new DeepscanError('invalid-argument', 'confidentStrategy needs at least one face probability (no faces found)');
  for (let i = 0; i < n; i++) {
    const p = probs[i];
    if (typeof p !== 'number' || Number.isNaN(p)) {
      throw new DeepscanError('invalid-argument', `Face probability ${i} is not a number (${String(p)})`);
    }
  }
  const fakes = probs.filter((p) => p > t);
  if (fakes.length > pyFloorDiv2p5(n) && fakes.length > MIN_CONFIDENT_FAKES) {
    return { value: mean(fakes), branch: 'confident-fake' };
  }
  const reals = probs.filter((p) => p < REAL_THRESHOLD);
  if (reals.length > 0.9 * n) {
    return { value: mean(reals), branch: 'confident-real' };
  }
  return { value: mean(probs), branch: 'mean' };
}
