/** A scriptable fake of the workstation API for renderer tests (records calls, emits events). */
import type {
  AuditView,
  CaseSummary,
  ComparisonSummary,
  DeepscanApi,
  DeepscanClient,
  EvidenceRow,
  FaceInfo,
  FaceOverlays,
  FrameInfo,
  ModelInfo,
  ReviewInfo,
  ReviewQueueItem,
  ReviewRequest,
  ReportResult,
  TaskEvent,
  TaskInfo,
  VideoDetail,
} from '../../../common/api.js';
import { ENGINE_OPERATIONS } from '../../../common/operations.js';
import { verdictBand } from '../../../common/verdict.js';
import { fail, ok, type Result } from '../../../common/result.js';

export const SUMMARY: CaseSummary = {
  id: 'case-1',
  name: 'Harbour fraud',
  number: '2026-0042',
  examiner: 'J. Doe',
  folder: '/cases/2026-0042/evidence',
  createdAt: '2026-11-24T09:00:00Z',
  evidenceCount: 3,
};

export function row(partial: Partial<EvidenceRow> & Pick<EvidenceRow, 'id' | 'path'>): EvidenceRow {
  return {
    size: 1_048_576,
    sha256: 'a'.repeat(64),
    kind: 'video',
    status: 'pending',
    error: null,
    integrity: 'unverified',
    durationSec: 12,
    frameCount: 360,
    fps: 30,
    width: 1280,
    height: 720,
    sampledFrames: 0,
    faces: 0,
    score: null,
    reviewedFaces: 0,
    warnings: [],
    ...partial,
  };
}

export const ROWS: EvidenceRow[] = [
  row({ id: 1, path: 'clips/interview.mp4', sha256: '3f9a1c0b7d2e'.padEnd(64, '0') }),
  row({ id: 2, path: 'clips/broken.mov', sha256: '77aa00bb11cc'.padEnd(64, '1') }),
  row({ id: 3, path: 'notes.txt', kind: 'other', status: 'not-media', width: null, height: null, durationSec: null, frameCount: null }),
];

export const MODELS: ModelInfo[] = [
  {
    id: 'b0-seed7',
    name: 'EfficientNet-B0 seed 7',
    architecture: 'efficientnet-b0',
    inputSize: 380,
    parameters: 4_008_829,
    onnxSha256: 'c0ffee'.padEnd(64, '7'),
    sources: [{ fileName: 'dfdc_b0_seed7.legacy.pth', sha256: 'beef'.padEnd(64, '1'), format: 'torch-legacy' }],
    createdAt: '2026-11-20T10:00:00Z',
  },
  {
    id: 'b0-seed8',
    name: 'EfficientNet-B0 seed 8',
    architecture: 'efficientnet-b0',
    inputSize: 380,
    parameters: 4_008_829,
    onnxSha256: 'facade'.padEnd(64, '8'),
    sources: [{ fileName: 'dfdc_b0_seed8.pth', sha256: 'dead'.padEnd(64, '2'), format: 'torch-zip' }],
    createdAt: '2026-11-21T10:00:00Z',
  },
];

/** Probability of face `no` (0 or 1) in sample `s` for model `m`: person 1 is "suspicious". */
function p(s: number, no: number, m: number): number {
  const base = no === 1 ? 0.86 + 0.1 * Math.sin(s + m) : 0.08 + 0.05 * Math.cos(s * 1.7 + m);
  return Math.round(Math.min(0.99, Math.max(0.01, base)) * 1000) / 1000;
}

/** A small analysed video: 8 sampled frames with two people (track 0 calm, track 1 flagged). */
export function videoDetail(evidence: EvidenceRow = { ...ROWS[0], status: 'analyzed', sampledFrames: 8, faces: 16 }): VideoDetail {
  let faceId = 100 * evidence.id;
  const frames: FrameInfo[] = [];
  for (let s = 0; s < 8; s++) {
    const faces: FaceInfo[] = [0, 1].map((no) => {
      const x = no === 0 ? 200 : 760;
      const predictions = { 'b0-seed7': p(s, no, 0), 'b0-seed8': p(s, no, 1) };
      return {
        id: faceId++,
        faceNo: no,
        box: [x, 180, x + 220, 460] as [number, number, number, number],
        detector: { box: [x, 180, x + 220, 460] as [number, number, number, number], prob: 0.999 },
        landmarks: [
          [x + 70, 280],
          [x + 150, 280],
          [x + 110, 340],
          [x + 80, 400],
          [x + 140, 400],
        ] as [number, number][],
        crop: [x - 40, 140, x + 260, 500] as [number, number, number, number],
        track: no,
        predictions,
        ensemble: (predictions['b0-seed7'] + predictions['b0-seed8']) / 2,
        review: null,
      };
    });
    frames.push({ id: 10 * evidence.id + s, sampleNo: s, index: s * 45, pts: s * 1.5, width: 1280, height: 720, faces });
  }
  const all = frames.flatMap((f) => f.faces);
  const modelValue = (id: string) => {
    const ps = all.map((f) => f.predictions[id]);
    return ps.reduce((a, b) => a + b, 0) / ps.length;
  };
  const models = MODELS.map((m) => ({ id: m.id, name: m.name, onnxSha256: m.onnxSha256, value: modelValue(m.id), branch: 'mean' as const, faces: all.length }));
  const score = models.reduce((a, m) => a + (m.value ?? 0), 0) / models.length;
  return {
    evidence,
    score,
    scoreNote: null,
    models,
    tracks: [0, 1].map((t) => ({
      id: t,
      score: all.filter((f) => f.track === t).reduce((a, f) => a + (f.ensemble ?? 0), 0) / 8,
      faces: 8,
      frames: frames.map((f) => f.index),
    })),
    frames,
    analysis: { run: 1, completedAt: '2026-11-24T10:00:00Z', executionProvider: 'cpu', params: { frames: 8 }, stageVersions: { faces: 1, classify: 1 } },
  };
}

/** A 1×1 PNG (valid image data for <img>). */
export const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export const AUDIT: AuditView = {
  ok: true,
  entries: 3,
  headHash: '9e'.padEnd(64, 'a'),
  firstBadSeq: null,
  problem: null,
  items: [
    { seq: 1, at: '2026-11-24T09:00:00Z', actor: 'J. Doe', action: 'case-created', details: { folder: '/cases/2026-0042/evidence' }, hash: '11'.padEnd(64, 'b') },
    { seq: 2, at: '2026-11-24T09:01:00Z', actor: 'J. Doe', action: 'evidence-registered', details: { path: 'clips/interview.mp4' }, hash: '22'.padEnd(64, 'c') },
    { seq: 3, at: '2026-11-24T10:00:00Z', actor: 'J. Doe', action: 'analysis-completed', details: { run: 1 }, hash: '9e'.padEnd(64, 'a') },
  ],
};

/** A 2×2 grey PNG (a difference mask). */
export const MASK_PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNoUGBoUAAABCYBQQPc5RYAAAAASUVORK5CYII=';
/** A 2×2 RGBA PNG (an attention map). */
export const HEAT_PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFElEQVR4nGP4z8DQwMDw34EBxgAAMiwFfTHXKE4AAAAASUVORK5CYII=';

export const HEATMAP_LABEL = 'model attention (occlusion sensitivity)';

/** Overlays of a face with a difference mask (reference crop a few pixels off the face's crop). */
export function maskOverlay(face: Pick<FaceInfo, 'crop'>, energy = 0.42): FaceOverlays['mask'] {
  const [x0, y0, x1, y1] = face.crop;
  return { dataUrl: MASK_PNG, energy, crop: [x0 + 4, y0 - 2, x1 + 4, y1 - 2], referencePath: 'clips/original.mp4', referenceFrameIndex: 45 };
}

export function heatmapOverlay(baseScore = 0.9): NonNullable<FaceOverlays['heatmap']> {
  return { dataUrl: HEAT_PNG, label: HEATMAP_LABEL, baseScore, models: ['b0-seed7', 'b0-seed8'], createdAt: '2026-11-24T12:00:00Z', method: 'cam', scale: { min: -1.5, max: 2.5, unit: 'logit' } };
}

export const REPORT: ReportResult = {
  id: 42,
  downloadName: 'deepscan-report-2026-0042-2026-11-24.pdf',
  file: '/home/examiner/.deepscan/cases/case-1/reports/report-20261124T120000Z.pdf',
  sha256: '5e'.padEnd(64, 'd'),
  pages: 7,
  generatedAt: '2026-11-24T12:00:00Z',
};

export interface FakeApi extends DeepscanClient {
  calls: [string, unknown][];
  emit(ev: TaskEvent): void;
  listeners: Set<(ev: TaskEvent) => void>;
  rows: EvidenceRow[];
  /** Analysed videos by evidence id (mutable: reviews are stored here). */
  videos: Map<number, VideoDetail>;
  models: ModelInfo[];
  audit: AuditView;
  /** Stored overlays by face id (faces without an entry have none). */
  overlays: Map<number, FaceOverlays>;
  /** Result of the next compareVideos (null: a summary computed from the arguments). */
  comparison: Result<ComparisonSummary> | null;
  /** Result of exportReport (default: ok(REPORT)). */
  report: Result<ReportResult>;
  /** Result of computeHeatmap (null: stores heatmapOverlay() for the face and returns its overlays). */
  heatmap: Result<FaceOverlays> | null;
}

/**
 * One recording stub per operation of the table: an operation added to the table exists in
 * every fake at once (answering a named failure until a test scripts it).
 */
export function unscriptedOperations(calls: [string, unknown][]): Omit<DeepscanApi, 'onTaskEvent'> {
  return Object.fromEntries(
    ENGINE_OPERATIONS.map((name) => [name, async (...args: unknown[]) => {
      calls.push([name, args]);
      return fail({ code: 'not-implemented', message: `The fake API has no scripted answer for ${name}.` });
    }]),
  ) as unknown as Omit<DeepscanApi, 'onTaskEvent'>;
}

export function fakeApi(overrides: Partial<DeepscanClient> = {}, withPicker = true): FakeApi {
  const listeners = new Set<(ev: TaskEvent) => void>();
  const calls: [string, unknown][] = [];
  const api: FakeApi = {
    ...unscriptedOperations(calls),
    calls,
    listeners,
    rows: ROWS.map((r) => ({ ...r })),
    videos: new Map(),
    models: MODELS.map((m) => ({ ...m })),
    audit: structuredClone(AUDIT),
    overlays: new Map(),
    comparison: null,
    report: ok(REPORT),
    heatmap: null,
    emit(ev) {
      for (const l of listeners) l(ev);
    },
    async openCase(req) {
      calls.push(['openCase', req]);
      return ok(SUMMARY);
    },
    async listEvidence(caseId) {
      calls.push(['listEvidence', caseId]);
      return ok(api.rows.map((r) => ({ ...r })));
    },
    async getCase(caseId) {
      calls.push(['getCase', caseId]);
      return ok(SUMMARY);
    },
    async startAnalysis(req): Promise<Result<TaskInfo>> {
      calls.push(['startAnalysis', req]);
      return ok({ taskId: 'task-1', caseId: req.caseId, status: 'running' });
    },
    async cancelAnalysis(taskId): Promise<Result<TaskInfo>> {
      calls.push(['cancelAnalysis', taskId]);
      return ok({ taskId, caseId: SUMMARY.id, status: 'cancelled' });
    },
    onTaskEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async listRecentCases() {
      calls.push(['listRecentCases', null]);
      return ok([SUMMARY, { ...SUMMARY, id: 'case-0', name: 'Older case', number: null, folder: '/cases/old', createdAt: '2026-10-01T09:00:00Z', evidenceCount: 12 }]);
    },
    async getVideo(caseId, evidenceId): Promise<Result<VideoDetail>> {
      calls.push(['getVideo', { caseId, evidenceId }]);
      const v = api.videos.get(evidenceId);
      return v ? ok(structuredClone(v)) : fail({ code: 'not-found', message: `No analysed evidence ${evidenceId}.` });
    },
    async getFramePreview(caseId, frameId) {
      calls.push(['getFramePreview', frameId]);
      return ok(PIXEL);
    },
    async getFaceCrop(caseId, faceId) {
      calls.push(['getFaceCrop', faceId]);
      return ok(PIXEL);
    },
    async getReviewQueue(caseId, threshold = 0.5): Promise<Result<ReviewQueueItem[]>> {
      calls.push(['getReviewQueue', { caseId, threshold }]);
      const out: ReviewQueueItem[] = [];
      for (const [evidenceId, v] of api.videos)
        for (const fr of v.frames)
          for (const f of fr.faces)
            if ((f.ensemble ?? 0) >= threshold)
              out.push({ evidenceId, path: v.evidence.path, frameId: fr.id, frameIndex: fr.index, sampleNo: fr.sampleNo, faceId: f.id, faceNo: f.faceNo, track: f.track, ensemble: f.ensemble ?? 0, review: f.review, band: verdictBand(f.ensemble ?? 0), energy: f.energy ?? null, reviewState: f.review?.decision ? 'decided' : f.review ? 'needs-decision' : 'unreviewed', reviewed: !!f.review?.decision });
      out.sort((a, b) => b.ensemble - a.ensemble);
      return ok(structuredClone(out));
    },
    async submitReview(req: ReviewRequest): Promise<Result<ReviewInfo>> {
      calls.push(['submitReview', req]);
      const v = api.videos.get(req.evidenceId);
      const fr = v?.frames.find((f) => f.index === req.frameIndex);
      const face = fr?.faces.find((f) => f.faceNo === req.faceNo);
      if (!face) return fail({ code: 'not-found', message: 'No such face.' });
      // As the engine: a field left out keeps its value, null clears it.
      const prev = face.review;
      const info: ReviewInfo = {
        decision: req.decision !== undefined ? req.decision : (prev?.decision ?? null),
        category: req.category !== undefined ? req.category : (prev?.category ?? null),
        note: req.note !== undefined ? req.note : (prev?.note ?? null),
        examiner: req.examiner,
        at: '2026-11-24T11:00:00Z',
      };
      face.review = info;
      // The details as the engine stores them (store/reviews.ts addReview): ids, 0-based.
      const details = {
        examiner: req.examiner, path: v!.evidence.path, evidenceId: req.evidenceId, sha256: v!.evidence.sha256, frame: req.frameIndex, face: req.faceNo,
        track: face.track, sampleNo: fr!.sampleNo, sampledFrames: v!.frames.length, decision: info.decision, category: info.category, note: info.note,
      };
      api.audit.items.push({ seq: api.audit.items.length + 1, at: info.at, actor: req.examiner, action: 'review', details, hash: 'ab'.padEnd(64, String(api.audit.items.length % 10)) });
      api.audit.entries = api.audit.items.length;
      return ok({ ...info });
    },
    async listModels() {
      calls.push(['listModels', null]);
      return ok(api.models.map((m) => ({ ...m })));
    },
    async importModel(path): Promise<Result<ModelInfo>> {
      calls.push(['importModel', path]);
      if (!path.endsWith('.pth') && !path.endsWith('.onnx')) return fail({ code: 'invalid-argument', message: `Not a checkpoint: ${path}`, file: path });
      const m: ModelInfo = { ...MODELS[0], id: 'imported', name: 'Imported model', sources: [{ fileName: path.split('/').pop() ?? path, sha256: 'f'.repeat(64), format: 'torch-zip' }] };
      api.models.push(m);
      return ok(m);
    },
    async getAudit(caseId) {
      calls.push(['getAudit', caseId]);
      return ok(structuredClone(api.audit));
    },
    async getFaceOverlays(caseId, faceId): Promise<Result<FaceOverlays>> {
      calls.push(['getFaceOverlays', { caseId, faceId }]);
      return ok(structuredClone(api.overlays.get(faceId) ?? { mask: null, heatmap: null }));
    },
    async computeHeatmap(caseId, faceId): Promise<Result<FaceOverlays>> {
      calls.push(['computeHeatmap', { caseId, faceId }]);
      if (api.heatmap) return api.heatmap;
      const o = { ...(api.overlays.get(faceId) ?? { mask: null, heatmap: null }), heatmap: heatmapOverlay() };
      api.overlays.set(faceId, o);
      return ok(structuredClone(o));
    },
    async compareVideos(caseId, suspectEvidenceId, referenceEvidenceId, offset): Promise<Result<ComparisonSummary>> {
      calls.push(['compareVideos', { caseId, suspectEvidenceId, referenceEvidenceId, offset }]);
      if (api.comparison) return api.comparison;
      const v = api.videos.get(suspectEvidenceId);
      const ref = api.rows.find((r) => r.id === referenceEvidenceId);
      if (!v || !ref) return fail({ code: 'not-found', message: 'No such evidence.' });
      // Person 2 (track 1) differs from the original; person 1 barely.
      for (const fr of v.frames) for (const f of fr.faces) api.overlays.set(f.id, { mask: maskOverlay(f, f.track === 1 ? 0.42 : 0.03), heatmap: api.overlays.get(f.id)?.heatmap ?? null });
      const faces = v.frames.reduce((n, fr) => n + fr.faces.length, 0);
      return ok({ comparisonId: 1, suspectPath: v.evidence.path, referencePath: ref.path, offset: offset ?? 0, frames: v.frames.length, faces, meanEnergy: 0.225 });
    },
    async exportReport(caseId, examiner): Promise<Result<ReportResult>> {
      calls.push(['exportReport', { caseId, examiner }]);
      return api.report;
    },
    ...overrides,
  };
  if (withPicker && !('pickFolder' in overrides)) {
    api.pickFolder = async () => (calls.push(['pickFolder', null]), ok('/picked/folder'));
  }
  return api;
}

/** A fake whose first row is an analysed video (the one videoDetail() describes). */
/**
 * Stretches the fake's analysed video (evidence 1) to `frames` sampled frames of its two people,
 * for tests at scale. Face ids are 100000 + 2 × frame + k (k: the face's place in its frame);
 * `ensemble(n)` sets face n's score (n = 2 × frame + k), else the base faces' scores repeat.
 */
export function stretchVideo(api: FakeApi, frames: number, ensemble?: (n: number) => number): void {
  const base = api.videos.get(1) as VideoDetail;
  const out = Array.from({ length: frames }, (_, s) => {
    const src = base.frames[s % base.frames.length];
    return {
      ...src,
      id: 10_000 + s,
      sampleNo: s,
      index: s * 3,
      pts: s * 0.1,
      faces: src.faces.map((f, k): FaceInfo => ({ ...structuredClone(f), id: 100_000 + 2 * s + k, ...(ensemble ? { ensemble: ensemble(2 * s + k) } : {}) })),
    };
  });
  api.rows[0] = { ...api.rows[0], sampledFrames: frames, faces: 2 * frames };
  api.videos.set(1, { ...base, evidence: { ...api.rows[0] }, frames: out, tracks: base.tracks.map((t) => ({ ...t, faces: frames, frames: out.map((f) => f.index) })) });
}

export function analysedFake(overrides: Partial<DeepscanClient> = {}, withPicker = true): FakeApi {
  const api = fakeApi(overrides, withPicker);
  api.rows[0] = { ...api.rows[0], status: 'analyzed', sampledFrames: 8, faces: 16, integrity: 'ok' };
  const v = videoDetail(api.rows[0]);
  api.rows[0].score = v.score;
  v.evidence = { ...api.rows[0] };
  api.videos.set(1, v);
  return api;
}
