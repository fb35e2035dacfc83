/**
 * Acceptance: the reference's face step on the 32 sampled frames of both fixture videos.
 * Needs the MTCNN ONNX nets (`models/mtcnn/{pnet,rnet,onet}.onnx`, or the folder named by
 * DEEPSCAN_MTCNN_DIR) and ffmpeg; skipped when the nets are absent.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames, fixtures, mtcnnDir } from '../../../test/helpers/faces-kit.js';
import { MtcnnDetector } from './mtcnn.js';
import { detectSeedFaces } from './seed-faces.js';
import { iou } from './tracks.js';

const refPath = path.join(fixtures, 'reference', 'three_faces.dfdc_b0_seed7.json');

interface RefFrame {
  frame_idx: number;
  half_size: [number, number];
  boxes_half: [number, number, number, number][];
  probs: number[];
  landmarks_half: [number, number][][];
  crop_shapes: [number, number][];
}
interface RefVideo {
  video: string;
  frame_idxs: number[];
  frames: RefFrame[];
}

describe('seed faces on the reference fixtures (acceptance)', () => {
  let detector: MtcnnDetector;
  const ref = JSON.parse(readFileSync(refPath, 'utf8')) as { videos: RefVideo[] };

  beforeAll(async () => {
    detector = await MtcnnDetector.load(mtcnnDir);
  });
  afterAll(async () => {
    await detector?.release();
  });

  for (const video of ref.videos) {
    const name = path.basename(video.video);
    it(`${name}: same faces, boxes, landmarks and crops as the reference`, async () => {
      const frames = await decodeFrames(path.join(fixtures, 'videos', name), video.frame_idxs, 1920, 1080);
      let worstIou = 1;
      let worstLm = 0;
      let worstCoord = 0;
      let worstProb = 0;
      let totalMs = 0;
      for (const [k, rf] of video.frames.entries()) {
        const t0 = performance.now();
        const res = await detectSeedFaces(detector, frames[k]!, `${name} frame ${rf.frame_idx}`);
        totalMs += performance.now() - t0;
        expect(res.halfSize, `half size, frame ${rf.frame_idx}`).toEqual(rf.half_size);
        expect(res.faces.length, `face count, frame ${rf.frame_idx}`).toBe(rf.boxes_half.length);
        res.faces.forEach((f, j) => {
          const o = iou(f.detector.box, rf.boxes_half[j]!);
          worstIou = Math.min(worstIou, o);
          f.detector.box.forEach((v, c) => (worstCoord = Math.max(worstCoord, Math.abs(v - rf.boxes_half[j]![c]!))));
          worstProb = Math.max(worstProb, Math.abs(f.detector.prob - rf.probs[j]!));
          expect(o, `IoU frame ${rf.frame_idx} face ${j}`).toBeGreaterThanOrEqual(0.95);
          f.landmarks.forEach(([x, y], p) => {
            const [rx, ry] = rf.landmarks_half[j]![p]!;
            const d = Math.max(Math.abs(x / 2 - rx), Math.abs(y / 2 - ry));
            worstLm = Math.max(worstLm, d);
            expect(d, `landmark ${p} frame ${rf.frame_idx} face ${j}`).toBeLessThanOrEqual(1.5);
          });
          const [x0, y0, x1, y1] = f.crop;
          expect([y1 - y0, x1 - x0], `crop shape frame ${rf.frame_idx} face ${j}`).toEqual(rf.crop_shapes[j]);
          expect(f.cropPixels.length).toBe((y1 - y0) * (x1 - x0) * 3);
        });
      }
      console.log(
        `${name}: worst IoU ${worstIou.toFixed(5)}, worst landmark error ${worstLm.toFixed(4)} half-res px, ` +
          `worst box coordinate error ${worstCoord.toFixed(4)} half-res px, worst prob error ${worstProb.toExponential(2)}, ` +
          `${(totalMs / video.frames.length).toFixed(0)} ms per 1080p frame (resize + detect + crop)`,
      );
    }, 600_000);
  }
});
