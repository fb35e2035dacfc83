import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregate.js';
import { trackVerdicts } from './person-verdicts.js';

describe('per-person verdicts', () => {
  it('aggregates each track like the video, leaves untracked faces out, lists the frames once', () => {
    const faces = [
      { id: 1, track: 1, frameIndex: 0 }, { id: 2, track: 0, frameIndex: 0 }, { id: 3, track: 1, frameIndex: 9 },
      { id: 4, track: null, frameIndex: 9 }, { id: 5, track: 1, frameIndex: 9 },
    ];
    const p = (a: number, b: number) => ({ a: { prob: a }, b: { prob: b } });
    const scores = new Map([[1, p(0.9, 0.95)], [2, p(0.1, 0.2)], [3, p(0.85, 0.99)], [4, p(0.99, 0.99)], [5, p(0.97, 0.9)]]);
    const v = trackVerdicts(faces, scores, ['a', 'b']);
    expect(v.map((t) => [t.id, t.faces, t.frames])).toEqual([[0, 1, [0]], [1, 3, [0, 9]]]);
    const expected = aggregate(new Map([['a', [0.9, 0.85, 0.97]], ['b', [0.95, 0.99, 0.9]]]), 3, 'person').score;
    expect(v[1].score).toBe(expected);
    expect(v[1].score).not.toBeNull();
  });

  it('a track without scores has no score (never 0.5)', () => {
    expect(trackVerdicts([{ id: 1, track: 0, frameIndex: 0 }], new Map(), [])).toEqual([{ id: 0, score: null, faces: 1, frames: [0] }]);
  });
});
