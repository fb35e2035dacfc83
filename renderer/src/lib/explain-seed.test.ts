import { describe, expect, it } from 'vitest';
import { explainSeed } from './explain.js';

describe('explainSeed', () => {
  it('explains the 127-face cap when the seed-exact score differs', () => {
    const t = explainSeed({ score: 0.3825, seed: { score: 0.3, faces: 127, note: null, totalFaces: 160 } });
    expect(t).toBe('Seed-exact score = 0.300 (what the DFDC winner itself outputs; its published accuracy applies to this number), video score = 0.383: ' +
      'the winning solution scores only the first 127 faces in frame then detection order and drops the other 33; the video score uses all 160.');
  });

  it('says when the two agree, and when there is no seed-exact score', () => {
    expect(explainSeed({ score: 0.5, seed: { score: 0.5, faces: 40, note: null, totalFaces: 40 } })).toBe('Seed-exact score = 0.500, the same: the winning solution would also have used all 40 faces.');
    expect(explainSeed({ score: null, seed: { score: null, faces: 0, note: 'no classifier model was run', totalFaces: 3 } })).toBe('Seed-exact score: not available (no classifier model was run).');
    expect(explainSeed({ score: null, seed: null })).toBeNull();
  });
});
