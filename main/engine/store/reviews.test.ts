import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { readAudit, verifyAuditChain } from './audit.js';
import { CaseStore, type NewFace } from './case-store.js';
import { reviewDigest } from './result-digest.js';
import { addReview, allCurrentReviews, currentReview, currentReviews, reviewHistory } from './reviews.js';

let dir: string;
let store: CaseStore;
let evidenceId: number;

const face = (faceNo: number): NewFace => ({
  faceNo, box: [0, 0, 10, 10], detBox: [0, 0, 5, 5], detProb: 0.99, landmarks: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], crop: [0, 0, 12, 12],
  cropWidth: 12, cropHeight: 12, cropPng: Buffer.from([0x89]), track: 0, scores: {},
});

beforeEach(() => {
  dir = tempDir('deepscan-reviews-');
  store = new CaseStore(join(dir, 'case.sqlite'));
  store.createCase({ id: '0123456789abcdef', name: 'C', number: null, examiner: null, folder: '/evidence', createdAt: '2026-11-24T00:00:00Z', createdByVersion: '0' }, 'tester');
  evidenceId = store.insertEvidence({
    relPath: 'a/clip.mp4', size: 10, mtimeMs: 0, sha256: 'ab'.repeat(32), kind: 'video', status: 'pending', errorCode: null, error: null, integrity: 'ok',
    firstSeenAt: '2026-11-24T00:00:00Z', lastVerifiedAt: null, container: null, codec: null, pixelFormat: null, durationSec: null, fps: null, width: null,
    height: null, rotation: null, frameCount: null, frameCountSource: null, containerFrameCount: null, audioCodecs: null, videoStreamIndex: null,
  }, 'tester');
  const runId = store.startRun({ params: {}, softwareVersion: '0', stageVersions: {}, executionProvider: null, host: 'h', pid: 1 }, 'tester');
  store.saveAnalysis({
    evidenceId, runId, evidenceSha256: 'ab'.repeat(32), paramsKey: 'p', facesKey: 'faces-key-1', classifyKey: null, score: null, scoreNote: null, executionProvider: null,
    detector: null, modelResults: [], params: {}, stageVersions: {}, status: 'analyzed', errorCode: null, error: null, frameIndices: [0, 9],
    frames: [0, 9].map((frameIndex, sampleNo) => ({
      sampleNo, frameIndex, ptsSec: null, width: 10, height: 10, previewJpeg: Buffer.from([0xff]), detectWidth: 5, detectHeight: 5, faces: [face(0), face(1)],
    })),
  }, 'tester');
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const review = (over: Partial<Parameters<typeof addReview>[1]> = {}) =>
  ({ evidenceId, frameIndex: 9, faceNo: 1, decision: 'fake' as const, category: 2, note: 'n', examiner: 'E. Examiner', ...over });

describe('reviews', () => {
  it('keeps every decision; the latest per face is current', () => {
    const first = addReview(store, review(), '2026-11-24T10:00:00Z');
    expect(first).toMatchObject({ evidenceSha256: 'ab'.repeat(32), facesKey: 'faces-key-1', createdAt: '2026-11-24T10:00:00Z' });
    addReview(store, review({ decision: 'real', category: 0, note: null, examiner: 'Other' }));
    addReview(store, review({ frameIndex: 0, faceNo: 0, decision: 'unsure' }));
    expect(currentReview(store, evidenceId, 9, 1)).toMatchObject({ decision: 'real', category: 0, note: null, examiner: 'Other' });
    expect(reviewHistory(store, evidenceId, 9, 1).map((r) => r.decision)).toEqual(['fake', 'real']);
    expect([...currentReviews(store, evidenceId).keys()]).toEqual(['0:0', '9:1']);
    expect([...allCurrentReviews(store).keys()]).toEqual([`${evidenceId}:0:0`, `${evidenceId}:9:1`]);
    expect(currentReview(store, evidenceId, 9, 0)).toBeNull();
  });

  it('appends a review audit entry with each row, in the same transaction', () => {
    const r = addReview(store, review(), '2026-11-24T10:00:00Z');
    const last = readAudit(store.db).at(-1)!;
    expect(last).toMatchObject({ actor: 'E. Examiner', action: 'review', at: '2026-11-24T10:00:00Z' });
    // The entry names the review row and carries the digest of that row as stored.
    expect(last.details).toEqual({
      examiner: 'E. Examiner', path: 'a/clip.mp4', evidenceId, sha256: 'ab'.repeat(32), frame: 9, face: 1, decision: 'fake', category: 2, note: 'n',
      // The ids the views name the face with (faceLabel): track, sample number, frames sampled.
      track: 0, sampleNo: 1, sampledFrames: 2,
      review: r.id, results: reviewDigest(store.db, r.id),
    });
    expect((last.details as { results: { scope: string } }).results.scope).toBe(`review ${r.id}`);
    expect(verifyAuditChain(store.db).ok).toBe(true);
  });

  it('refuses faces the analysis does not have and bad categories, writing nothing', () => {
    const entries = readAudit(store.db).length;
    expect(() => addReview(store, review({ faceNo: 2 }))).toThrow(/has no face 2 in frame 9/);
    expect(() => addReview(store, review({ frameIndex: 5 }))).toThrow(/no face/);
    expect(() => addReview(store, review({ evidenceId: 999 }))).toThrow(/no evidence 999/);
    expect(() => addReview(store, review({ category: 6 }))).toThrow(/category/);
    expect(readAudit(store.db)).toHaveLength(entries);
    expect(store.prepare('SELECT COUNT(*) AS n FROM reviews').get()).toEqual({ n: 0 });
  });

  it('survives a re-analysis (keyed by frame index and face number, not face row id)', () => {
    addReview(store, review());
    const runId = store.startRun({ params: {}, softwareVersion: '0', stageVersions: {}, executionProvider: null, host: 'h', pid: 1 }, 'tester');
    store.saveAnalysis({
      evidenceId, runId, evidenceSha256: 'ab'.repeat(32), paramsKey: 'p2', facesKey: 'faces-key-2', classifyKey: null, score: null, scoreNote: null, executionProvider: null,
      detector: null, modelResults: [], params: {}, stageVersions: {}, status: 'analyzed', errorCode: null, error: null, frameIndices: [9],
      frames: [{ sampleNo: 0, frameIndex: 9, ptsSec: null, width: 10, height: 10, previewJpeg: Buffer.from([0xff]), detectWidth: 5, detectHeight: 5, faces: [face(0), face(1)] }],
    }, 'tester');
    expect(currentReview(store, evidenceId, 9, 1)).toMatchObject({ decision: 'fake', facesKey: 'faces-key-1' });
    expect(addReview(store, review({ decision: 'real' })).facesKey).toBe('faces-key-2');
  });
});
