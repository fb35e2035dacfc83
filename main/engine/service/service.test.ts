/**
 * The workstation service on a real case: the shared three-faces video (2 sampled frames, the
 * seed-7 checkpoint imported through the service), a text file, real ffmpeg, MTCNN, ONNX and
 * SQLite. One analysed case is shared by every test to keep CPU time low.
 */
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary, EvidenceRow, TaskEvent, VideoDetail } from '../../../common/api.js';
import type { Result } from '../../../common/result.js';
import { makeTestVideo } from '../../../test/helpers/make-media.js';
import { FIXTURE_VIDEO, FIXTURES, tempDir } from '../../../test/helpers/paths.js';
import { caseDbPath } from '../case/workspace.js';
import { buildCaseJson } from '../report/case-json.js';
import { CaseStore } from '../store/case-store.js';
import { reviewHistory } from '../store/reviews.js';
import { createWorkstationService, type WorkstationService } from './index.js';

const CHECKPOINT = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function errorCode(r: Result<unknown>): string {
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.error.code;
}

let work: string;
let home: string;
let folder: string;
let service: WorkstationService;
let summary: CaseSummary;
let evidence: EvidenceRow[];
let video: VideoDetail;
const events: TaskEvent[] = [];

beforeAll(async () => {
  work = tempDir('deepscan-service-');
  home = join(work, 'home');
  folder = join(work, 'case');
  mkdirSync(folder);
  copyFileSync(FIXTURE_VIDEO, join(folder, 'three_faces.mp4'));
  writeFileSync(join(folder, 'notes.txt'), 'received from officer K.\n');
  service = createWorkstationService({ home });
  service.onTaskEvent((e) => events.push(e));
  value(await service.importModel(CHECKPOINT));
  summary = value(await service.openCase({ folder, examiner: 'E. Examiner' }));
  const finished = new Promise<TaskEvent>((resolve) => {
    const off = service.onTaskEvent((e) => {
      if (e.type === 'task-finished') {
        off();
        resolve(e);
      }
    });
  });
  value(await service.startAnalysis({ caseId: summary.id, frames: 2 }));
  expect(await finished).toMatchObject({ status: 'completed', error: null });
  evidence = value(await service.listEvidence(summary.id));
  const v = evidence.find((e) => e.path === 'three_faces.mp4')!;
  video = value(await service.getVideo(summary.id, v.id));
});

afterAll(async () => {
  await service?.cancelAll();
  rmSync(work, { recursive: true, force: true });
});

describe('cases and evidence', () => {
  it('lists the evidence with sampled frames and face counts', () => {
    expect(evidence.map((e) => [e.path, e.status, e.sampledFrames, e.faces])).toEqual([
      ['notes.txt', 'not-media', 0, 0],
      ['three_faces.mp4', 'analyzed', 2, 6],
    ]);
  });

  it('lists recent cases, newest first, and leaves unreadable case folders out', async () => {
    const other = join(work, 'other');
    mkdirSync(other);
    makeTestVideo(join(other, 'clip.mp4'), { frames: 5, width: 64, height: 48 });
    const second = value(await service.openCase({ folder: other, name: 'Second' }));
    mkdirSync(join(home, 'cases', 'ffffffffffffffff'), { recursive: true });
    writeFileSync(join(home, 'cases', 'ffffffffffffffff', 'case.sqlite'), 'not a database');
    const list = value(await service.listRecentCases());
    expect(list.map((c) => c.id)).toEqual([second.id, summary.id]);
    expect(list[1]).toEqual({ ...summary, examiner: 'E. Examiner' });

    // The views read the case database: they keep working when the evidence folder is gone.
    renameSync(other, `${other}-unplugged`);
    expect(value(await service.getCase(second.id)).name).toBe('Second');
    expect(value(await service.listEvidence(second.id)).map((e) => e.path)).toEqual(['clip.mp4']);
    expect(errorCode(await service.startAnalysis({ caseId: second.id }))).toBe('folder-missing');
  });

  it('refuses unknown and malformed case ids', async () => {
    expect(errorCode(await service.getCase('0123456789abcdef'))).toBe('case-missing');
    expect(errorCode(await service.getVideo('../../etc', 1))).toBe('invalid-argument');
    expect(errorCode(await service.getAudit('0123456789ABCDEF'))).toBe('invalid-argument');
  });
});

describe('getVideo', () => {
  it('returns frames, faces, models and tracks that agree with the JSON contract', () => {
    const store = new CaseStore(caseDbPath(home, summary.id), { readonly: true });
    const json = buildCaseJson(store).evidence.find((e) => e.path === 'three_faces.mp4')!;
    store.close();
    expect(video.evidence).toMatchObject({ path: 'three_faces.mp4', faces: 6, sampledFrames: 2 });
    expect(video.frames.map((f) => f.index)).toEqual(json.frames.map((f) => f.index));
    expect(video.frames.map((f) => f.sampleNo)).toEqual([0, 1]);
    expect(video.frames[0]).toMatchObject({ width: 1920, height: 1080 });
    expect(video.score).toBe(json.score);
    expect(video.scoreNote).toBeNull();
    expect(video.tracks).toEqual(json.tracks);
    expect(video.models).toHaveLength(1);
    const [model] = video.models;
    expect(model).toMatchObject({ name: 'dfdc_b0_seed7', faces: 6, value: json.models[model.id].value, branch: json.models[model.id].branch });
    expect(video.analysis).toMatchObject({ executionProvider: 'cpu', params: expect.objectContaining({ frames: 2 }) });
    expect(video.analysis?.stageVersions).toEqual(json.analysis?.stageVersions);
    video.frames.forEach((f, i) => {
      expect(f.faces.map((x) => x.faceNo)).toEqual(f.faces.map((_, n) => n));
      f.faces.forEach((face, n) => {
        const ref = json.frames[i].faces[n];
        expect({ box: face.box, detector: face.detector, landmarks: face.landmarks, crop: face.crop, track: face.track, predictions: face.predictions })
          .toEqual({ box: ref.box, detector: ref.detector, landmarks: ref.landmarks, crop: ref.crop, track: ref.track, predictions: ref.predictions });
        expect(face.ensemble).toBeCloseTo(face.predictions[model.id], 12);
        expect(face.review).toBeNull();
      });
    });
  });

  it('gives the seed-exact score beside the score, and labels the uncarded B0 fixture a test model (issue 12)', () => {
    const store = new CaseStore(caseDbPath(home, summary.id), { readonly: true });
    const json = buildCaseJson(store).evidence.find((e) => e.path === 'three_faces.mp4')!;
    store.close();
    // 6 faces, well under the reference's 127: the winner would have used them all, so the two agree.
    expect(json).toMatchObject({ seedFaces: 6, seedNote: null });
    expect(json.seedScore).toBeCloseTo(json.score!, 12);
    expect(video.seed).toEqual({ score: json.seedScore, faces: 6, note: null, totalFaces: 6 });
    const [id] = Object.keys(json.models);
    expect(json.models[id]).toMatchObject({ name: 'dfdc_b0_seed7', ensemble: null, label: 'test model — not trained, scores meaningless' });
    expect(video.models[0].label).toBe('test model — not trained, scores meaningless');
  });

  it('returns an empty detail for an item that was not analysed, and refuses unknown items', async () => {
    const notes = evidence.find((e) => e.path === 'notes.txt')!;
    const d = value(await service.getVideo(summary.id, notes.id));
    expect(d).toMatchObject({ score: null, models: [], tracks: [], frames: [], analysis: null });
    expect(errorCode(await service.getVideo(summary.id, 9999))).toBe('invalid-argument');
  });

  it('serves frame previews as JPEG and face crops as PNG data: URLs', async () => {
    const preview = value(await service.getFramePreview(summary.id, video.frames[0].id));
    expect(preview).toMatch(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(preview.split(',')[1], 'base64').subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const crop = value(await service.getFaceCrop(summary.id, video.frames[0].faces[0].id));
    expect(crop).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(crop.split(',')[1], 'base64').subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(errorCode(await service.getFramePreview(summary.id, 9999))).toBe('invalid-argument');
    expect(errorCode(await service.getFaceCrop(summary.id, 9999))).toBe('invalid-argument');
  });
});

describe('reviews', () => {
  it('queues faces at or above the threshold, highest ensemble first', async () => {
    const all = value(await service.getReviewQueue(summary.id, 0));
    expect(all).toHaveLength(6);
    const ens = all.map((q) => q.ensemble);
    expect(ens).toEqual([...ens].sort((a, b) => b - a));
    const byDefault = value(await service.getReviewQueue(summary.id));
    expect(byDefault).toEqual(all.filter((q) => q.ensemble >= 0.5));
    const top = all[0];
    const face = video.frames.find((f) => f.id === top.frameId)!.faces.find((f) => f.id === top.faceId)!;
    expect(top).toMatchObject({ path: 'three_faces.mp4', frameIndex: video.frames.find((f) => f.id === top.frameId)!.index, faceNo: face.faceNo, track: face.track, review: null });
    expect(top.ensemble).toBeCloseTo(face.ensemble!, 12);
    expect(value(await service.getReviewQueue(summary.id, 1)).every((q) => q.ensemble === 1)).toBe(true);
  });

  it('records each decision as a new row with an audit entry; the latest is current', async () => {
    const [top] = value(await service.getReviewQueue(summary.id, 0));
    const target = { caseId: summary.id, evidenceId: top.evidenceId, frameIndex: top.frameIndex, faceNo: top.faceNo };
    const first = value(await service.submitReview({ ...target, decision: 'fake', category: 3, note: 'blending at the jaw line', examiner: 'E. Examiner' }));
    expect(first).toMatchObject({ decision: 'fake', category: 3, note: 'blending at the jaw line', examiner: 'E. Examiner' });
    // A field left out keeps its value; null clears it.
    const second = value(await service.submitReview({ ...target, category: 1, note: null, examiner: 'Second Examiner' }));
    expect(second).toMatchObject({ decision: 'fake', category: 1, note: null, examiner: 'Second Examiner' });

    const queued = value(await service.getReviewQueue(summary.id, 0)).find((q) => q.faceId === top.faceId)!;
    expect(queued.review).toEqual(second);
    const detail = value(await service.getVideo(summary.id, top.evidenceId));
    expect(detail.frames.find((f) => f.id === top.frameId)!.faces.find((f) => f.id === top.faceId)!.review).toEqual(second);

    const store = new CaseStore(caseDbPath(home, summary.id), { readonly: true });
    expect(reviewHistory(store, top.evidenceId, top.frameIndex, top.faceNo).map((r) => r.decision)).toEqual(['fake', 'fake']);
    store.close();

    const audit = value(await service.getAudit(summary.id));
    expect(audit).toMatchObject({ ok: true, firstBadSeq: null, problem: null });
    expect(audit.entries).toBe(audit.items.length);
    expect(audit.headHash).toBe(audit.items[audit.items.length - 1].hash);
    const reviews = audit.items.filter((i) => i.action === 'review');
    expect(reviews.map((r) => r.actor)).toEqual(['E. Examiner', 'Second Examiner']);
    expect(reviews[0].details).toMatchObject({
      examiner: 'E. Examiner', path: 'three_faces.mp4', sha256: video.evidence.sha256, frame: top.frameIndex, face: top.faceNo,
      decision: 'fake', category: 3, note: 'blending at the jaw line', results: { scope: expect.stringMatching(/^review \d+$/) as unknown },
    });
    expect(audit.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.items[0].action).toBe('case-created');
  });

  it('refuses reviews of faces the analysis does not have, without an audit entry', async () => {
    const before = value(await service.getAudit(summary.id)).entries;
    const r = await service.submitReview({ caseId: summary.id, evidenceId: video.evidence.id, frameIndex: 1, faceNo: 0, decision: 'real', examiner: 'E. Examiner' });
    expect(errorCode(r)).toBe('invalid-argument');
    expect(errorCode(await service.submitReview({ caseId: summary.id, evidenceId: 9999, frameIndex: 0, faceNo: 0, examiner: 'E' }))).toBe('invalid-argument');
    expect(errorCode(await service.submitReview({ caseId: summary.id, evidenceId: video.evidence.id, frameIndex: 0, faceNo: 0, examiner: '  ' }))).toBe('invalid-argument');
    expect(value(await service.getAudit(summary.id)).entries).toBe(before);
  });

  it('getAudit names the first broken entry of a tampered chain', async () => {
    const other = value(await service.listRecentCases()).find((c) => c.name === 'Second')!;
    const store = new CaseStore(caseDbPath(home, other.id));
    store.db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone else' WHERE seq = 2");
    store.close();
    const audit = value(await service.getAudit(other.id));
    expect(audit).toMatchObject({ ok: false, firstBadSeq: 2 });
    expect(audit.problem).toMatch(/altered/);
    expect(audit.items[1].actor).toBe('someone else');
  });
});

describe('models', () => {
  it('lists the installed model with its sources; importing it again adds nothing', async () => {
    const models = value(await service.listModels());
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ id: video.models[0].id, name: 'dfdc_b0_seed7', architecture: 'efficientnet-b0', inputSize: 380, onnxSha256: video.models[0].onnxSha256 });
    expect(models[0].sources).toEqual([{ fileName: 'dfdc_b0_seed7.legacy.pth', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), format: 'torch-legacy' }]);
    expect(models[0].parameters).toBeGreaterThan(5e6);
  });

  it('reports an unreadable model file by its code', async () => {
    expect(errorCode(await service.importModel(join(work, 'missing.pth')))).toBe('file-unreadable');
  });
});

describe('task events', () => {
  it('streamed the analysis from start to finish', () => {
    expect(events.find((e) => e.type !== 'item-progress' || e.stage !== 'verify')).toMatchObject({ type: 'task-started', caseId: summary.id, total: 1 });
    expect(events.some((e) => e.type === 'item-finished' && e.evidencePath === 'three_faces.mp4' && e.status === 'analyzed')).toBe(true);
    expect(events.filter((e) => e.type === 'task-finished')).toHaveLength(1);
  });
});
