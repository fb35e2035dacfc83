import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLASSIFIER_INPUT_SIZE,
  IMAGENET_MEAN,
  IMAGENET_STD,
  inputChecksum,
  isotropicResize,
  isotropicTargetSize,
  prepareFace,
  putToCenter,
  toNormalizedNCHW,
} from './preprocess.js';
import { cropImage, makeImage, type Image8 } from '../image/image.js';
import { decodePng } from '../image/png.js';
import { resize } from '../image/cv-resize.js';
import { DeepscanError } from '../util/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const FFMPEG = process.env.DEEPSCAN_FFMPEG ?? 'ffmpeg';

interface RefFrame {
  frame_idx: number;
  boxes_half: number[][];
  crop_shapes: [number, number][];
}
interface RefVideo {
  video: string;
  frame_idxs: number[];
  frames: RefFrame[];
  n_faces: number;
  input_checksum: number;
}
const reference = JSON.parse(readFileSync(path.join(fixtures, 'reference', 'three_faces.dfdc_b0_seed7.json'), 'utf8')) as { videos: RefVideo[] };

/** Decodes the given frame indices (full resolution, RGB) with the ffmpeg CLI, in order. */
function decodeFrames(video: string, idxs: number[], width = 1920, height = 1080): Image8[] {
  const select = idxs.map((i) => `eq(n\\,${i})`).join('+');
  const raw = execFileSync(
    FFMPEG,
    ['-v', 'error', '-nostdin', '-i', video, '-vf', `select='${select}'`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 1 << 30 },
  );
  const size = width * height * 3;
  expect(raw.length).toBe(size * idxs.length);
  return idxs.map((_, k) => makeImage(width, height, 3, new Uint8Array(raw.buffer, raw.byteOffset + k * size, size)));
}

/**
 * The reference crop (kernel_utils FaceExtractor): full-res box `int(v * 2)` (truncation),
 * margins `w // 3`, `h // 3`, crop `[max(ymin - p_h, 0) : ymax + p_h, max(xmin - p_w, 0) : xmax + p_w]`
 * with numpy's clamping at the far edge.
 */
function referenceCrop(frame: Image8, boxHalf: number[]): Image8 {
  const [xmin, ymin, xmax, ymax] = boxHalf.map((v) => Math.trunc(v * 2));
  const pw = Math.floor((xmax - xmin) / 3);
  const ph = Math.floor((ymax - ymin) / 3);
  return cropImage(frame, Math.max(xmin - pw, 0), Math.max(ymin - ph, 0), xmax + pw, ymax + ph);
}

describe('isotropicTargetSize / isotropicResize', () => {
  it.each([
    // [w, h] → [w', h'] as kernel_utils computes it
    [342, 432, 300, 380], // taller: height → 380, width int(342 * 380/432) = int(300.83)
    [297, 411, 274, 380],
    [400, 300, 380, 285], // wider: width → 380
    [500, 500, 380, 380], // square takes the "else" branch
    [100, 50, 380, 190], // enlarge
    [380, 100, 380, 100], // longer side already 380: unchanged
    [100, 380, 100, 380],
    [381, 3, 380, 2], // int(2.992) = 2
  ])('%dx%d → %dx%d', (w, h, ew, eh) => {
    const t = isotropicTargetSize(w, h);
    expect([t.width, t.height]).toEqual([ew, eh]);
  });

  it('uses INTER_AREA to shrink, INTER_CUBIC to enlarge, and returns a 380-sided crop unchanged', () => {
    const data = new Uint8Array(120 * 90 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
    const small = makeImage(120, 90, 3, data);
    expect(isotropicResize(small).data).toEqual(resize(small, { width: 380, height: 285 }, 'cubic').data);
    const bigData = new Uint8Array(500 * 420 * 3);
    for (let i = 0; i < bigData.length; i++) bigData[i] = (i * 13) % 253;
    const big = makeImage(500, 420, 3, bigData);
    expect(isotropicResize(big).data).toEqual(resize(big, { width: 380, height: 319 }, 'area').data);
    const exact = makeImage(380, 200, 3);
    expect(isotropicResize(exact)).toBe(exact);
  });

  it('refuses a crop so thin that one side would become 0 pixels (cv2.resize would fail too)', () => {
    expect(() => isotropicResize(makeImage(1000, 2, 3))).toThrow(DeepscanError);
  });
});

describe('putToCenter', () => {
  it('centres with (380 - side) // 2 offsets on black', () => {
    const face = makeImage(301, 380, 3, new Uint8Array(301 * 380 * 3).fill(200));
    const out = putToCenter(face);
    expect([out.width, out.height]).toEqual([380, 380]);
    const at = (x: number, y: number): number => out.data[(y * 380 + x) * 3];
    expect(at(38, 0)).toBe(0); // start_w = (380 - 301) // 2 = 39
    expect(at(39, 0)).toBe(200);
    expect(at(39 + 300, 379)).toBe(200);
    expect(at(39 + 301, 379)).toBe(0);
  });

  it('keeps only the top-left 380×380 of a larger image, like img[:380, :380]', () => {
    const d = new Uint8Array(400 * 390 * 3);
    for (let y = 0; y < 390; y++) for (let x = 0; x < 400; x++) d[(y * 400 + x) * 3] = x < 380 && y < 380 ? 9 : 250;
    const out = putToCenter(makeImage(400, 390, 3, d));
    let allNine = true;
    for (let i = 0; i < out.data.length; i += 3) if (out.data[i] !== 9) allNine = false;
    expect(allNine).toBe(true);
  });
});

describe('toNormalizedNCHW', () => {
  it('lays out NCHW with float32 ((v/255) - mean) / std per channel', () => {
    const a = makeImage(380, 380, 3);
    const b = makeImage(380, 380, 3);
    a.data.set([0, 128, 255], 0); // pixel (0,0)
    b.data.set([10, 20, 30], 3 * (380 * 5 + 7)); // pixel (7,5)
    const t = toNormalizedNCHW([a, b]);
    const plane = 380 * 380;
    expect(t.length).toBe(2 * 3 * plane);
    const f = (v: number, c: number): number =>
      Math.fround(Math.fround(Math.fround(v / 255) - Math.fround(IMAGENET_MEAN[c])) / Math.fround(IMAGENET_STD[c]));
    expect(t[0]).toBe(f(0, 0));
    expect(t[plane]).toBe(f(128, 1));
    expect(t[2 * plane]).toBe(f(255, 2));
    const off = 3 * plane + 380 * 5 + 7;
    expect([t[off], t[off + plane], t[off + 2 * plane]]).toEqual([f(10, 0), f(20, 1), f(30, 2)]);
    expect(t[1]).toBe(f(0, 0));
    expect(Math.abs(f(255, 0) - (1 - 0.485) / 0.229)).toBeLessThan(1e-6);
  });

  it('rejects an empty batch and mismatched sizes', () => {
    expect(() => toNormalizedNCHW([])).toThrow(DeepscanError);
    expect(() => toNormalizedNCHW([makeImage(380, 380, 3), makeImage(300, 300, 3)])).toThrow(DeepscanError);
  });
});

describe('acceptance: reproduces the reference classifier inputs of three_faces.mp4', () => {
  const video = reference.videos[0];
  const videoPath = path.join(fixtures, 'videos', 'three_faces.mp4');

  it('faces380/face_0..5 are reproduced bit-exactly', () => {
    // Measured (ffmpeg 5.1.9 CLI decode; reference decoded with OpenCV's FFmpeg backend):
    // all six faces max |diff| = 0, 100% of bytes equal. So neither decoding nor resizing differs,
    // and the tolerance is zero. The general INTER_AREA path (432x342 → 300x380 etc.) is what these
    // faces exercise; with float64 instead of OpenCV's float32 accumulation up to 253 bytes per
    // face would differ by 1, so this is a sharp test of the arithmetic. If it fails on another
    // machine by a grey level or two on many pixels, suspect the ffmpeg build's YUV→RGB first
    // (the synthetic resize tests in ../image/cv-resize.test.ts do not depend on ffmpeg).
    const frames = decodeFrames(videoPath, video.frame_idxs.slice(0, 2));
    let face = 0;
    const stats: string[] = [];
    for (let k = 0; k < 2; k++) {
      video.frames[k].boxes_half.forEach((box, j) => {
        if (face >= 6) return;
        const crop = referenceCrop(frames[k], box);
        expect([crop.height, crop.width]).toEqual(video.frames[k].crop_shapes[j]);
        const canvas = prepareFace(crop);
        const ref = decodePng(readFileSync(path.join(fixtures, 'reference', 'faces380', `face_${face}.png`)));
        expect([ref.width, ref.height, ref.channels]).toEqual([CLASSIFIER_INPUT_SIZE, CLASSIFIER_INPUT_SIZE, 3]);
        let maxAbs = 0;
        let sumAbs = 0;
        let equal = 0;
        for (let i = 0; i < ref.data.length; i++) {
          const d = Math.abs(ref.data[i] - canvas.data[i]);
          maxAbs = Math.max(maxAbs, d);
          sumAbs += d;
          if (d === 0) equal++;
        }
        stats.push(`face ${face}: max ${maxAbs}, mean ${(sumAbs / ref.data.length).toFixed(4)}, equal ${((100 * equal) / ref.data.length).toFixed(3)}%`);
        expect(maxAbs, stats.join('; ')).toBe(0);
        face++;
      });
    }
    expect(face).toBe(6);
  });

  it('input_checksum over all 96 faces matches the reference', () => {
    const frames = decodeFrames(videoPath, video.frame_idxs);
    const canvases: Image8[] = [];
    video.frames.forEach((fr, k) => {
      fr.boxes_half.forEach((box, j) => {
        const crop = referenceCrop(frames[k], box);
        expect([crop.height, crop.width]).toEqual(fr.crop_shapes[j]);
        canvases.push(prepareFace(crop));
      });
    });
    expect(canvases.length).toBe(video.n_faces);
    const sum = inputChecksum(toNormalizedNCHW(canvases));
    // Measured: -10267288.571394606 vs reference -10267288.57142124 (relative 2.6e-12). The pixels are
    // identical; the residue is float64 summation order over 41.6 M float32 values (ours sequential,
    // the reference's library sum blocked/pairwise). One grey level on a single byte would move the
    // sum by ~0.017, i.e. relative 1.7e-9, so the 1e-10 bound still detects any pixel change.
    expect(Math.abs(sum - video.input_checksum) / Math.abs(video.input_checksum)).toBeLessThan(1e-10);
  });
});
