import { describe, expect, it } from 'vitest';
import { type Box, iou, linkTracks } from './tracks.js';

const box = (cx: number, cy: number, s: number): Box => [cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2];

describe('iou', () => {
  it('hand-computed overlaps', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
  });
});

describe('linkTracks', () => {
  it('keeps identities for static faces regardless of detection order', () => {
    const a = box(100, 100, 50);
    const b = box(300, 100, 50);
    const ids = linkTracks([[a, b], [b, a], [a, b]]);
    expect(ids).toEqual([[0, 1], [1, 0], [0, 1]]);
  });

  it('follows two faces whose paths cross (constant velocity)', () => {
    const frames: Box[][] = [];
    for (let f = 0; f < 11; f++) {
      // A moves right, B moves left, same row: they overlap completely at f = 5.
      const a = box(100 + 40 * f, 200, 60);
      const b = box(500 - 40 * f, 200, 60);
      frames.push(f % 2 === 0 ? [a, b] : [b, a]);
    }
    const ids = linkTracks(frames);
    const aId = ids[0]![0]!;
    const bId = ids[0]![1]!;
    expect(aId).not.toBe(bId);
    ids.forEach((frame, f) => {
      const [first, second] = frame;
      if (f === 5) return; // identical boxes: either assignment is a valid answer
      expect(f % 2 === 0 ? [first, second] : [second, first]).toEqual([aId, bId]);
    });
    // After the crossing the identities are still right.
    expect(ids[10]).toEqual([aId, bId]);
  });

  it('bridges a face missed for one or two frames, but not three', () => {
    const a = box(100, 100, 40);
    const drift = (k: number): Box => box(100 + 2 * k, 100, 40);
    const ids = linkTracks([[a], [], [drift(2)], [], [], [drift(5)], [], [], [], [drift(9)]]);
    expect(ids).toEqual([[0], [], [0], [], [], [0], [], [], [], [1]]);
  });

  it('a new face entering gets a new id, existing ones keep theirs', () => {
    const a = box(100, 100, 40);
    const c = box(600, 300, 45);
    const ids = linkTracks([[a], [a], [c, a], [a, c]]);
    expect(ids).toEqual([[0], [0], [1, 0], [0, 1]]);
  });

  it('does not join boxes of very different size or far apart', () => {
    const ids = linkTracks([[box(100, 100, 40)], [box(100, 100, 120)], [box(400, 100, 40)]]);
    expect(ids).toEqual([[0], [1], [2]]);
  });

  it('is deterministic', () => {
    const frames: Box[][] = [
      [box(10, 10, 20), box(40, 10, 20), box(25, 40, 20)],
      [box(12, 10, 20), box(38, 10, 20), box(25, 42, 20)],
    ];
    expect(linkTracks(frames)).toEqual(linkTracks(frames));
    expect(linkTracks([])).toEqual([]);
  });
});
