import { describe, expect, it } from 'vitest';
import {
  applyPnetRegression,
  bbreg,
  type Cand,
  generateBoundingBoxes,
  landmarksFromOnet,
  largestFirstOrder,
  nmsNumpy,
  nmsTorchvision,
  padCrop,
  pyramidLevelSize,
  pyramidScales,
  rerec,
} from './mtcnn-math.js';

const cand = (x1: number, y1: number, x2: number, y2: number, score: number): Cand => ({ x1, y1, x2, y2, score, reg: [0, 0, 0, 0] });

describe('pyramid', () => {
  it('960×540, min face 20, factor 0.709: 10 levels, first 577×325', () => {
    const s = pyramidScales(960, 540, 20, 0.709);
    // min side × scale: 324, 229.7, 162.9, 115.5, 81.9, 58.0, 41.2, 29.2, 20.7, 14.7 (next 10.4 < 12)
    expect(s).toHaveLength(10);
    expect(s[0]).toBe(0.6);
    expect(s[1]).toBe(0.6 * 0.709);
    expect(pyramidLevelSize(960, 540, s[0]!)).toEqual({ w: 577, h: 325 });
    const last = s[9]!;
    expect(pyramidLevelSize(960, 540, last)).toEqual({ w: Math.trunc(960 * last + 1), h: Math.trunc(540 * last + 1) });
  });
  it('an image whose short side is below 20 px has no level', () => {
    expect(pyramidScales(100, 19, 20, 0.709)).toEqual([]);
    expect(pyramidScales(20, 20, 20, 0.709)).toEqual([0.6]);
  });
});

describe('generateBoundingBoxes', () => {
  it('maps cells to 12-px windows at stride 2, dividing by the float32 scale', () => {
    const H = 4;
    const W = 5;
    const reg = new Float32Array(4 * H * W);
    const prob = new Float32Array(H * W);
    prob[3 * W + 3] = 0.9; // y=3, x=3
    prob[0 * W + 1] = Math.fround(0.7); // exactly the threshold: kept (>=)
    prob[2 * W + 0] = 0.69;
    reg[3 * W + 3] = 0.1;
    reg[H * W + 3 * W + 3] = 0.2;
    reg[2 * H * W + 3 * W + 3] = 0.3;
    reg[3 * H * W + 3 * W + 3] = 0.4;
    const boxes = generateBoundingBoxes(reg, 0, prob, 0, H, W, 0.6, 0.7);
    expect(boxes).toHaveLength(2);
    // Row-major order: (y=0,x=1) first.
    // 3/0.6f = 4.99999980 rounds to 5.0f; 12/0.6f = 19.9999992 rounds to 20.0f.
    expect(boxes[0]).toMatchObject({ x1: 5, y1: 1, x2: 23, y2: 20 });
    // (2*3+12)/0.6f = 29.999998 in float32 → 29 (double arithmetic would give 30).
    expect(boxes[1]).toMatchObject({ x1: 11, y1: 11, x2: 29, y2: 29, score: Math.fround(0.9) });
    expect(boxes[1]!.reg).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
  });
});

describe('nmsTorchvision', () => {
  it('suppresses IoU > threshold (areas without +1), keeps score-descending order', () => {
    const boxes = [cand(0, 0, 10, 10, 0.8), cand(1, 0, 11, 10, 0.9), cand(20, 20, 30, 30, 0.85), cand(0, 5, 10, 15, 0.7)];
    // IoU(b1, b0) = 90 / 110 = 0.818 > 0.5 → b0 suppressed; IoU(b1, b3) = 45 / 155 = 0.29.
    expect(nmsTorchvision(boxes, 0.5)).toEqual([1, 2, 3]);
  });
  it('IoU exactly at the threshold is kept', () => {
    // inter 50, union 100 → 0.5, not > 0.5.
    const boxes = [cand(0, 0, 10, 10, 0.9), cand(0, 5, 10, 15, 0.8)];
    expect(boxes.length).toBe(2);
    const b = [cand(0, 0, 10, 10, 0.9), cand(0, 0, 10, 5, 0.8)]; // inter 50, union 100
    expect(nmsTorchvision(b, 0.5)).toEqual([0, 1]);
  });
  it('ties in score keep input order (stable sort)', () => {
    const boxes = [cand(0, 0, 10, 10, 1), cand(1, 1, 11, 11, 1), cand(50, 50, 60, 60, 1)];
    expect(nmsTorchvision(boxes, 0.5)).toEqual([0, 2]);
  });
  it('empty input', () => {
    expect(nmsTorchvision([], 0.5)).toEqual([]);
  });
});

describe('nmsNumpy (Min)', () => {
  it('uses +1 areas and the smaller area: a box inside a bigger one is suppressed', () => {
    // Small box fully inside: inter = 11*11 = 121, min area 121 → 1 > 0.7.
    const boxes = [cand(0, 0, 100, 100, 0.9), cand(10, 10, 20, 20, 0.95), cand(200, 200, 250, 250, 0.5)];
    expect(nmsNumpy(boxes, 0.7, 'Min')).toEqual([1, 2]);
  });
  it('keeps overlap <= threshold; ties pick the later index first', () => {
    // overlap in x: 0..6 and 3..9 → xx2-xx1+1 = 4; heights 7 → inter 28, min area 49 → 0.571 <= 0.7 kept
    const boxes = [cand(0, 0, 6, 6, 0.9), cand(3, 0, 9, 6, 0.9)];
    expect(nmsNumpy(boxes, 0.7, 'Min')).toEqual([1, 0]);
  });
});

describe('regression and squaring', () => {
  it('P-Net regression uses the width without +1', () => {
    const b: Cand = { x1: 10, y1: 20, x2: 30, y2: 60, score: 0.9, reg: [0.1, -0.1, 0.05, 0.2] };
    const r = applyPnetRegression(b);
    expect(r.x1).toBe(Math.fround(10 + Math.fround(Math.fround(0.1) * 20)));
    expect(r.y1).toBe(Math.fround(20 + Math.fround(Math.fround(-0.1) * 40)));
    expect(r.x2).toBe(Math.fround(30 + Math.fround(Math.fround(0.05) * 20)));
    expect(r.y2).toBe(Math.fround(60 + Math.fround(Math.fround(0.2) * 40)));
    expect(r.score).toBe(0.9);
  });
  it('bbreg uses the width + 1', () => {
    const r = bbreg(cand(10, 20, 29, 59, 0.9), [0.5, 0.25, -0.5, 0]);
    expect([r.x1, r.y1, r.x2, r.y2]).toEqual([20, 30, 19, 59]);
  });
  it('rerec squares on the longer side around the centre', () => {
    const r = rerec(cand(10, 20, 30, 60, 1)); // w 20, h 40
    expect([r.x1, r.y1, r.x2, r.y2]).toEqual([0, 20, 40, 60]);
    const r2 = rerec(cand(0, 0, 7, 3, 1)); // w 7, h 3 → y1 = 0 + 1.5 - 3.5 = -2
    expect([r2.x1, r2.y1, r2.x2, r2.y2]).toEqual([0, -2, 7, 5]);
  });
});

describe('padCrop', () => {
  it('truncates, clamps to [1, size] and slices [y-1:ey, x-1:ex]', () => {
    expect(padCrop(cand(10.7, 20.2, 30.9, 40.5, 1), 100, 100)).toEqual({ x0: 9, y0: 19, w: 21, h: 21 });
    // Negative corner: trunc(-5.5) = -5 → 1 → slice from 0; far edge clamped to the size.
    expect(padCrop(cand(-5.5, -0.5, 120.2, 50, 1), 100, 80)).toEqual({ x0: 0, y0: 0, w: 100, h: 50 });
  });
  it('a box entirely outside the image gives no crop', () => {
    expect(padCrop(cand(-30, 10, -5, 20, 1), 100, 100)).toBeNull();
    expect(padCrop(cand(150, 10, 170, 20, 1), 100, 100)).toBeNull();
  });
});

describe('landmarks and output order', () => {
  it('landmarks = (w+1) * p + x1 - 1 on the box before regression', () => {
    const pts = Float32Array.from([0.25, 0.75, 0.5, 0.3, 0.7, 0.4, 0.4, 0.6, 0.8, 0.8]);
    const lm = landmarksFromOnet(cand(10, 20, 49, 99, 1), pts, 0); // w+1 = 40, h+1 = 80
    expect(lm[0]).toEqual([Math.fround(Math.fround(40 * pts[0]!) + 10) - 1, Math.fround(Math.fround(80 * pts[5]!) + 20) - 1]);
    expect(lm[1]).toEqual([39, Math.fround(Math.fround(80 * pts[6]!) + 20) - 1]);
  });
  it('largest area first; equal areas: later index first', () => {
    const boxes = [cand(0, 0, 10, 10, 1), cand(0, 0, 20, 20, 1), cand(5, 5, 15, 15, 1)];
    expect(largestFirstOrder(boxes)).toEqual([1, 2, 0]);
  });
});
