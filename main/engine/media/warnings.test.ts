import { describe, expect, it } from 'vitest';
import { decodeErrorsWarning, substitutedWarning, timestampWarnings, truncatedWarning } from './warnings.js';

describe('media warnings', () => {
  it('truncated only when fewer frames decode than were promised', () => {
    expect(truncatedWarning(300, 133)).toEqual({ code: 'truncated', message: 'truncated: 133 of 300 frames decodable; sampled over those 133' });
    expect(truncatedWarning(300, 300)).toBeNull();
    expect(truncatedWarning(0, 40)).toBeNull(); // no promise (no container count)
  });

  it('decode errors with their count and first lines', () => {
    expect(decodeErrorsWarning({ errorLines: 0, firstErrors: [] })).toBeNull();
    expect(decodeErrorsWarning({ errorLines: 1, firstErrors: ['Invalid NAL unit size (853 > 576).'] })?.message)
      .toBe('decode-errors: ffmpeg reported 1 error while decoding; first: "Invalid NAL unit size (853 > 576)."');
  });

  it('timestamps that go backwards or repeat across distinct sampled frames', () => {
    const clean = [{ index: 0, ptsSec: 0 }, { index: 10, ptsSec: 0.4 }, { index: 20, ptsSec: 0.8 }];
    expect(timestampWarnings(clean)).toEqual([]);
    // A short video sampled with repeats: the same frame twice is not a duplicated timestamp.
    expect(timestampWarnings([{ index: 0, ptsSec: 0 }, { index: 0, ptsSec: 0 }, { index: 1, ptsSec: 0.04 }])).toEqual([]);
    const w = timestampWarnings([{ index: 0, ptsSec: 0 }, { index: 10, ptsSec: 0.4 }, { index: 20, ptsSec: 0.2 }, { index: 30, ptsSec: 0.2 }]);
    expect(w.map((x) => x.code)).toEqual(['timestamps-non-monotonic', 'timestamps-duplicated']);
    expect(w[0].message).toBe('timestamps-non-monotonic: timestamps go backwards at 1 sampled frame: frame 20 at 0.2s after frame 10 at 0.4s');
    expect(w[1].message).toBe('timestamps-duplicated: equal timestamps at 1 sampled frame pair: frames 20 and 30 at 0.2s');
    expect(timestampWarnings([{ index: 0, ptsSec: null }, { index: 5, ptsSec: null }])).toEqual([]);
  });

  it('frame-substituted names the planned frames past the decodable end', () => {
    expect(substitutedWarning([0, 100, 200, 299], 137)?.message).toBe('frame-substituted: 2 planned frames (200, 299) could not be decoded; the sample was drawn again over the 137 decodable frames');
    expect(substitutedWarning([0, 50, 99], 137)).toBeNull();
  });
});
