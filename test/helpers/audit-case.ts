import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCase, type OpenedCase } from '../../main/engine/case/open-case.js';
import { encodePng } from '../../main/engine/image/png.js';
import type { NewEvidence, NewFace } from '../../main/engine/store/case-store.js';
import { saveComparison, saveHeatmap } from '../../main/engine/store/masks.js';
import { addReview } from '../../main/engine/store/reviews.js';

/**
 * A small case written through the store API (no video is decoded): two registered files, one
 * analysis of sub/clip.mp4 (frames 0 and 19, two faces each, one model), a review, a
 * comparison with ref.mp4 and an attention heatmap. Every result row is covered by an audit
 * entry, so tampering tests can edit exactly one thing and expect exactly one named failure.
 */
export const CLIP = 'sub/clip.mp4';
export const REF = 'ref.mp4';

const png = (w: number, h: number, seed: number) => Buffer.from(encodePng({ width: w, height: h, channels: 1, data: new Uint8Array(w * h).map((_, i) => (i * 13 + seed) & 255) }));

function evidence(relPath: string, bytes: Buffer): NewEvidence {
  return {
    relPath, size: bytes.length, mtimeMs: 0, sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'video', status: 'pending', errorCode: null, error: null,
    integrity: 'ok', firstSeenAt: '2026-11-24T00:00:00.000Z', lastVerifiedAt: null, container: 'mov,mp4', codec: 'h264', pixelFormat: 'yuv420p', durationSec: 1,
    fps: 25, width: 64, height: 48, rotation: 0, frameCount: 25, frameCountSource: 'container', containerFrameCount: 25, audioCodecs: [], videoStreamIndex: 0,
  };
}

function face(faceNo: number, frame: number): NewFace {
  // Probabilities that do not survive a decimal round trip of few digits: float64 must round-trip exactly.
  const prob = 0.1 + 0.2 + faceNo / 3 + frame / 1e7;
  return {
    faceNo, box: [4, 4, 20, 24], detBox: [2.125, 2.0000000000000004, 10.3, 12.7], detProb: 0.9987654321, landmarks: [[8, 9], [14, 9], [11, 13], [9, 18], [13, 18.5]],
    crop: [0, 0, 26, 30], cropWidth: 8, cropHeight: 8, cropPng: png(8, 8, faceNo + frame), track: faceNo,
    scores: { m1: { logit: Math.log(prob / (1 - prob)), prob } },
  };
}

export interface AuditCase {
  c: OpenedCase;
  folder: string;
  home: string;
  clipId: number;
  refId: number;
}

export async function buildAuditCase(work: string): Promise<AuditCase> {
  const folder = join(work, 'evidence');
  const home = join(work, 'home');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  const clipBytes = Buffer.from('clip bytes');
  const refBytes = Buffer.from('reference bytes');
  writeFileSync(join(folder, ...CLIP.split('/')), clipBytes);
  writeFileSync(join(folder, REF), refBytes);
  const c = await openCase({ folder, home, name: 'Tamper', examiner: 'E. Examiner' });
  const s = c.store;
  const clipId = s.insertEvidence(evidence(CLIP, clipBytes), 'E. Examiner');
  const refId = s.insertEvidence(evidence(REF, refBytes), 'E. Examiner');
  const clipSha = s.getEvidence(clipId)!.sha256!;
  const refSha = s.getEvidence(refId)!.sha256!;
  const runId = s.startRun({ params: { frames: 2 }, softwareVersion: '0', stageVersions: { faces: 1 }, executionProvider: 'cpu', host: 'h', pid: 1 }, 'E. Examiner');
  s.saveAnalysis({
    evidenceId: clipId, runId, evidenceSha256: clipSha, paramsKey: 'p1', facesKey: 'fk1', classifyKey: 'ck1', score: 0.7234567890123457, scoreNote: null,
    executionProvider: 'cpu', detector: { name: 'mtcnn' }, params: { frames: 2 }, stageVersions: { faces: 1 }, status: 'analyzed', errorCode: null, error: null,
    modelResults: [{ modelId: 'm1', onnxSha256: 'cd'.repeat(32), value: 0.7234567890123457, branch: 'mean', faces: 4 }],
    frameIndices: [0, 19],
    frames: [0, 19].map((frameIndex, sampleNo) => ({
      sampleNo, frameIndex, ptsSec: frameIndex / 25, width: 64, height: 48, previewJpeg: Buffer.from([0xff, 0xd8, sampleNo]), detectWidth: 32, detectHeight: 24,
      faces: [face(0, frameIndex), face(1, frameIndex)],
    })),
  }, 'E. Examiner');
  addReview(s, { evidenceId: clipId, frameIndex: 19, faceNo: 1, decision: 'fake', category: 1, note: 'seam at the jaw', examiner: 'E. Examiner' });
  saveComparison(s, {
    suspectEvidenceId: clipId, referenceEvidenceId: refId, suspectSha256: clipSha, referenceSha256: refSha, frameOffset: 0, params: { at: [19] }, stageVersion: 1,
    masks: [{ frameIndex: 19, referenceFrameIndex: 19, faceNo: 0, crop: [0, 0, 26, 30], maskPng: png(8, 8, 7), energy: 0.123456789 }],
  }, 'E. Examiner');
  saveHeatmap(s, {
    evidenceId: clipId, frameIndex: 19, faceNo: 1, modelsKey: 'm1', params: '{"patch":64,"stride":32}', evidenceSha256: clipSha, stageVersion: 1,
    gridWidth: 2, gridHeight: 1, values: [0.25, -0.0625], heatmapPng: png(2, 1, 3), baseScore: 0.9,
  }, 'E. Examiner');
  return { c, folder, home, clipId, refId };
}
