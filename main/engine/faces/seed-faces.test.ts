import { describe, expect, it } from 'vitest';
import type { DetectedFace } from './mtcnn.js';
import { cutRgb, pyFloorDiv, pySlice, scaleBoxToFull, seedCropRect, seedFacesFromDetections } from './seed-faces.js';

describe('Python semantics', () => {
  it('floor division rounds toward -inf', () => {
    expect(pyFloorDiv(7, 3)).toBe(2);
    expect(pyFloorDiv(-7, 3)).toBe(-3);
    expect(pyFloorDiv(-1, 3)).toBe(-1);
    expect(pyFloorDiv(0, 3)).toBe(0);
  });
  it('slices clamp past the end, count negative stops from the end, never go backwards', () => {
    expect(pySlice(10, 2000, 1080)).toEqual([10, 1080]);
    expect(pySlice(0, -5, 100)).toEqual([0, 95]);
    expect(pySlice(50, 20, 100)).toEqual([50, 50]);
    expect(pySlice(0, -500, 100)).toEqual([0, 0]);
    expect(pySlice(200, 300, 100)).toEqual([100, 100]);
  });
  it('int(b * 2) truncates toward zero (negative coordinates included)', () => {
    expect(scaleBoxToFull(533.3277587890625)).toBe(1066);
    expect(scaleBoxToFull(-3.7)).toBe(-7);
    expect(scaleBoxToFull(-0.2)).toBe(0);
  });
});

describe('seedCropRect', () => {
  it('reference frame 0 face 0: 1/3 margins, crop shape [432, 342]', () => {
    // boxes_half [533.3277587890625, 76.61515045166016, 636.372314453125, 206.55458068847656]
    const box = [533.3277587890625, 76.61515045166016, 636.372314453125, 206.55458068847656].map(scaleBoxToFull) as [number, number, number, number];
    expect(box).toEqual([1066, 153, 1272, 413]);
    // w 206 → p_w 68, h 260 → p_h 86
    const rect = seedCropRect(box, 1920, 1080);
    expect(rect).toEqual([998, 67, 1340, 499]);
    expect([rect[3] - rect[1], rect[2] - rect[0]]).toEqual([432, 342]);
  });
  it('clamps the near edge with max(…, 0) and the far edge like numpy', () => {
    expect(seedCropRect([10, 5, 100, 95], 120, 100)).toEqual([0, 0, 120, 100]);
  });
  it('negative box corners (face cut by the frame edge)', () => {
    // xmin -7: w = 57 → p_w 19 → start max(-26, 0) = 0; ymin -3, h = 43 → p_h 14.
    expect(seedCropRect([-7, -3, 50, 40], 200, 200)).toEqual([0, 0, 69, 54]);
  });
  it('a degenerate box with negative width uses floor division (p_w = -1)', () => {
    // xmin 10, xmax 8: w = -2 → p_w = -1 → [max(11, 0) : 7] → empty
    const r = seedCropRect([10, 10, 8, 40], 100, 100);
    expect(r[2] - r[0]).toBe(0);
  });
});

describe('seedFacesFromDetections', () => {
  it('scales boxes and landmarks ×2 and cuts the crop pixels', () => {
    const W = 40;
    const H = 30;
    const data = new Uint8Array(W * H * 3);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const det: DetectedFace = { box: [5.6, 4.2, 11.9, 10.1], prob: 0.99, landmarks: [[7, 6], [10, 6], [8.5, 7.5], [7, 9], [10, 9]] };
    const [f] = seedFacesFromDetections({ data, width: W, height: H }, [det]);
    expect(f!.box).toEqual([11, 8, 23, 20]);
    expect(f!.detector).toEqual({ box: [5.6, 4.2, 11.9, 10.1], prob: 0.99 });
    expect(f!.landmarks[2]).toEqual([17, 15]);
    // w 12 → p 4; h 12 → p 4 → x 7..27, y 4..24
    expect(f!.crop).toEqual([7, 4, 27, 24]);
    expect(f!.cropPixels.length).toBe(20 * 20 * 3);
    expect(f!.cropPixels[0]).toBe(data[(4 * W + 7) * 3]);
    expect(f!.cropPixels[f!.cropPixels.length - 1]).toBe(data[(23 * W + 26) * 3 + 2]);
  });
  it('an empty rectangle gives an empty buffer', () => {
    expect(cutRgb({ data: new Uint8Array(12), width: 2, height: 2 }, [1, 1, 1, 2]).length).toBe(0);
  });
});
