/**
 * MtcnnDetector edge cases with the real nets (skipped when `models/mtcnn/*.onnx` are absent):
 * tiny and black frames, a 4K frame, 40+ faces, batch = single, bad input.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames, fixtures, mtcnnDir } from '../../../test/helpers/faces-kit.js';
import { MtcnnDetector } from './mtcnn.js';
import { pilResizeBicubic, type RgbImage } from './pil-resize.js';
import { detectSeedFaces, detectSeedFacesBatch } from './seed-faces.js';
import { iou } from './tracks.js';

const video = path.join(fixtures, 'videos', 'three_faces.mp4');
const T: [number, number, number] = [0.7, 0.8, 0.8];

describe('MtcnnDetector with the real nets', () => {
  let det: MtcnnDetector;
  let frames: RgbImage[];
  beforeAll(async () => {
    det = await MtcnnDetector.load(mtcnnDir);
    frames = await decodeFrames(video, [0, 150], 1920, 1080);
  });
  afterAll(async () => {
    await det?.release();
  });

  it('frames too small for a pyramid level, or empty, give no faces', async () => {
    for (const [w, h] of [
      [0, 0],
      [1, 1],
      [3, 2],
      [30, 30],
      [39, 2000],
    ] as const) {
      const r = await detectSeedFaces(det, { data: new Uint8Array(w * h * 3).fill(128), width: w, height: h }, `${w}x${h}`);
      expect(r.faces).toEqual([]);
      expect(r.halfSize).toEqual([Math.floor(w / 2), Math.floor(h / 2)]);
    }
    expect(await det.detect({ data: new Uint8Array(0), width: 0, height: 0 }, { thresholds: T })).toEqual([]);
    expect(await det.detect({ data: new Uint8Array(19 * 19 * 3), width: 19, height: 19 }, { thresholds: T })).toEqual([]);
  });

  it('an all-black and an all-white 1080p frame give no faces', async () => {
    for (const v of [0, 255]) {
      const r = await detectSeedFaces(det, { data: new Uint8Array(1920 * 1080 * 3).fill(v), width: 1920, height: 1080 });
      expect(r.faces).toEqual([]);
    }
  });

  it('finds the same three faces on a 4K version of the frame', async () => {
    const [f4k] = await decodeFrames(video, [0], 1920, 1080, { w: 3840, h: 2160 });
    const r4 = await detectSeedFaces(det, f4k!, '4K frame');
    const r1 = await detectSeedFaces(det, frames[0]!, '1080p frame');
    expect(r4.halfSize).toEqual([1920, 1080]);
    expect(r4.faces).toHaveLength(3);
    for (const f of r1.faces) {
      const scaled = f.box.map((v) => v * 2) as [number, number, number, number];
      const best = Math.max(...r4.faces.map((g) => iou(g.box, scaled)));
      expect(best).toBeGreaterThan(0.8);
    }
  });

  it('handles 40+ faces in one frame', async () => {
    // Tile the three faces of frame 0 (with their margins) on a grey 1080p canvas, 10 × 5.
    const src = frames[0]!;
    const r = await detectSeedFaces(det, src);
    const tiles = r.faces.map((f) => {
      const [x0, y0, x1, y1] = f.box;
      const pad = 20;
      const w = x1 - x0 + 2 * pad;
      const h = y1 - y0 + 2 * pad;
      const data = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) data.set(src.data.subarray(((y0 - pad + y) * src.width + x0 - pad) * 3, ((y0 - pad + y) * src.width + x0 - pad + w) * 3), y * w * 3);
      return pilResizeBicubic({ data, width: w, height: h }, 150, 190);
    });
    const canvas: RgbImage = { data: new Uint8Array(1920 * 1080 * 3).fill(128), width: 1920, height: 1080 };
    let n = 0;
    for (let row = 0; row < 5; row++)
      for (let col = 0; col < 10; col++, n++) {
        const t = tiles[n % tiles.length]!;
        const ox = col * 192 + 21;
        const oy = row * 216 + 13;
        for (let y = 0; y < t.height; y++) canvas.data.set(t.data.subarray(y * t.width * 3, (y + 1) * t.width * 3), ((oy + y) * 1920 + ox) * 3);
      }
    const res = await detectSeedFaces(det, canvas, 'tiled canvas');
    expect(res.faces.length).toBeGreaterThanOrEqual(40);
    for (const f of res.faces) expect(f.cropPixels.length).toBeGreaterThan(0);
  });

  it('detectBatch gives the same result as detect, image by image', async () => {
    const singles = [await detectSeedFaces(det, frames[0]!), await detectSeedFaces(det, frames[1]!)];
    const batch = await detectSeedFacesBatch(det, [frames[0]!, { data: new Uint8Array(3), width: 1, height: 1 }, frames[1]!]);
    expect(batch[1]!.faces).toEqual([]);
    for (const [k, b] of [batch[0]!, batch[2]!].entries()) {
      expect(b.faces.map((f) => f.box)).toEqual(singles[k]!.faces.map((f) => f.box));
      b.faces.forEach((f, j) => {
        const s = singles[k]!.faces[j]!;
        f.detector.box.forEach((v, c) => expect(v).toBeCloseTo(s.detector.box[c]!, 3));
      });
    }
  });

  it('rejects a buffer that does not match its size, naming the context', async () => {
    await expect(det.detect({ data: new Uint8Array(10), width: 20, height: 20 }, { thresholds: T, context: 'case 7 / clip.mp4 frame 12' })).rejects.toThrow(
      /clip\.mp4 frame 12/,
    );
  });
});

describe('MtcnnDetector.load', () => {
  it('names the missing model file', async () => {
    await expect(MtcnnDetector.load('/nonexistent/mtcnn')).rejects.toMatchObject({ code: 'model-invalid', message: expect.stringMatching(/pnet\.onnx/) });
  });
});
