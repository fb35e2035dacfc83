/**
 * Comparison of a suspect video with a known original (reference) of the same case: the
 * seed's training-side difference masks, per face, on the same frames.
 *
 * For each sampled suspect frame index i the reference frame i + offset is read; faces are
 * found on the *reference* frame (MTCNN [0.85, 0.95, 0.95] at half resolution, as the seed's
 * `detect_original_faces.py`), and the same 1/3-margin crop rectangle is cut from both frames
 * (`extract_crops.py`); the mask is the seed's 1 − SSIM mask (`generate_diffs.py`, see ssim.ts).
 * Both files are re-hashed first and must match their registered SHA-256 (a mismatch is
 * recorded as an integrity failure). All masks of one comparison are written in one transaction
 * with an audit entry naming both hashes.
 */
import { probeOfEvidence } from '../ingest/ingest.js';
import { join } from 'node:path';
import type { OpenedCase } from '../case/open-case.js';
import { checkAfterDecode, checkBeforeDecode } from '../ingest/decode-guard.js';
import type { MtcnnDetector } from '../faces/mtcnn.js';
import { cutRgb, SEED_FACTOR, SEED_MIN_FACE } from '../faces/seed-faces.js';
import type { Image8 } from '../image/image.js';
import { encodePng } from '../image/png.js';
import { decodeFrames } from '../media/decode.js';
import type { FfmpegTools } from '../media/ffmpeg.js';
import { sampleFrameIndices } from '../media/sample.js';
import { hashFile, type FileIdentity } from '../ingest/hash.js';
import type { Box4, EvidenceRecord, CaseStore } from '../store/case-store.js';
import { saveComparison, type NewFaceMask } from '../store/masks.js';
import { DeepscanError } from '../util/errors.js';
import { detectPrepBoxes, prepCropRect, PREP_BOX_THRESHOLDS } from '../faces/prep-faces.js';
import { ssimDiffMask, SSIM_K1, SSIM_K2, SSIM_WIN } from '../masks/ssim.js';
import { createPipelineContext } from './context.js';
import { COMPARE_STAGE } from './stages.js';


export interface CompareOptions {
  /** Reference frame index = suspect frame index + offset (default 0). */
  offset?: number;
  /** Frames sampled over the suspect (default: the suspect's analysed frames, else 32). */
  frames?: number;
  /** Explicit suspect frame indices (overrides `frames`). */
  frameIndices?: number[];
  tools?: FfmpegTools;
  detector?: MtcnnDetector;
  signal?: AbortSignal;
  onProgress?: (stage: 'reference' | 'suspect', done: number, total: number) => void;
  /** Called with each face's two crops and its mask (e.g. to export them). */
  onFace?: (face: { frameIndex: number; referenceFrameIndex: number; faceNo: number; reference: Image8; suspect: Image8; mask: Image8; energy: number }) => void;
  /** Test-only: called just before a file is decoded and after both are decoded (to swap files). */
  hooks?: { beforeDecode?(relPath: string): Promise<void> | void; afterDecode?(): Promise<void> | void };
}

export interface ComparedFace {
  faceNo: number;
  crop: Box4;
  energy: number;
}

export interface ComparedFrame {
  frameIndex: number;
  referenceFrameIndex: number;
  /** Mean energy of the frame's faces; null when the reference frame has no face. */
  energy: number | null;
  faces: ComparedFace[];
}

export interface CompareResult {
  comparisonId: number;
  suspect: { path: string; sha256: string };
  reference: { path: string; sha256: string };
  offset: number;
  frames: ComparedFrame[];
  /** Mean over all faces; null when no face was compared. */
  meanEnergy: number | null;
}

/**
 * Re-hashes a registered evidence file; a mismatch is recorded and refused. Returns the hash
 * and the identity seen now, which the decode that follows is checked against.
 */
export async function verifyRegisteredHash(store: CaseStore, e: EvidenceRecord, absPath: string, actor: string): Promise<{ sha256: string; identity: FileIdentity }> {
  if (!e.sha256) throw new DeepscanError('integrity-failed', `${e.relPath}: the file has no registered hash (it was never readable)`, { file: e.relPath });
  let observed: string | null = null;
  let identity: FileIdentity | null = null;
  try {
    ({ sha256: observed, identity } = await hashFile(absPath));
  } catch {
    observed = null;
  }
  if (observed === e.sha256 && identity) return { sha256: observed, identity };
  store.recordIntegrityFailure(e, { kind: observed === null ? 'missing' : 'changed', observedSha256: observed, observedSize: null, observedMtimeMs: null }, actor);
  throw new DeepscanError(
    'integrity-failed',
    observed === null ? `${e.relPath}: the file is missing or unreadable (registered SHA-256 ${e.sha256})` : `${e.relPath}: the file changed after registration (registered SHA-256 ${e.sha256}, now ${observed})`,
    { file: e.relPath },
  );
}

function registeredVideo(store: CaseStore, relPath: string, role: string): EvidenceRecord {
  const norm = relPath.split(/[\\/]+/).filter((p) => p && p !== '.').join('/');
  const e = store.getEvidenceByPath(norm);
  if (!e) throw new DeepscanError('invalid-argument', `${relPath}: not registered evidence of this case (the ${role} must be a file of the case folder; run "deepscan analyze" first)`, { file: relPath });
  if (e.kind !== 'video' && e.kind !== 'image') throw new DeepscanError('invalid-argument', `${e.relPath}: the ${role} is not a video`, { file: e.relPath });
  if (e.status === 'integrity-failed') throw new DeepscanError('integrity-failed', `${e.relPath}: the ${role} failed its integrity check earlier; it is not compared`, { file: e.relPath });
  if (e.frameCount === null || e.width === null || e.height === null) throw new DeepscanError('media-unreadable', `${e.relPath}: the ${role} could not be probed as media`, { file: e.relPath });
  return e;
}

/** Compares `suspectPath` with `referencePath` (paths relative to the case folder). */
export async function compareWithReference(c: OpenedCase, suspectPath: string, referencePath: string, opts: CompareOptions = {}): Promise<CompareResult> {
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(offset)) throw new DeepscanError('invalid-argument', `the frame offset must be an integer (got ${offset})`);
  const suspect = registeredVideo(c.store, suspectPath, 'suspect');
  const reference = registeredVideo(c.store, referencePath, 'reference');
  if (suspect.id === reference.id) throw new DeepscanError('invalid-argument', `${suspect.relPath}: the suspect and the reference are the same file`);
  if (suspect.width !== reference.width || suspect.height !== reference.height) {
    throw new DeepscanError('invalid-argument', `${suspect.relPath} is ${suspect.width}×${suspect.height} but ${reference.relPath} is ${reference.width}×${reference.height}: the same crop cannot be cut from both`);
  }
  const abs = (e: EvidenceRecord) => join(c.folder, ...e.relPath.split('/'));
  const suspectSeen = await verifyRegisteredHash(c.store, suspect, abs(suspect), c.actor);
  const referenceSeen = await verifyRegisteredHash(c.store, reference, abs(reference), c.actor);
  const suspectSha = suspectSeen.sha256;
  const referenceSha = referenceSeen.sha256;
  // Decoding is checked against what was just hashed (a touch since the last analysis is not a change of bytes).
  const asHashed = (e: EvidenceRecord, id: FileIdentity): EvidenceRecord => ({ ...e, ...id });
  const guarded = [asHashed(reference, referenceSeen.identity), asHashed(suspect, suspectSeen.identity)];
  const beforeDecode = async (e: EvidenceRecord) => {
    const refused = await checkBeforeDecode(c.store, e, abs(e), c.actor);
    if (refused) throw new DeepscanError('evidence-changed', `${e.relPath}: ${refused.detail}; nothing was compared`, { file: e.relPath });
    await opts.hooks?.beforeDecode?.(e.relPath);
  };

  let indices: number[];
  if (opts.frameIndices?.length) indices = [...new Set(opts.frameIndices)].sort((a, b) => a - b);
  else if (opts.frames === undefined && c.store.getAnalysis(suspect.id)?.frameIndices?.length) indices = [...new Set(c.store.getAnalysis(suspect.id)!.frameIndices!)];
  else indices = [...new Set(sampleFrameIndices(suspect.frameCount!, opts.frames ?? 32))];
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= suspect.frameCount!) throw new DeepscanError('invalid-argument', `frame ${i} is outside ${suspect.relPath} (${suspect.frameCount} frames)`);
  }
  const pairs = indices.map((i) => [i, i + offset] as const).filter(([, r]) => r >= 0 && r < reference.frameCount!);
  if (!pairs.length) throw new DeepscanError('invalid-argument', `no suspect frame has a reference frame at offset ${offset} (${reference.relPath} has ${reference.frameCount} frames)`);

  const onProgress = opts.onProgress;
  const ctx = await createPipelineContext({
    scratch: { workspace: c.workspace, purpose: 'compare' }, tools: opts.tools, detector: opts.detector, signal: opts.signal,
    onProgress: onProgress && ((stage, done, total) => onProgress(stage as 'reference' | 'suspect', done, total)),
  });
  const { tools, detectorShas, scratch: tmpDir } = ctx;
  const decodeStarted = new Date();
  try {
    const detector = await ctx.detector();
    await beforeDecode(guarded[0]);
    // Reference first: boxes and reference crops per frame (only the crops are kept).
    const refFrames = new Map<number, { rect: Box4; pixels: Buffer }[]>();
    const refIdx = [...new Set(pairs.map(([, r]) => r))].sort((a, b) => a - b);
    for await (const f of decodeFrames(tools, abs(reference), probeOfEvidence(reference), refIdx, { tmpDir, signal: opts.signal, displayName: reference.relPath })) {
      const frame = { data: f.rgb, width: f.width, height: f.height };
      const boxes = await detectPrepBoxes(detector, frame, `${reference.relPath} frame ${f.index}`);
      refFrames.set(f.index, (boxes ?? []).map((b) => {
        const rect = prepCropRect(b, f.width, f.height);
        return { rect, pixels: cutRgb(frame, rect) };
      }));
      ctx.progress('reference', refFrames.size, refIdx.length);
    }
    const frames: ComparedFrame[] = [];
    const masks: NewFaceMask[] = [];
    const suspectIdx = pairs.map(([s]) => s);
    await beforeDecode(guarded[1]);
    for await (const f of decodeFrames(tools, abs(suspect), probeOfEvidence(suspect), suspectIdx, { tmpDir, signal: opts.signal, displayName: suspect.relPath })) {
      const r = f.index + offset;
      const faces: ComparedFace[] = [];
      (refFrames.get(r) ?? []).forEach((rf, faceNo) => {
        const [x0, y0, x1, y1] = rf.rect;
        const w = x1 - x0;
        const h = y1 - y0;
        if (w < SSIM_WIN || h < SSIM_WIN) return; // too small for a 7×7 window: no mask
        const susp = cutRgb({ data: f.rgb, width: f.width, height: f.height }, rf.rect);
        const refImg: Image8 = { width: w, height: h, channels: 3, data: rf.pixels };
        const suspImg: Image8 = { width: w, height: h, channels: 3, data: susp };
        const d = ssimDiffMask(refImg, suspImg);
        opts.onFace?.({ frameIndex: f.index, referenceFrameIndex: r, faceNo, reference: refImg, suspect: suspImg, mask: d.mask, energy: d.energy });
        masks.push({ frameIndex: f.index, referenceFrameIndex: r, faceNo, crop: rf.rect, maskPng: Buffer.from(encodePng(d.mask)), energy: d.energy });
        faces.push({ faceNo, crop: rf.rect, energy: d.energy });
      });
      frames.push({ frameIndex: f.index, referenceFrameIndex: r, faces, energy: faces.length ? faces.reduce((s, x) => s + x.energy, 0) / faces.length : null });
      ctx.progress('suspect', frames.length, suspectIdx.length);
      ctx.throwIfCancelled('the comparison');
    }
    await opts.hooks?.afterDecode?.();
    // ffmpeg read both files by path: keep the masks only if both still hash as registered.
    for (const e of guarded) {
      const changed = await checkAfterDecode(c.store, e, abs(e), decodeStarted, c.actor);
      if (changed) throw new DeepscanError('evidence-changed', `${e.relPath}: ${changed.detail}`, { file: e.relPath });
    }
    const meanEnergy = masks.length ? masks.reduce((s, m) => s + m.energy, 0) / masks.length : null;
    const params = {
      frameIndices: suspectIdx, offset,
      detector: { name: 'mtcnn', nets: detectorShas, thresholds: PREP_BOX_THRESHOLDS, minFaceSize: SEED_MIN_FACE, factor: SEED_FACTOR, downscale: 'pillow-bicubic-half', on: 'reference' },
      ssim: { win: SSIM_WIN, k1: SSIM_K1, k2: SSIM_K2, dataRange: 255, sampleCovariance: true, gray: 'opencv-bgr2gray-15bit' },
    };
    const comparisonId = saveComparison(c.store, {
      suspectEvidenceId: suspect.id, referenceEvidenceId: reference.id, suspectSha256: suspectSha, referenceSha256: referenceSha,
      frameOffset: offset, params, stageVersion: COMPARE_STAGE.version, masks,
      auditDetails: { suspectPath: suspect.relPath, referencePath: reference.relPath, frames: suspectIdx.length, meanEnergy },
    }, c.actor);
    return { comparisonId, suspect: { path: suspect.relPath, sha256: suspectSha }, reference: { path: reference.relPath, sha256: referenceSha }, offset, frames, meanEnergy };
  } finally {
    await ctx.close();
  }
}
