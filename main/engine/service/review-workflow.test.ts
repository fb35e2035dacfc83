/**
 * Issue 13 on a synthetic case (no decoding): comparison energy per person from masks numbered
 * by the original's detections, review undo, category labels, review-queue filters and the
 * "reviewed = has a decision" rule, case details and the examiner rule. Everything written
 * must leave the audit log verifiable.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { installationKeyring } from '../case/signing-key.js';
import { openCase } from '../case/open-case.js';
import { readAudit } from '../store/audit.js';
import { CaseStore, type Box4, type NewFace } from '../store/case-store.js';
import { comparisonEnergy, latestFaceEnergies } from '../store/comparison-energy.js';
import { saveComparison } from '../store/masks.js';
import { addReview, currentReview } from '../store/reviews.js';
import { verifyCaseAudit } from '../store/verify-audit.js';
import { buildCaseJson } from '../report/case-json.js';
import { examinerFor, updateCaseDetails } from './examiner.js';
import { getCategoryLabels, reviewQueue, submitReview, undoLastReview, updateCategoryLabel } from './reviews.js';
import { videoDetail } from './video.js';

let dir: string;
let store: CaseStore;
let evidenceId: number;
let referenceId: number;

/** Three people side by side; person t's crop is at x = 100·t. */
const cropOf = (track: number): Box4 => [100 * track, 0, 100 * track + 60, 60];
const face = (faceNo: number, track: number, prob: number): NewFace => ({
  faceNo, box: cropOf(track), detBox: [0, 0, 5, 5], detProb: 0.99, landmarks: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], crop: cropOf(track),
  cropWidth: 60, cropHeight: 60, cropPng: Buffer.from([0x89]), track, scores: { m: { logit: 0, prob } },
});

const evidence = (relPath: string, sha: string) => store.insertEvidence({
  relPath, size: 10, mtimeMs: 0, sha256: sha, kind: 'video', status: 'pending', errorCode: null, error: null, integrity: 'ok',
  firstSeenAt: '2026-11-24T00:00:00Z', lastVerifiedAt: null, container: null, codec: null, pixelFormat: null, durationSec: null, fps: null, width: 640,
  height: 360, rotation: null, frameCount: 300, frameCountSource: null, containerFrameCount: null, audioCodecs: null, videoStreamIndex: null,
}, 'tester');

beforeEach(() => {
  dir = tempDir('deepscan-review-workflow-');
  // Signed, as every real case is: the verifier refuses result digests in unsigned entries.
  store = new CaseStore(join(dir, 'case.sqlite'), { keyring: installationKeyring(join(dir, 'home'), { write: true }) });
  store.createCase({ id: '0123456789abcdef', name: 'C', number: null, examiner: null, folder: '/evidence', createdAt: '2026-11-24T00:00:00Z', createdByVersion: '0' }, 'tester');
  evidenceId = evidence('suspect.mp4', 'ab'.repeat(32));
  referenceId = evidence('original.mp4', 'cd'.repeat(32));
  const runId = store.startRun({ params: {}, softwareVersion: '0', stageVersions: {}, executionProvider: null, host: 'h', pid: 1 }, 'tester');
  store.saveAnalysis({
    evidenceId, runId, evidenceSha256: 'ab'.repeat(32), paramsKey: 'p', facesKey: 'fk', classifyKey: null, score: null, scoreNote: null, executionProvider: null,
    detector: null, modelResults: [], params: {}, stageVersions: {}, status: 'analyzed', errorCode: null, error: null, frameIndices: [0, 9],
    // Suspect detection order differs from the original's: face 0 is person 2, face 2 is person 0.
    frames: [0, 9].map((frameIndex, sampleNo) => ({
      sampleNo, frameIndex, ptsSec: null, width: 640, height: 360, previewJpeg: Buffer.from([0xff]), detectWidth: 320, detectHeight: 180,
      faces: [face(0, 2, 0.55), face(1, 1, 0.7), face(2, 0, 0.95)],
    })),
  }, 'tester');
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Masks numbered in the original's order (person 0, 1, 2); person 1 is the swapped one. */
function compare(): number {
  const energy = [0.018, 0.078, 0.017];
  return saveComparison(store, {
    suspectEvidenceId: evidenceId, referenceEvidenceId: referenceId, suspectSha256: 'ab'.repeat(32), referenceSha256: 'cd'.repeat(32), frameOffset: 0,
    params: { frameIndices: [0, 9] }, stageVersion: 1,
    masks: [0, 9].flatMap((frameIndex) => [0, 1, 2].map((faceNo) => ({
      frameIndex, referenceFrameIndex: frameIndex, faceNo, crop: cropOf(faceNo), maskPng: Buffer.from([faceNo]), energy: energy[faceNo] + frameIndex / 10000,
    }))),
  }, 'E. Examiner');
}

describe('comparison energy', () => {
  it('maps masks to suspect faces by crop overlap and aggregates per person and per video', () => {
    const id = compare();
    const c = comparisonEnergy(store, id)!;
    expect(c.tracks.map((t) => t.track)).toEqual([1, 0, 2]);
    expect(c.tracks[0]).toMatchObject({ track: 1, faces: 2, frames: 2 });
    expect(c.tracks[0].energy).toBeCloseTo(0.07845, 6);
    expect(c.tracks[0].maxEnergy).toBeCloseTo(0.0789, 6);
    expect(c.energy).toBeCloseTo((0.018 + 0.078 + 0.017) / 3 + 0.00045, 6);
    expect(c.unmatchedFaces).toBe(0);
    // The mask of the original's face 0 belongs to the suspect's face 2 (person 0), not its face 0.
    const m = c.matches.find((x) => x.frameIndex === 0 && x.maskFaceNo === 0)!;
    expect([m.faceNo, m.track]).toEqual([2, 0]);
    const audit = readAudit(store.db).find((e) => e.action === 'comparison-computed')!;
    expect((audit.details as { tracks: { track: number }[] }).tracks[0].track).toBe(1);
  });

  it('is in the video detail, the face energies and the --json export', () => {
    compare();
    const v = videoDetail(store, evidenceId);
    expect(v.comparisons?.[0]).toMatchObject({ reference: 'original.mp4', referenceSha256: 'cd'.repeat(32), frames: 2, faces: 6 });
    expect(v.tracks.find((t) => t.id === 1)?.energy).toBeCloseTo(0.07845, 6);
    expect(v.frames[0].faces.find((f) => f.track === 1)?.energy).toBeCloseTo(0.078, 6);
    expect(latestFaceEnergies(store, evidenceId).size).toBe(6);
    const json = buildCaseJson(store).evidence.find((e) => e.path === 'suspect.mp4')!;
    expect(json.comparisons).toHaveLength(1);
    expect(json.comparisons[0]).toMatchObject({ reference: 'original.mp4', referenceSha256: 'cd'.repeat(32), offset: 0, frames: 2 });
    expect(json.comparisons[0].tracks[0]).toMatchObject({ track: 1, faces: 2 });
    expect(buildCaseJson(store).evidence.find((e) => e.path === 'original.mp4')!.comparisons).toEqual([]);
  });
});

describe('review queue', () => {
  const examiner = 'E. Examiner';
  it('filters by evidence, person, band, decision, energy and review state', () => {
    compare();
    expect(reviewQueue(store, 0.5)).toHaveLength(6);
    expect(reviewQueue(store, 0.5, { track: 1 }).map((i) => i.track)).toEqual([1, 1]);
    expect(reviewQueue(store, 0.5, { evidenceId: referenceId })).toEqual([]);
    expect(reviewQueue(store, 0.5, { bands: ['very-strong'] }).every((i) => i.track === 0 && i.band === 'very-strong')).toBe(true);
    expect(reviewQueue(store, 0.5, { energyMin: 0.05 }).map((i) => i.track)).toEqual([1, 1]);
    expect(reviewQueue(store, 0.5, { energyMax: 0.0175 }).map((i) => i.track)).toEqual([2]);
    submitReview(store, { caseId: 'x', evidenceId, frameIndex: 0, faceNo: 1, category: 3, examiner });
    submitReview(store, { caseId: 'x', evidenceId, frameIndex: 9, faceNo: 1, decision: 'fake', examiner });
    const states = reviewQueue(store, 0.5, { track: 1 }).map((i) => [i.frameIndex, i.reviewState, i.reviewed]);
    expect(states).toEqual(expect.arrayContaining([[0, 'needs-decision', false], [9, 'decided', true]]));
    expect(reviewQueue(store, 0.5, { states: ['needs-decision'] }).map((i) => i.frameIndex)).toEqual([0]);
    expect(reviewQueue(store, 0.5, { decisions: ['fake'] }).map((i) => i.frameIndex)).toEqual([9]);
    expect(reviewQueue(store, 0.5, { decisions: ['none'] })).toHaveLength(5);
  });
});

describe('review queue filters with several values', () => {
  const examiner = 'E. Examiner';
  it('takes several bands and several decisions (any of them matches), and an empty filter matches all', () => {
    // Bands here: person 0 (0.95) very strong, person 1 (0.7) moderate, person 2 (0.55) weak.
    const bandsOf = (f: Parameters<typeof reviewQueue>[2]) => reviewQueue(store, 0.5, f).map((i) => i.band).sort();
    expect(bandsOf({ bands: ['very-strong', 'weak'] })).toEqual(['very-strong', 'very-strong', 'weak', 'weak']);
    expect(bandsOf({ bands: ['very-strong', 'moderate', 'weak'] })).toHaveLength(6);
    expect(bandsOf({ bands: ['strong'] })).toEqual([]);
    submitReview(store, { caseId: 'x', evidenceId, frameIndex: 0, faceNo: 2, decision: 'fake', examiner });
    submitReview(store, { caseId: 'x', evidenceId, frameIndex: 9, faceNo: 2, decision: 'real', examiner });
    submitReview(store, { caseId: 'x', evidenceId, frameIndex: 0, faceNo: 1, note: 'seam', examiner });
    const pick = (f: Parameters<typeof reviewQueue>[2]) => reviewQueue(store, 0.5, f).map((i) => `${i.frameIndex}:${i.faceNo}:${i.review?.decision ?? 'none'}`).sort();
    expect(pick({ decisions: ['fake', 'none'] })).toEqual(['0:0:none', '0:1:none', '0:2:fake', '9:0:none', '9:1:none']);
    expect(pick({ decisions: ['fake', 'real'] })).toEqual(['0:2:fake', '9:2:real']);
    // Lists combine with each other as "and": very strong and decided fake or real.
    expect(pick({ bands: ['very-strong'], decisions: ['real', 'unsure'] })).toEqual(['9:2:real']);
    expect(reviewQueue(store, 0.5, {})).toHaveLength(6);
    // Each item says where its frame sits among the sampled ones (the views' "frame 2 of 2").
    expect(reviewQueue(store, 0.5).map((i) => [i.frameIndex, i.sampleNo])).toEqual(expect.arrayContaining([[0, 0], [9, 1]]));
  });
});

describe('undo of the last decision', () => {
  const examiner = 'E. Examiner';
  it('restores the previous state with a new audited row, stepping back on each undo', () => {
    addReview(store, { evidenceId, frameIndex: 0, faceNo: 1, decision: 'real', category: null, note: null, examiner });
    addReview(store, { evidenceId, frameIndex: 0, faceNo: 1, decision: 'fake', category: 2, note: 'seam', examiner });
    addReview(store, { evidenceId, frameIndex: 9, faceNo: 0, decision: 'unsure', category: null, note: null, examiner });
    const first = undoLastReview(store, 'Second Examiner');
    expect(first).toMatchObject({ frameIndex: 9, faceNo: 0, review: { decision: null, examiner: 'Second Examiner' } });
    const second = undoLastReview(store, examiner);
    expect(second.review).toMatchObject({ decision: 'real', category: null, note: null });
    expect(currentReview(store, evidenceId, 0, 1)?.decision).toBe('real');
    undoLastReview(store, examiner);
    expect(currentReview(store, evidenceId, 0, 1)?.decision).toBeNull();
    expect(() => undoLastReview(store, examiner)).toThrow(expect.objectContaining({ code: 'nothing-to-undo' }));
    // Nothing deleted: 3 decisions + 3 undos, each audited with the examiner.
    expect((store.prepare('SELECT count(*) AS n FROM reviews').get() as { n: number }).n).toBe(6);
    const undos = readAudit(store.db).filter((e) => e.action === 'review-undone');
    expect(undos.map((e) => e.actor)).toEqual(['Second Examiner', examiner, examiner]);
    expect(undos[1].details).toMatchObject({ from: { decision: 'fake' }, to: { decision: 'real' } });
    // The ids the views name the face with (faceLabel), as in the review entry: person 2, frame 1 of 2.
    expect(undos[1].details).toMatchObject({ evidenceId, frame: 0, face: 1, track: 1, sampleNo: 0, sampledFrames: 2 });
    expect(verifyCaseAudit(store.db).ok).toBe(true);
  });

  it('can be limited to one face', () => {
    addReview(store, { evidenceId, frameIndex: 0, faceNo: 1, decision: 'fake', category: null, note: null, examiner });
    addReview(store, { evidenceId, frameIndex: 9, faceNo: 0, decision: 'real', category: null, note: null, examiner });
    undoLastReview(store, examiner, { evidenceId, frameIndex: 0, faceNo: 1 });
    expect(currentReview(store, evidenceId, 0, 1)?.decision).toBeNull();
    expect(currentReview(store, evidenceId, 9, 0)?.decision).toBe('real');
  });

  it('an edited undo row fails verification', () => {
    addReview(store, { evidenceId, frameIndex: 0, faceNo: 1, decision: 'fake', category: null, note: null, examiner });
    const u = undoLastReview(store, examiner);
    store.db.prepare("UPDATE reviews SET decision = 'fake' WHERE undoes IS NOT NULL").run();
    const v = verifyCaseAudit(store.db);
    expect(v.ok).toBe(false);
    expect(v.problem).toContain(`review ${u.undoneReviewId + 1}`);
  });
});

describe('category labels', () => {
  it('has defaults, keeps per-case labels, resets, audits and verifies', () => {
    expect(getCategoryLabels(store).map((l) => l.label)).toEqual(['Uncategorised', 'CAT-1', 'CAT-2', 'CAT-3', 'CAT-4', 'CAT-5']);
    updateCategoryLabel(store, 2, ' Face swap ', 'E. Examiner');
    expect(getCategoryLabels(store)[2]).toEqual({ category: 2, label: 'Face swap', custom: true });
    expect(verifyCaseAudit(store.db).ok).toBe(true);
    updateCategoryLabel(store, 2, null, 'E. Examiner');
    expect(getCategoryLabels(store)[2]).toEqual({ category: 2, label: 'CAT-2', custom: false });
    const entries = readAudit(store.db).filter((e) => e.action === 'category-label-changed');
    expect(entries.map((e) => (e.details as { to: string }).to)).toEqual(['Face swap', 'CAT-2']);
    expect(verifyCaseAudit(store.db).ok).toBe(true);
    store.db.prepare("UPDATE category_labels SET label = 'forged' WHERE category = 2").run();
    expect(verifyCaseAudit(store.db).problem).toContain('category labels');
    expect(() => updateCategoryLabel(store, 6, 'x', 'E')).toThrow(/category/);
  });
});

describe('case details and the examiner', () => {
  it('refuses a write without an examiner, then remembers the first one named', () => {
    expect(() => examinerFor(store, undefined)).toThrow(expect.objectContaining({ code: 'examiner-required' }));
    expect(examinerFor(store, ' A. Analyst ')).toBe('A. Analyst');
    expect(store.getCase()?.examiner).toBe('A. Analyst');
    expect(examinerFor(store, undefined)).toBe('A. Analyst');
    // A second examiner acts under their own name without replacing the case's.
    expect(examinerFor(store, 'B. Other')).toBe('B. Other');
    expect(store.getCase()?.examiner).toBe('A. Analyst');
  });

  it('changes name, number and examiner in one audited entry', () => {
    const s = updateCaseDetails(store, { name: 'Operation X', number: '2026-1', examiner: 'C. New' }, 'A. Analyst');
    expect(s).toMatchObject({ name: 'Operation X', number: '2026-1', examiner: 'C. New' });
    const e = readAudit(store.db).filter((x) => x.action === 'case-details-changed').at(-1)!;
    expect(e.actor).toBe('A. Analyst');
    expect(e.details).toMatchObject({ from: { name: 'C', number: null, examiner: null }, to: { name: 'Operation X', number: '2026-1', examiner: 'C. New' } });
    updateCaseDetails(store, { number: null }, 'A. Analyst');
    expect(store.getCase()?.number).toBeNull();
    expect(() => updateCaseDetails(store, { name: ' ' }, 'A. Analyst')).toThrow(/blank/);
  });
});

describe('the CLI fallback actor', () => {
  it('is the OS account, marked as such; an acting examiner does not replace the case\'s', async () => {
    const folder = join(dir, 'evidence');
    mkdirSync(folder);
    const home = join(dir, 'home2');
    const c = await openCase({ folder, home });
    try {
      expect(c.actor).toMatch(/ \(OS user\)$/);
      expect(readAudit(c.store.db)[0]).toMatchObject({ action: 'case-created', actor: c.actor });
      expect(c.info.examiner).toBeNull();
    } finally {
      c.store.close();
    }
    const d = await openCase({ folder, home, actor: 'D. Acting', mustExist: true });
    try {
      expect(d.actor).toBe('D. Acting');
      expect(d.store.getCase()?.examiner).toBeNull();
    } finally {
      d.store.close();
    }
  });
});
