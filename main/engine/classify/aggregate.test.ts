import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregate.js';

describe('video and person aggregation', () => {
  it('says why there is no score instead of defaulting to 0.5', () => {
    expect(aggregate(new Map(), 10)).toMatchObject({ score: null, note: expect.stringMatching(/no classifier model/) });
    expect(aggregate(new Map([['m', []]]), 0)).toMatchObject({ score: null, note: expect.stringMatching(/no face was detected/) });
    expect(aggregate(new Map([['m', []]]), 2)).toMatchObject({ score: null, note: expect.stringMatching(/could be scored/) });
  });

  it('scores one face (the reference crashed to 0.5 on exactly one face)', () => {
    expect(aggregate(new Map([['m', [0.9]]]), 1)).toMatchObject({ score: 0.9, models: { m: { value: 0.9, branch: 'mean', faces: 1 } } });
  });

  it('takes the plain mean of the per-model strategy values', () => {
    const fakes = Array.from({ length: 20 }, () => 0.95);
    const reals = Array.from({ length: 20 }, () => 0.05);
    const v = aggregate(new Map([['a', fakes], ['b', reals]]), 20);
    expect(v.models.a).toMatchObject({ branch: 'confident-fake' });
    expect(v.models.b).toMatchObject({ branch: 'confident-real' });
    expect(v.score).toBeCloseTo((0.95 + 0.05) / 2, 12);
  });
});
