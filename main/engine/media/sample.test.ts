import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sampleFrameIndices } from './sample.js';
import { referenceJson } from '../../../test/helpers/media-kit.js';

describe('sampleFrameIndices', () => {
  it('matches the reference frame_idxs of both fixture videos (300 frames, 32 samples)', () => {
    const ref = JSON.parse(fs.readFileSync(referenceJson, 'utf8')) as { videos: Array<{ frame_idxs: number[] }> };
    expect(ref.videos.length).toBe(2);
    for (const v of ref.videos) expect(sampleFrameIndices(300, 32)).toEqual(v.frame_idxs);
  });

  // Expected values from numpy 2.4: [int(x) for x in np.floor(np.linspace(0, c - 1, n))]
  const table: Array<[number, number, number[]]> = [
    [1, 32, Array<number>(32).fill(0)],
    [2, 32, [...Array<number>(31).fill(0), 1]],
    [31, 32, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]],
    [32, 32, Array.from({ length: 32 }, (_, i) => i)],
    [33, 32, [...Array.from({ length: 31 }, (_, i) => i), 32]],
    [1000, 32, [0, 32, 64, 96, 128, 161, 193, 225, 257, 290, 322, 354, 386, 418, 451, 483, 515, 547, 580, 612, 644, 676, 708, 741, 773, 805, 837, 870, 902, 934, 966, 999]],
    [5, 1, [0]],
    [1, 1, [0]],
    [100, 3, [0, 49, 99]],
    [7, 4, [0, 2, 4, 6]],
    [2, 2, [0, 1]],
  ];
  it.each(table)('frameCount %i, n %i equals numpy', (count, n, expected) => {
    expect(sampleFrameIndices(count, n)).toEqual(expected);
  });

  it('defaults to 32 samples and always ends on the last frame', () => {
    for (const c of [33, 47, 299, 301, 1799, 123457]) {
      const s = sampleFrameIndices(c);
      expect(s.length).toBe(32);
      expect(s[0]).toBe(0);
      expect(s[31]).toBe(c - 1);
    }
  });

  it('refuses zero or invalid frame counts and sample sizes', () => {
    expect(() => sampleFrameIndices(0)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => sampleFrameIndices(-3)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => sampleFrameIndices(2.5)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => sampleFrameIndices(10, 0)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});
