/**
 * MTCNN face detector: facenet-pytorch's cascade (`detect_face`) over P-, R- and O-Net run with
 * onnxruntime-node. The nets (`pnet.onnx`, `rnet.onnx`, `onet.onnx` in the model folder) take
 * NCHW float32 input already scaled as `(x - 127.5) / 128` and return what facenet-pytorch's
 * modules return: P-Net (N,4,H',W') regression + (N,2,H',W') softmax, R-Net (N,4) + (N,2),
 * O-Net (N,4) + (N,10) landmarks + (N,2). Outputs are told apart by shape (channel count), so
 * the exact tensor names do not matter; `manifest.json`, when present, may name them.
 *
 * Cascade (per image; all arithmetic float32 like the reference, see mtcnn-math.ts):
 *  1. pyramid `scale = 12/minsize * factor^k` while `min(h,w) * scale >= 12`; each level is the
 *     image area-resampled to `(int(h*s+1), int(w*s+1))`; P-Net; cells with p >= t0 → boxes;
 *     NMS 0.5 per level; all levels concatenated; NMS 0.7; P-Net regression; square.
 *  2. crops `[y-1:ey, x-1:ex]` (pad) area-resampled to 24×24; R-Net; p > t1; NMS 0.7;
 *     regression (`bbreg`); square.
 *  3. crops to 48×48; O-Net; p > t2; landmarks; regression; NMS 0.7 'Min' (numpy variant).
 * Faces come back in `MTCNN.detect` order (select_largest: largest box area first).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DeepscanError, errorMessage } from '../util/errors.js';
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
import { areaResizeRgbRegion } from './resample.js';

export interface DetectedFace {
  /** [x0, y0, x1, y1] in the pixels of the image given to `detect` (float32 values). */
  box: [number, number, number, number];
  /** O-Net face probability. */
  prob: number;
  /** 5 points: left eye, right eye, nose, mouth left, mouth right. */
  landmarks: [number, number][];
}

export interface MtcnnImage {
  /** Packed RGB, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DetectOptions {
  thresholds: [number, number, number];
  /** Default 20. */
  minFaceSize?: number;
  /** Default 0.709. */
  factor?: number;
  /** Names the frame / evidence in error messages. */
  context?: string;
}

export interface MtcnnLoadOptions {
  executionProviders?: string[];
  intraOpNumThreads?: number;
  /** Most crops per R-/O-Net run (default 512, like facenet-pytorch's fixed batch). */
  maxBatch?: number;
}

/**
 * Input names from `manifest.json` (written by tools/mtcnn/convert.ts:
 * `{ models: { pnet: { input: { name } , outputs: [...] }, ... } }`). Optional: each net has a
 * single input, and outputs are identified by shape.
 */
function readManifestInputs(modelDir: string): Partial<Record<'pnet' | 'rnet' | 'onet', string>> {
  const p = path.join(modelDir, 'manifest.json');
  if (!existsSync(p)) return {};
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as { models?: Record<string, { input?: { name?: unknown } }> };
    const out: Partial<Record<'pnet' | 'rnet' | 'onet', string>> = {};
    for (const k of ['pnet', 'rnet', 'onet'] as const) {
      const name = m.models?.[k]?.input?.name;
      if (typeof name === 'string') out[k] = name;
    }
    return out;
  } catch {
    return {};
  }
}

function sortedOutputs(res: ort.InferenceSession.OnnxValueMapType, names: readonly string[]): ort.Tensor[] {
  return names.map((n) => res[n] as ort.Tensor);
}

/** Pick the output whose dim 1 equals `channels`. */
function byChannels(outs: ort.Tensor[], channels: number, what: string): ort.Tensor {
  const t = outs.find((o) => o.dims.length >= 2 && o.dims[1] === channels);
  if (!t) throw new DeepscanError('model-invalid', `MTCNN ${what}: no output with ${channels} channels (got ${outs.map((o) => `[${o.dims.join(',')}]`).join(' ')}).`);
  return t;
}

export class MtcnnDetector {
  private constructor(
    private readonly pnet: ort.InferenceSession,
    private readonly rnet: ort.InferenceSession,
    private readonly onet: ort.InferenceSession,
    private readonly inputs: { pnet: string; rnet: string; onet: string },
    private readonly maxBatch: number,
  ) {}

  static async load(modelDir: string, opts?: MtcnnLoadOptions): Promise<MtcnnDetector> {
    const manifest = readManifestInputs(modelDir);
    const sessOpts: ort.InferenceSession.SessionOptions = {
      executionProviders: (opts?.executionProviders ?? ['cpu']) as ort.InferenceSession.ExecutionProviderConfig[],
      graphOptimizationLevel: 'all',
    };
    if (opts?.intraOpNumThreads !== undefined) sessOpts.intraOpNumThreads = opts.intraOpNumThreads;
    const open = async (name: 'pnet' | 'rnet' | 'onet'): Promise<ort.InferenceSession> => {
      const file = path.join(modelDir, `${name}.onnx`);
      if (!existsSync(file)) {
        throw new DeepscanError('model-invalid', `The MTCNN model ${name}.onnx is missing from ${modelDir}.`, { file });
      }
      try {
        return await ort.InferenceSession.create(file, sessOpts);
      } catch (e) {
        throw new DeepscanError('model-invalid', `The MTCNN model ${file} could not be loaded: ${errorMessage(e)}`, { file, cause: e });
      }
    };
    const pnet = await open('pnet');
    const rnet = await open('rnet');
    const onet = await open('onet');
    const inputName = (s: ort.InferenceSession, k: 'pnet' | 'rnet' | 'onet'): string => {
      const m = manifest[k];
      return m !== undefined && s.inputNames.includes(m) ? m : s.inputNames[0]!;
    };
    return new MtcnnDetector(
      pnet,
      rnet,
      onet,
      { pnet: inputName(pnet, 'pnet'), rnet: inputName(rnet, 'rnet'), onet: inputName(onet, 'onet') },
      Math.max(1, opts?.maxBatch ?? 512),
    );
  }

  async release(): Promise<void> {
    await Promise.all([this.pnet.release(), this.rnet.release(), this.onet.release()]);
  }

  async detect(image: MtcnnImage, opts: DetectOptions): Promise<DetectedFace[]> {
    const [r] = await this.detectBatch([image], opts);
    return r!;
  }

  /**
   * Detect faces in several images. Same-size images share P-Net runs (one batch per pyramid
   * level); R-/O-Net crops of all images share runs. Each image's result equals `detect` on it.
   */
  async detectBatch(images: readonly MtcnnImage[], opts: DetectOptions): Promise<DetectedFace[][]> {
    const ctx = opts.context !== undefined ? ` (${opts.context})` : '';
    const minFace = opts.minFaceSize ?? 20;
    const factor = opts.factor ?? 0.709;
    const [t0, t1, t2] = opts.thresholds;
    for (const [i, im] of images.entries()) {
      if (!Number.isInteger(im.width) || !Number.isInteger(im.height) || im.width < 0 || im.height < 0 || im.data.length < im.width * im.height * 3) {
        throw new DeepscanError('invalid-argument', `Image ${i}${ctx} is not a packed RGB ${im.width}×${im.height} buffer (${im.data.length} bytes).`);
      }
    }
    if (!(minFace > 0) || !(factor > 0 && factor < 1)) {
      throw new DeepscanError('invalid-argument', `MTCNN needs minFaceSize > 0 and 0 < factor < 1${ctx}.`);
    }

    // ---- Stage 1: P-Net over the pyramid.
    const stage1: Cand[][] = images.map(() => []);
    // Group images by size so that each pyramid level is one batch.
    const groups = new Map<string, number[]>();
    images.forEach((im, i) => {
      const k = `${im.width}x${im.height}`;
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    });
    const perScale: Cand[][][] = images.map(() => []);
    for (const idxs of groups.values()) {
      const { width: W, height: H } = images[idxs[0]!]!;
      if (W === 0 || H === 0) continue;
      const scales = pyramidScales(W, H, minFace, factor);
      for (const scale of scales) {
        const { w: ws, h: hs } = pyramidLevelSize(W, H, scale);
        // Bound each run's input at ~32 MB of float32 (P-Net's first activation is ~3.3× that).
        const per = 3 * ws * hs;
        const chunk = Math.max(1, Math.min(idxs.length, Math.floor((8 * 1024 * 1024) / per)));
        for (let c0 = 0; c0 < idxs.length; c0 += chunk) {
          const part = idxs.slice(c0, c0 + chunk);
          const input = new Float32Array(part.length * per);
          part.forEach((ii, b) => areaResizeRgbRegion(images[ii]!, 0, 0, W, H, hs, ws, input, b * per, true));
          const outs = await this.run(this.pnet, this.inputs.pnet, input, [part.length, 3, hs, ws], `P-Net${ctx}`);
          const reg = byChannels(outs, 4, 'P-Net');
          const prob = byChannels(outs, 2, 'P-Net');
          const Hp = Number(prob.dims[2]);
          const Wp = Number(prob.dims[3]);
          const regData = reg.data as Float32Array;
          const probData = prob.data as Float32Array;
          const plane = Hp * Wp;
          part.forEach((ii, b) => {
            const boxes = generateBoundingBoxes(regData, b * 4 * plane, probData, (b * 2 + 1) * plane, Hp, Wp, scale, t0);
            const pick = nmsTorchvision(boxes, 0.5);
            perScale[ii]!.push(pick.map((k) => boxes[k]!));
          });
        }
      }
    }
    images.forEach((im, i) => {
      const all = perScale[i]!.flat();
      const pick = nmsTorchvision(all, 0.7);
      stage1[i] = pick.map((k) => rerec(applyPnetRegression(all[k]!)));
    });

    // ---- Stage 2: R-Net on 24×24 crops.
    const s2In = this.cropAll(images, stage1, 24);
    const s2Out = await this.runCrops(this.rnet, this.inputs.rnet, s2In.data, s2In.count, 24, `R-Net${ctx}`);
    const rReg = byChannels(s2Out, 4, 'R-Net').data as Float32Array;
    const rProb = byChannels(s2Out, 2, 'R-Net').data as Float32Array;
    const tr1 = Math.fround(t1);
    const stage2: Cand[][] = images.map((_, i) => {
      const passed: Cand[] = [];
      const regs: number[] = [];
      for (const { cand, row } of s2In.rows[i]!) {
        const score = rProb[row * 2 + 1]!;
        if (score > tr1) {
          passed.push({ ...cand, score });
          regs.push(row);
        }
      }
      const pick = nmsTorchvision(passed, 0.7);
      return pick.map((k) => {
        const row = regs[k]!;
        return rerec(bbreg(passed[k]!, rReg.subarray(row * 4, row * 4 + 4)));
      });
    });

    // ---- Stage 3: O-Net on 48×48 crops.
    const s3In = this.cropAll(images, stage2, 48);
    const s3Out = await this.runCrops(this.onet, this.inputs.onet, s3In.data, s3In.count, 48, `O-Net${ctx}`);
    const oReg = byChannels(s3Out, 4, 'O-Net').data as Float32Array;
    const oPts = byChannels(s3Out, 10, 'O-Net').data as Float32Array;
    const oProb = byChannels(s3Out, 2, 'O-Net').data as Float32Array;
    const tr2 = Math.fround(t2);
    return images.map((_, i) => {
      const boxes: Cand[] = [];
      const points: [number, number][][] = [];
      for (const { cand, row } of s3In.rows[i]!) {
        const score = oProb[row * 2 + 1]!;
        if (!(score > tr2)) continue;
        const b = { ...cand, score };
        points.push(landmarksFromOnet(b, oPts, row * 10));
        boxes.push(bbreg(b, oReg.subarray(row * 4, row * 4 + 4)));
      }
      const pick = nmsNumpy(boxes, 0.7, 'Min');
      const kept = pick.map((k) => ({ b: boxes[k]!, p: points[k]! }));
      const order = largestFirstOrder(kept.map((k) => k.b));
      return order.map((k) => {
        const { b, p } = kept[k]!;
        return { box: [b.x1, b.y1, b.x2, b.y2], prob: b.score, landmarks: p } satisfies DetectedFace;
      });
    });
  }

  /** Crops (pad + area resample + normalise) of every candidate, all images, one tensor. */
  private cropAll(
    images: readonly MtcnnImage[],
    cands: Cand[][],
    size: number,
  ): { data: Float32Array; count: number; rows: { cand: Cand; row: number }[][] } {
    const rows: { cand: Cand; row: number }[][] = images.map(() => []);
    const rects: { i: number; r: { x0: number; y0: number; w: number; h: number } }[] = [];
    images.forEach((im, i) => {
      for (const c of cands[i]!) {
        const r = padCrop(c, im.width, im.height);
        if (r === null) continue; // the reference skips empty slices
        rows[i]!.push({ cand: c, row: rects.length });
        rects.push({ i, r });
      }
    });
    const per = 3 * size * size;
    const data = new Float32Array(rects.length * per);
    rects.forEach(({ i, r }, k) => areaResizeRgbRegion(images[i]!, r.x0, r.y0, r.w, r.h, size, size, data, k * per, true));
    return { data, count: rects.length, rows };
  }

  private async runCrops(
    sess: ort.InferenceSession,
    inputName: string,
    data: Float32Array,
    count: number,
    size: number,
    what: string,
  ): Promise<ort.Tensor[]> {
    const per = 3 * size * size;
    if (count === 0) {
      // Shape-only placeholders so that callers can index uniformly.
      return [
        new ort.Tensor('float32', new Float32Array(0), [0, 4]),
        new ort.Tensor('float32', new Float32Array(0), [0, 2]),
        new ort.Tensor('float32', new Float32Array(0), [0, 10]),
      ];
    }
    const parts: ort.Tensor[][] = [];
    for (let s = 0; s < count; s += this.maxBatch) {
      const n = Math.min(this.maxBatch, count - s);
      parts.push(await this.run(sess, inputName, data.subarray(s * per, (s + n) * per), [n, 3, size, size], what));
    }
    if (parts.length === 1) return parts[0]!;
    // Concatenate along dim 0, output by output.
    return parts[0]!.map((_, oi) => {
      const dims = parts[0]![oi]!.dims;
      const rowLen = dims.slice(1).reduce((a, b) => a * Number(b), 1);
      const out = new Float32Array(count * rowLen);
      let off = 0;
      for (const p of parts) {
        const d = p[oi]!.data as Float32Array;
        out.set(d, off);
        off += d.length;
      }
      return new ort.Tensor('float32', out, [count, ...dims.slice(1)]);
    });
  }

  private async run(sess: ort.InferenceSession, inputName: string, data: Float32Array, dims: number[], what: string): Promise<ort.Tensor[]> {
    try {
      const res = await sess.run({ [inputName]: new ort.Tensor('float32', data, dims) });
      return sortedOutputs(res, sess.outputNames);
    } catch (e) {
      throw new DeepscanError('inference-failed', `MTCNN ${what} failed on input [${dims.join(',')}]: ${errorMessage(e)}`, { cause: e });
    }
  }
}
