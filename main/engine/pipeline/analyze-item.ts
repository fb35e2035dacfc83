import type { ClassifierEnsemble, FaceScore } from '../classify/ensemble.js';
import { aggregate, type Verdict } from '../classify/aggregate.js';
import { prepareFace } from '../classify/preprocess.js';
import type { MtcnnDetector } from '../faces/mtcnn.js';
import { detectSeedFaces, type SeedFace } from '../faces/seed-faces.js';
import { linkTracks } from '../faces/tracks.js';
import { decodePng, encodePng } from '../image/png.js';
import { makeImage, type Image8 } from '../image/image.js';
import { probeOfEvidence } from '../ingest/ingest.js';
import type { FfmpegTools } from '../media/ffmpeg.js';
import { decodeFrames, type DecodeDiagnostics } from '../media/decode.js';
import { countDecodedFrames, type MediaProbe } from '../media/probe.js';
import { sampleFrameIndices } from '../media/sample.js';
import { decodeErrorsWarning, substitutedWarning, timestampWarnings, truncatedWarning, type MediaWarning } from '../media/warnings.js';
import type { EvidenceRecord, NewFace, NewFrame, ProbeFields, StoredFace } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';

export interface ItemResult {
  status: 'analyzed' | 'unreadable';
  errorCode: string | null;
  error: string | null;
  frameIndices: number[] | null;
  frames: NewFrame[];
  verdict: Verdict | null;
  probeUpdate?: Partial<ProbeFields>;
  /** Incomplete or damaged media noticed while analysing; [] when nothing was noticed. */
  warnings: MediaWarning[];
}

export interface ItemContext {
  tools: FfmpegTools;
  absPath: string;
  tmpDir: string;
  frames: number;
  detector: MtcnnDetector;
  /** null when no classifier is installed or chosen: faces only. */
  ensemble: ClassifierEnsemble | null;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
  /** Accumulates time per stage (bench and logs); results do not depend on it. */
  timings?: StageTimings;
}

/** Milliseconds spent per stage, summed over items: waiting for decoded frames, detecting, scoring, loading sessions. */
export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  classifyMs: number;
  loadMs: number;
}

export function newStageTimings(): StageTimings {
  return { decodeMs: 0, detectMs: 0, classifyMs: 0, loadMs: 0 };
}

/**
 * Runs the stages for one evidence item entirely in memory (frames stream through detection
 * and classification one at a time, so a video's lossless pixels are never all held at once)
 * and returns what is to be written; the caller writes it in one transaction. Decoding
 * problems are the item's result (status 'unreadable' with the cause), not a failure of the
 * run. Detector and classifier failures name the file and frame and fail the item.
 */
export async function analyzeItem(e: EvidenceRecord, ctx: ItemContext): Promise<ItemResult> {
  if (e.frameCount === null || e.width === null || e.height === null) {
    // Keep the cause found at ingest (e.g. 'external-references'): the item was never probed.
    return unreadable(e.errorCode ?? 'media-unreadable', e.error ?? `${e.relPath}: the file could not be probed as media`);
  }
  const probe = probeOfEvidence(e);
  try {
    return await runStages(e, probe, ctx);
  } catch (err) {
    if (!isDeepscanError(err) || err.code !== 'frames-missing') return failure(err, e);
    // The container promised more frames than the stream holds (truncated or lying header):
    // count what really decodes, and sample again over the true count.
    let trueCount: number;
    try {
      trueCount = await countDecodedFrames(ctx.tools, ctx.absPath, { signal: ctx.signal, streamIndex: probe.videoStreamIndex, displayName: e.relPath });
    } catch (countErr) {
      return failure(countErr, e);
    }
    if (trueCount <= 0) return unreadable('decode-failed', `${e.relPath}: no frame of the video could be decoded`);
    try {
      const result = await runStages(e, { ...probe, frameCount: trueCount, frameCountSource: 'decoded' }, ctx, probe.frameCount);
      const planned = sampleFrameIndices(probe.frameCount, ctx.frames);
      const substituted = substitutedWarning(planned, trueCount);
      return { ...result, warnings: substituted ? [...result.warnings, substituted] : result.warnings, probeUpdate: { frameCount: trueCount, frameCountSource: 'decoded' } };
    } catch (retryErr) {
      return failure(retryErr, e);
    }
  }
}

/** `promised`: the frame count an earlier attempt relied on, when the stream turned out shorter. */
async function runStages(e: EvidenceRecord, probe: MediaProbe, ctx: ItemContext, promised = 0): Promise<ItemResult> {
  const indices = probe.kind === 'image' ? [0] : sampleFrameIndices(probe.frameCount, ctx.frames);
  const frames: NewFrame[] = [];
  const diagnostics: DecodeDiagnostics = { errorLines: 0, firstErrors: [] };
  ctx.onProgress?.('frames', 0);
  const t = ctx.timings;
  let mark = performance.now();
  const lap = (key: 'decodeMs' | 'detectMs' | 'classifyMs') => {
    const now = performance.now();
    if (t) t[key] += now - mark;
    mark = now;
  };
  for await (const f of decodeFrames(ctx.tools, ctx.absPath, probe, indices, { signal: ctx.signal, tmpDir: ctx.tmpDir, displayName: e.relPath, diagnostics })) {
    lap('decodeMs');
    const where = `${e.relPath} frame ${f.index}`;
    const detected = await detectSeedFaces(ctx.detector, { data: f.rgb, width: f.width, height: f.height }, where);
    const faces = detected.faces.map((face, faceNo) => toNewFace(face, faceNo));
    lap('detectMs');
    if (ctx.ensemble && faces.length) await scoreFaces(ctx.ensemble, faces, detected.faces.map(cropImage), where);
    lap('classifyMs');
    frames.push({
      sampleNo: frames.length, frameIndex: f.index, ptsSec: f.ptsSec, width: f.width, height: f.height, previewJpeg: f.jpeg,
      detectWidth: detected.halfSize[0], detectHeight: detected.halfSize[1], faces,
    });
    ctx.onProgress?.(ctx.ensemble ? 'faces+scores' : 'faces', frames.length / indices.length);
    if (ctx.signal?.aborted) throw new DeepscanError('cancelled', `${e.relPath}: analysis was cancelled`);
    mark = performance.now(); // from here on the decoder is what we wait for
  }
  if (frames.length !== indices.length) {
    throw new DeepscanError('frames-missing', `${e.relPath}: ${frames.length} of ${indices.length} sampled frames were decoded`);
  }
  assignTracks(frames);
  const warnings = mediaWarnings(probe, promised, diagnostics, frames);
  return { status: 'analyzed', errorCode: null, error: null, frameIndices: indices, frames, warnings, verdict: verdictOf(frames.flatMap((f) => f.faces.map((face) => face.scores)), ctx.ensemble) };
}

/**
 * What the analyst must know about the media behind this result: frames promised by the
 * container (or by the count a first attempt used) that do not decode, ffmpeg's error lines
 * during the decode, and sampled frames whose timestamps do not advance.
 */
function mediaWarnings(probe: MediaProbe, promised: number, diagnostics: DecodeDiagnostics, frames: readonly NewFrame[]): MediaWarning[] {
  if (probe.kind === 'image') return [decodeErrorsWarning(diagnostics)].filter((w): w is MediaWarning => w !== null);
  const truncated = truncatedWarning(Math.max(promised, probe.containerFrameCount ?? 0), probe.frameCount);
  return [
    truncated,
    decodeErrorsWarning(diagnostics),
    ...timestampWarnings(frames.map((f) => ({ index: f.frameIndex, ptsSec: f.ptsSec }))),
  ].filter((w): w is MediaWarning => w !== null);
}

/**
 * Re-scores an item's stored faces with other classifiers: the crops were kept losslessly, so
 * the video need not be decoded again when only the models changed.
 */
export async function rescoreStoredFaces(
  stored: readonly StoredFace[],
  ensemble: ClassifierEnsemble | null,
  context: string,
): Promise<{ scores: Map<number, Record<string, FaceScore>>; verdict: Verdict }> {
  const scores = new Map<number, Record<string, FaceScore>>();
  if (ensemble) {
    const scorable = stored.filter((f) => f.cropWidth > 0 && f.cropHeight > 0);
    for (let i = 0; i < scorable.length; i += 16) {
      const chunk = scorable.slice(i, i + 16);
      const canvases = chunk.map((f) => prepareFace(decodePng(f.cropPng)));
      const byModel = await ensemble.score(canvases, context);
      chunk.forEach((f, k) => {
        const rec: Record<string, FaceScore> = {};
        for (const [id, list] of byModel) rec[id] = list[k];
        scores.set(f.id, rec);
      });
    }
  }
  return { scores, verdict: verdictOf(stored.map((f) => scores.get(f.id) ?? {}), ensemble) };
}

function toNewFace(face: SeedFace, faceNo: number): NewFace {
  const [x0, y0, x1, y1] = face.crop;
  const w = Math.max(0, x1 - x0);
  const h = Math.max(0, y1 - y0);
  return {
    faceNo, box: face.box, detBox: face.detector.box, detProb: face.detector.prob, landmarks: face.landmarks, crop: face.crop,
    // A box wholly outside the frame gives an empty crop (the reference would crash on it): kept
    // as a detection, with no pixels and no score.
    cropWidth: w, cropHeight: h, cropPng: w && h ? Buffer.from(encodePng(makeImage(w, h, 3, face.cropPixels))) : Buffer.alloc(0),
    track: null, scores: {},
  };
}

function cropImage(face: SeedFace): Image8 | null {
  const [x0, y0, x1, y1] = face.crop;
  const w = x1 - x0;
  const h = y1 - y0;
  return w > 0 && h > 0 ? makeImage(w, h, 3, face.cropPixels) : null;
}

async function scoreFaces(ensemble: ClassifierEnsemble, faces: NewFace[], crops: (Image8 | null)[], where: string): Promise<void> {
  const idx = crops.map((c, i) => (c ? i : -1)).filter((i) => i >= 0);
  if (!idx.length) return;
  const byModel = await ensemble.score(idx.map((i) => prepareFace(crops[i]!)), where);
  for (const [id, list] of byModel) idx.forEach((faceIdx, k) => (faces[faceIdx].scores[id] = list[k]));
}

function assignTracks(frames: NewFrame[]): void {
  const ids = linkTracks(frames.map((f) => f.faces.map((x) => x.box)));
  frames.forEach((f, i) => f.faces.forEach((face, j) => (face.track = ids[i][j])));
}

/** The video's verdict from every face's scores (one entry per face, scored or not). */
function verdictOf(faceScores: readonly Record<string, FaceScore>[], ensemble: ClassifierEnsemble | null): Verdict {
  return verdictFor(faceScores, (ensemble?.models ?? []).map((m) => m.manifest.id));
}

/** The same verdict from model ids (the model-major path has no ensemble open). */
export function verdictFor(faceScores: readonly Record<string, FaceScore>[], modelIds: readonly string[]): Verdict {
  const probs = new Map<string, number[]>();
  for (const id of modelIds) probs.set(id, []);
  for (const scores of faceScores) for (const [id, s] of Object.entries(scores)) probs.get(id)?.push(s.prob);
  return aggregate(probs, faceScores.length);
}

function failure(err: unknown, e: EvidenceRecord): ItemResult {
  if (isDeepscanError(err) && (err.code === 'cancelled' || err.code === 'inference-failed' || err.code === 'model-invalid')) throw err;
  const code = isDeepscanError(err) ? err.code : 'decode-failed';
  const message = errorMessage(err);
  return unreadable(code, message.includes(e.relPath) ? message : `${e.relPath}: ${message}`);
}

function unreadable(code: string, error: string): ItemResult {
  return { status: 'unreadable', errorCode: code, error, frameIndices: null, frames: [], verdict: null, warnings: [] };
}
