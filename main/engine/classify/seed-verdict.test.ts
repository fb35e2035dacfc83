import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregate.js';
import { seedFaceCount, seedVerdict, type SeedFace } from './seed-verdict.js';

describe('seedFaceCount (the reference batch: frames × 4 slots, append while n + 1 < batch_size)', () => {
  it.each([
    [0, 32, 0], [1, 32, 1], [126, 32, 126], [127, 32, 127], [128, 32, 127], [500, 32, 127],
    [3, 1, 3], [4, 1, 3], [10, 1, 3], [40, 10, 39], [39, 10, 39], [7, 2, 7], [8, 2, 7],
  ])('%i faces over %i frames → %i scored', (faces, frames, expected) => {
    expect(seedFaceCount(faces, frames)).toBe(expected);
  });
});

describe('seedVerdict against a hand-computed video of 160 faces', () => {
  // 32 frames × 5 faces. The first 127 in frame-then-detection order (frames 0–24, and faces 0
  // and 1 of frame 25) score 0.1 for model A; the other 33 score 0.9. Model B scores 0.5 everywhere.
  const faces: SeedFace[] = [];
  const scores = new Map<number, Record<string, { prob: number }>>();
  let id = 1;
  for (let s = 0; s < 32; s++) for (let k = 0; k < 5; k++) {
    const first = s < 25 || (s === 25 && k < 2);
    faces.push({ id, sampleNo: s, faceNo: k });
    scores.set(id++, { A: { prob: first ? 0.1 : 0.9 }, B: { prob: 0.5 } });
  }
  // Stored order must not matter: shuffle deterministically.
  const shuffled = faces.map((f, i) => ({ f, key: (i * 7919) % 160 })).sort((a, b) => a.key - b.key).map((x) => x.f);

  it('uses exactly the first 127 faces: A is confident-real 0.1, B 0.5, seedScore 0.3', () => {
    const v = seedVerdict(shuffled, scores, ['A', 'B'], 32);
    expect(v.seedFaces).toBe(127);
    expect(v.models.A).toEqual({ value: expect.closeTo(0.1, 12), branch: 'confident-real' });
    expect(v.models.B.value).toBeCloseTo(0.5, 12);
    expect(v.seedScore).toBeCloseTo(0.3, 12);
  });

  it('differs from the all-faces score: A over 160 faces is the plain mean 42.4/160 = 0.265', () => {
    const all = aggregate(new Map([['A', faces.map((f) => scores.get(f.id)!.A.prob)], ['B', faces.map(() => 0.5)]]), 160);
    expect(all.models.A.branch).toBe('mean');
    expect(all.score).toBeCloseTo((0.265 + 0.5) / 2, 12);
  });

  it('skips faces without a score (empty crops) before applying the cap', () => {
    const extra = { id: 999, sampleNo: 0, faceNo: 9 };
    const v = seedVerdict([extra, ...faces], scores, ['A', 'B'], 32);
    expect(v.seedFaces).toBe(127);
    expect(v.seedScore).toBeCloseTo(0.3, 12);
  });

  it('is null with a note when there is no model or no face', () => {
    expect(seedVerdict(faces, scores, [], 32)).toMatchObject({ seedScore: null, seedFaces: 0, seedNote: 'no classifier model was run' });
    expect(seedVerdict([], scores, ['A'], 32)).toMatchObject({ seedScore: null, seedFaces: 0, seedNote: 'no face was scored in the sampled frames' });
  });
});
