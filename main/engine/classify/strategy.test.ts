import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { confidentStrategy, pyFloorDiv2p5, type StrategyBranch } from './strategy.js';
import { DeepscanError } from '../util/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');

const rep = (v: number, n: number): number[] => Array.from({ length: n }, () => v);
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

describe('pyFloorDiv2p5', () => {
  it('equals Python n // 2.5 = floor(2n / 5) for all n up to 100000', () => {
    for (let n = 0; n <= 100000; n++) {
      if (pyFloorDiv2p5(n) !== Math.floor((2 * n) / 5)) throw new Error(`n=${n}`);
    }
    expect([pyFloorDiv2p5(0), pyFloorDiv2p5(2), pyFloorDiv2p5(5), pyFloorDiv2p5(30), pyFloorDiv2p5(31), pyFloorDiv2p5(32), pyFloorDiv2p5(96)]).toEqual([0, 0, 2, 12, 12, 12, 38]);
  });
});

describe('confidentStrategy', () => {
  const cases: { name: string; probs: number[]; branch: StrategyBranch; value: number }[] = [
    { name: 'n=1 fake-ish (reference crashed → 0.5; we score it)', probs: [0.9], branch: 'mean', value: 0.9 },
    { name: 'n=1 real', probs: [0.1], branch: 'confident-real', value: 0.1 },
    { name: 'n=1 exactly 0.2 is not real', probs: [0.2], branch: 'mean', value: 0.2 },
    { name: '11 fakes of 12: not enough (needs > 11)', probs: [...rep(0.9, 11), 0.5], branch: 'mean', value: mean([...rep(0.9, 11), 0.5]) },
    { name: '12 fakes of 12', probs: rep(0.9, 12), branch: 'confident-fake', value: 0.9 },
    { name: '12 fakes of 30: 12 > 30//2.5 = 12 is false', probs: [...rep(0.95, 12), ...rep(0.5, 18)], branch: 'mean', value: mean([...rep(0.95, 12), ...rep(0.5, 18)]) },
    { name: '13 fakes of 30: 13 > 12', probs: [...rep(0.95, 13), ...rep(0.5, 17)], branch: 'confident-fake', value: 0.95 },
    { name: '12 fakes of 31: 31//2.5 = 12', probs: [...rep(0.95, 12), ...rep(0.5, 19)], branch: 'mean', value: mean([...rep(0.95, 12), ...rep(0.5, 19)]) },
    { name: '13 fakes of 32: 32//2.5 = 12', probs: [...rep(0.95, 13), ...rep(0.1, 19)], branch: 'confident-fake', value: 0.95 },
    { name: '12 fakes of 29: 29//2.5 = 11', probs: [...rep(0.85, 12), ...rep(0.3, 17)], branch: 'confident-fake', value: 0.85 },
    { name: 'p exactly 0.8 is not a fake', probs: [...rep(0.8, 20)], branch: 'mean', value: 0.8 },
    { name: 'fake mean only over p > 0.8', probs: [...rep(0.9, 10), ...rep(1.0, 10), ...rep(0.8, 5)], branch: 'confident-fake', value: 0.95 },
    { name: 'reals: 10 of 10 < 0.2', probs: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1], branch: 'confident-real', value: 0.055 },
    { name: 'reals: 9 of 10 is not > 0.9·10', probs: [...rep(0.1, 9), 0.5], branch: 'mean', value: mean([...rep(0.1, 9), 0.5]) },
    { name: 'reals: 19 of 20 > 18', probs: [...rep(0.1, 19), 0.7], branch: 'confident-real', value: 0.1 },
    { name: 'reals: 18 of 20 is not > 18', probs: [...rep(0.1, 18), 0.7, 0.7], branch: 'mean', value: mean([...rep(0.1, 18), 0.7, 0.7]) },
    { name: 'reals: 27 of 30 is not > 0.9·30 (= 27 exactly in float64)', probs: [...rep(0.1, 27), ...rep(0.5, 3)], branch: 'mean', value: mean([...rep(0.1, 27), ...rep(0.5, 3)]) },
    { name: 'reals: 28 of 30', probs: [...rep(0.1, 28), ...rep(0.5, 2)], branch: 'confident-real', value: 0.1 },
    { name: 'fake branch wins over real branch check order', probs: [...rep(0.99, 12)], branch: 'confident-fake', value: 0.99 },
  ];
  it.each(cases)('$name', ({ probs, branch, value }) => {
    const r = confidentStrategy(probs);
    expect(r.branch).toBe(branch);
    expect(r.value).toBeCloseTo(value, 12);
  });

  it('honours a custom threshold t', () => {
    const probs = [...rep(0.75, 12), ...rep(0.5, 3)];
    expect(confidentStrategy(probs).branch).toBe('mean');
    expect(confidentStrategy(probs, 0.7)).toEqual({ branch: 'confident-fake', value: 0.75 });
  });

  it('throws on no faces (never 0.5) and on NaN', () => {
    expect(() => confidentStrategy([])).toThrow(DeepscanError);
    expect(() => confidentStrategy([0.5, Number.NaN])).toThrow(DeepscanError);
  });

  it('matches the reference fixture for both videos (confident and mean within 1e-6)', () => {
    const ref = JSON.parse(readFileSync(path.join(fixtures, 'reference', 'three_faces.dfdc_b0_seed7.json'), 'utf8')) as {
      videos: { video: string; models: { probs: number[]; confident: number; mean: number }[]; score: number }[];
    };
    expect(ref.videos.length).toBeGreaterThanOrEqual(2);
    for (const v of ref.videos) {
      const m = v.models[0];
      const r = confidentStrategy(m.probs);
      expect(Math.abs(r.value - m.confident)).toBeLessThan(1e-6);
      expect(Math.abs(mean(m.probs) - m.mean)).toBeLessThan(1e-6);
      expect(Math.abs(r.value - v.score)).toBeLessThan(1e-6); // one model: the ensemble is that model
    }
  });
});
