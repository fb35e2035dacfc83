import { lstat, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { OpenedCase } from '../../case/open-case.js';
import { sha256File } from '../../ingest/hash.js';
import { readAudit, type AuditVerification } from '../../store/audit.js';
import { verifyCaseAudit, type CaseAuditVerification } from '../../store/verify-audit.js';
import type { CaseInfo, CaseStore, EvidenceRecord, RunRecord, StoredFace } from '../../store/case-store.js';
import { errorMessage } from '../../util/errors.js';
import { softwareVersion } from '../../util/version.js';
import { trackVerdicts } from '../../classify/person-verdicts.js';
import { seedFramesOf, seedVerdict } from '../../classify/seed-verdict.js';
import { cardOf, modelDisplayName, type ModelCard } from '../../classify/release.js';
import { currentReviewsByEvidence, type CurrentReview } from '../../store/reviews.js';
import { faceCropPng } from '../../store/evidence-repo.js';
import { latestComparisonMasks } from '../../store/comparison-energy.js';
import { latestFaceHeatmap } from '../../store/masks.js';
import { describeHeatmap, type AttentionScale } from '../../masks/attention-info.js';
import { comparisonsData, type ReportComparison } from './comparison-data.js';
import { faceLabel, frameLabel } from '../../../../common/format.js';

/**
 * Everything a case report shows, read from the case database (and, for the integrity check,
 * from the evidence files) in one place. The renderer only lays this out, so the same data
 * always gives the same document, and the layout can be tested on synthetic data.
 */

/** Flagged faces: ensemble probability at or above this, highest first. */
export const FLAG_THRESHOLD = 0.5;
export const MAX_FLAGGED_PER_VIDEO = 12;

export type IntegrityAtReport = 'verified' | 'changed' | 'missing' | 'not-registered';

export interface ReportEvidence {
  id: number;
  relPath: string;
  size: number | null;
  sha256: string | null;
  kind: EvidenceRecord['kind'];
  status: EvidenceRecord['status'];
  error: string | null;
  /** The file re-hashed when the report was generated and compared with the registered hash. */
  integrity: IntegrityAtReport;
  /** What was found instead, when it differs (hash, or why it could not be hashed). */
  integrityDetail: string | null;
}

export interface ReportModel {
  id: string;
  name: string;
  onnxSha256: string;
  architecture: string;
  parameters: number | null;
  inputSize: number | null;
  sources: { fileName: string; sha256: string; format: string }[];
  firstUsedAt: string;
  /** The release's model card; null for a test model (its name then carries UNCARDED_LABEL). */
  card?: ModelCard | null;
}

export interface ReportFrame {
  sampleNo: number;
  frameIndex: number;
  faces: number;
  /** Highest ensemble face probability in the frame; null when no face was scored. */
  maxProb: number | null;
}

export interface ReportFace {
  frameIndex: number;
  sampleNo: number;
  faceNo: number;
  track: number | null;
  detProb: number;
  /** Mean of the models' probabilities for this face. */
  ensemble: number;
  probs: Record<string, number>;
  /** Lossless crop pixels (PNG), read from the case database when accessed. */
  readonly cropPng: Buffer | null;
  cropSize: [number, number];
  mask: { png: Buffer; energy: number; referencePath: string | null } | null;
  /** The face's newest model-attention heatmap (RGBA PNG over the crop) with its legend scale; absent when none was computed. */
  attention?: { png: Buffer; label: string; scale: AttentionScale } | null;
  review: CurrentReview | null;
}

export interface ReportVideo {
  evidenceId: number;
  relPath: string;
  sha256: string | null;
  kind: EvidenceRecord['kind'];
  media: { container: string | null; codec: string | null; width: number | null; height: number | null; fps: number | null; durationSec: number | null; frameCount: number | null; rotation: number | null };
  analysis: { runId: number; completedAt: string; executionProvider: string | null; faceCount: number; sampledFrames: number; facesKey: string | null };
  /** Incomplete or damaged media noticed by the analysis (truncated, decode errors…); [] when none. */
  warnings: { code: string; message: string }[];
  score: number | null;
  scoreNote: string | null;
  models: { id: string; name: string; onnxSha256: string; value: number | null; branch: string | null; faces: number }[];
  tracks: { id: number; score: number | null; faces: number; frames: number[] }[];
  /** The DFDC winner's own number (its first frames × 4 − 1 faces only); absent in older report data. */
  seed?: { score: number | null; faces: number; note: string | null; totalFaces: number };
  frames: ReportFrame[];
  /** Faces at or above FLAG_THRESHOLD, highest first, at most MAX_FLAGGED_PER_VIDEO. */
  flagged: ReportFace[];
  flaggedTotal: number;
  /** The examiner's current decision on every reviewed face of this item. */
  reviews: (CurrentReview & { ensemble: number | null; onCurrentAnalysis: boolean })[];
  /** Comparisons with known originals in which this item is the suspect, newest first (absent in older layout tests). */
  comparisons?: ReportComparison[];
}

export interface ReportData {
  generatedAt: Date;
  softwareVersion: string;
  preparedBy: string;
  case: CaseInfo;
  evidenceFolder: string;
  evidence: ReportEvidence[];
  runs: RunRecord[];
  models: ReportModel[];
  videos: ReportVideo[];
  /** Items whose analysis failed (unreadable), with the cause. */
  failed: { relPath: string; error: string | null }[];
  /** Chain, signatures and result digests as verified at generation (the extra fields absent in layout tests). */
  audit: AuditVerification & Partial<Omit<CaseAuditVerification, keyof AuditVerification>>;
  auditActions: { action: string; count: number; first: string; last: string }[];
  /** Examiner-facing entries (reviews, case details, integrity failures, earlier reports). */
  auditNotable: { seq: number; at: string; actor: string; action: string; summary: string }[];
}

export interface CollectOptions {
  now: Date;
  preparedBy: string;
  onVerify?: (done: number, total: number, path: string) => void;
}

export async function collectReportData(c: OpenedCase, opts: CollectOptions): Promise<ReportData> {
  const store = c.store;
  const info = store.getCase();
  if (!info) throw new Error(`${store.file}: the case database holds no case`);
  const records = store.listEvidence();
  const evidence: ReportEvidence[] = [];
  for (const [i, e] of records.entries()) {
    opts.onVerify?.(i, records.length, e.relPath);
    evidence.push({ id: e.id, relPath: e.relPath, size: e.size, sha256: e.sha256, kind: e.kind, status: e.status, error: e.error, ...(await reverify(c.folder, e)) });
  }
  opts.onVerify?.(records.length, records.length, '');
  const models = readModels(store);
  const modelNames = new Map(models.map((m) => [m.id, m.name]));
  const videos: ReportVideo[] = [];
  const failed: ReportData['failed'] = [];
  const runIds = new Set<number>();
  const reviews = currentReviewsByEvidence(store);
  for (const e of records) {
    const a = store.getAnalysis(e.id);
    if (!a) continue;
    runIds.add(a.runId);
    if (a.status !== 'analyzed') {
      failed.push({ relPath: e.relPath, error: a.error ?? e.error });
      continue;
    }
    videos.push(videoData(store, e, a, modelNames, reviews.get(e.id) ?? []));
  }
  const audit = verifyCaseAudit(store.db, { trustedKeyIds: store.keyring?.trustedKeyIds });
  const entries = readAudit(store.db);
  const counts = new Map<string, { action: string; count: number; first: string; last: string }>();
  for (const en of entries) {
    const c0 = counts.get(en.action);
    if (c0) {
      c0.count++;
      c0.last = en.at;
    } else counts.set(en.action, { action: en.action, count: 1, first: en.at, last: en.at });
  }
  const notable = entries.filter((en) => NOTABLE.test(en.action)).map((en) => ({ seq: en.seq, at: en.at, actor: en.actor, action: en.action, summary: summarize(en.details) }));
  return {
    generatedAt: opts.now, softwareVersion: softwareVersion(), preparedBy: opts.preparedBy, case: info, evidenceFolder: c.folder, evidence,
    runs: store.listRuns().filter((r) => runIds.has(r.id)), models, videos, failed, audit,
    auditActions: [...counts.values()].sort((x, y) => (x.action < y.action ? -1 : x.action > y.action ? 1 : 0)),
    auditNotable: notable,
  };
}

const NOTABLE = /review|case-created|case-details|integrity|report/;

function summarize(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  // A face is named as everywhere else (common/format.ts); entries before issue 13 carry no track.
  const frame = typeof d.frame === 'number' ? d.frame : null;
  const faceNo = typeof d.face === 'number' ? d.face : null;
  const named = frame !== null && faceNo !== null;
  const sampleNo = typeof d.sampleNo === 'number' ? d.sampleNo : null;
  const sampled = typeof d.sampledFrames === 'number' ? d.sampledFrames : null;
  const label = !named ? null : d.track !== undefined ? faceLabel({ track: typeof d.track === 'number' ? d.track : null, sampleNo, sampledFrames: sampled, frameIndex: frame, faceNo })
    : `${frameLabel(frame, sampleNo, sampled)} · face ${faceNo + 1}`;
  for (const k of ['name', 'number', 'examiner', d.file !== undefined ? 'file' : 'path', 'frameIndex', 'frame', 'faceNo', 'face', 'decision', 'category', 'kind', 'note', 'sha256', 'pages']) {
    if (named && (k === 'frame' || k === 'face')) {
      if (k === 'frame') parts.push(label!);
      continue;
    }
    if (d[k] !== undefined && d[k] !== null) parts.push(`${k} ${typeof d[k] === 'string' ? d[k] : JSON.stringify(d[k])}`);
  }
  return parts.join(', ');
}

/** Re-hashes one registered file now, read-only, and compares it with the registered hash. */
async function reverify(folder: string, e: EvidenceRecord): Promise<{ integrity: IntegrityAtReport; integrityDetail: string | null }> {
  if (!e.sha256) return { integrity: 'not-registered', integrityDetail: 'no hash was registered (the file was never readable)' };
  const abs = join(folder, ...e.relPath.split('/'));
  let st;
  try {
    st = await lstat(abs);
  } catch {
    return { integrity: 'missing', integrityDetail: 'the file is no longer in the case folder' };
  }
  try {
    if (st.isSymbolicLink()) {
      const target = await realpath(abs);
      if (!target.startsWith(folder + sep)) return { integrity: 'changed', integrityDetail: 'now a link that leaves the case folder' };
      st = await lstat(target);
    }
    // Never open FIFOs or devices: reading one could block forever.
    if (!st.isFile()) return { integrity: 'changed', integrityDetail: 'no longer a regular file' };
    const now = await sha256File(abs);
    return now === e.sha256 ? { integrity: 'verified', integrityDetail: null } : { integrity: 'changed', integrityDetail: `SHA-256 now ${now}` };
  } catch (err) {
    return { integrity: 'changed', integrityDetail: `cannot be read now (${errorMessage(err)})` };
  }
}

function readModels(store: CaseStore): ReportModel[] {
  return store.caseModels().map((m) => {
    const man = (m.manifest ?? {}) as {
      name?: string; architecture?: { family?: string; variant?: string; parameters?: number | null; inputSize?: number };
      sources?: { fileName?: string; sha256?: string; format?: string }[];
    };
    const arch = man.architecture;
    return {
      id: m.id, name: modelDisplayName(m.manifest, m.id), card: cardOf(m.manifest), onnxSha256: m.onnxSha256,
      architecture: arch ? `${arch.family ?? '?'}-${arch.variant ?? '?'}` : 'unknown',
      parameters: arch?.parameters ?? null, inputSize: arch?.inputSize ?? null,
      sources: (man.sources ?? []).map((s) => ({ fileName: s.fileName ?? '?', sha256: s.sha256 ?? '?', format: s.format ?? '?' })),
      firstUsedAt: m.firstUsedAt,
    };
  });
}

type ScoreMap = Record<string, { logit: number; prob: number }>;

function videoData(
  store: CaseStore, e: EvidenceRecord, a: NonNullable<ReturnType<CaseStore['getAnalysis']>>, modelNames: ReadonlyMap<string, string>, reviews: CurrentReview[],
): ReportVideo {
  const modelRows = store.modelResults(a.id);
  const modelIds = modelRows.map((m) => m.modelId);
  const frames = store.listFrames(e.id);
  const faces = store.listFaces(e.id);
  const scores = store.faceScores(e.id);
  const ensembleOf = (f: StoredFace): number | null => {
    const s: ScoreMap = scores.get(f.id) ?? {};
    const probs = modelIds.map((m) => s[m]?.prob).filter((p): p is number => typeof p === 'number');
    return probs.length && probs.length === modelIds.length ? probs.reduce((x, y) => x + y, 0) / probs.length : null;
  };
  const byKey = new Map<string, StoredFace>(faces.map((f) => [`${f.frameIndex}/${f.faceNo}`, f]));
  const reviewByKey = new Map(reviews.map((r) => [`${r.frameIndex}/${r.faceNo}`, r]));
  const seriesByFrame = new Map<number, { faces: number; max: number | null }>();
  const scored: { face: StoredFace; ensemble: number }[] = [];
  for (const f of faces) {
    const s = seriesByFrame.get(f.frameId) ?? { faces: 0, max: null };
    s.faces++;
    const p = ensembleOf(f);
    if (p !== null) {
      s.max = s.max === null ? p : Math.max(s.max, p);
      scored.push({ face: f, ensemble: p });
    }
    seriesByFrame.set(f.frameId, s);
  }
  const flaggedAll = scored.filter((x) => x.ensemble >= FLAG_THRESHOLD)
    .sort((x, y) => y.ensemble - x.ensemble || x.face.sampleNo - y.face.sampleNo || x.face.faceNo - y.face.faceNo);
  const masks = maskLookup(store, e.id, faces);
  const flagged = flaggedAll.slice(0, MAX_FLAGGED_PER_VIDEO).map(({ face, ensemble }): ReportFace => {
    const s: ScoreMap = scores.get(face.id) ?? {};
    return {
      frameIndex: face.frameIndex, sampleNo: face.sampleNo, faceNo: face.faceNo, track: face.track, detProb: face.detProb, ensemble,
      probs: Object.fromEntries(modelIds.filter((m) => s[m]).map((m) => [m, s[m].prob])),
      // Read when drawn, so a report on a large case never holds every crop in memory at once.
      get cropPng() {
        return faceCropPng(store, face.id);
      },
      cropSize: [face.cropWidth, face.cropHeight],
      attention: attentionOf(store, e, face),
      mask: masks(face.frameIndex, face.faceNo), review: reviewByKey.get(`${face.frameIndex}/${face.faceNo}`) ?? null,
    };
  });
  return {
    evidenceId: e.id, relPath: e.relPath, sha256: e.sha256, kind: e.kind,
    media: { container: e.container, codec: e.codec, width: e.width, height: e.height, fps: e.fps, durationSec: e.durationSec, frameCount: e.frameCount, rotation: e.rotation },
    analysis: { runId: a.runId, completedAt: a.completedAt, executionProvider: a.executionProvider, faceCount: a.faceCount, sampledFrames: frames.length, facesKey: a.facesKey },
    warnings: a.warnings, score: a.score, scoreNote: a.scoreNote,
    models: modelRows.map((m) => ({ id: m.modelId, name: modelNames.get(m.modelId) ?? m.modelId, onnxSha256: m.onnxSha256, value: m.value, branch: m.branch, faces: m.faces })),
    tracks: trackVerdicts(faces, scores, modelIds),
    seed: seedOf(faces, scores, modelIds, a.params),
    frames: frames.map((f) => ({ sampleNo: f.sampleNo, frameIndex: f.frameIndex, faces: seriesByFrame.get(f.id)?.faces ?? 0, maxProb: seriesByFrame.get(f.id)?.max ?? null })),
    flagged, flaggedTotal: flaggedAll.length,
    comparisons: comparisonsData(store, e.id, (fi) => frames.find((f) => f.frameIndex === fi)?.sampleNo ?? null),
    reviews: reviews.map((r) => {
      const f = byKey.get(`${r.frameIndex}/${r.faceNo}`);
      return { ...r, ensemble: f ? ensembleOf(f) : null, onCurrentAnalysis: r.facesKey === null || r.facesKey === a.facesKey };
    }),
  };
}

function seedOf(faces: StoredFace[], scores: Map<number, ScoreMap>, modelIds: string[], params: unknown): NonNullable<ReportVideo['seed']> {
  const v = seedVerdict(faces, scores, modelIds, seedFramesOf(params));
  return { score: v.seedScore, faces: v.seedFaces, note: v.seedNote, totalFaces: faces.length };
}

/**
 * The difference mask of each face of this (suspect) video in its latest comparison. Masks are
 * numbered by the original's detections, so they are matched to the suspect's faces by crop
 * overlap (store/comparison-energy.ts), never by face number.
 */
function maskLookup(store: CaseStore, evidenceId: number, faces: StoredFace[]): (frameIndex: number, faceNo: number) => ReportFace['mask'] {
  let byFace: ReturnType<typeof latestComparisonMasks>;
  try {
    byFace = latestComparisonMasks(store, evidenceId);
  } catch {
    return () => null; // a database from before the masks migration
  }
  const idOf = new Map(faces.map((f) => [`${f.frameIndex}/${f.faceNo}`, f.id]));
  return (fi, fn) => {
    const id = idOf.get(`${fi}/${fn}`);
    return (id !== undefined ? byFace.get(id) : undefined) ?? null;
  };
}

/** The newest heatmap computed on the item's registered bytes (the table exists from migration 4 on). */
function attentionOf(store: CaseStore, e: EvidenceRecord, face: StoredFace): ReportFace['attention'] {
  if (!e.sha256) return null;
  try {
    const h = latestFaceHeatmap(store, e.id, face.frameIndex, face.faceNo, e.sha256);
    if (!h) return null;
    const d = describeHeatmap(h.params, h.values);
    return { png: h.heatmapPng, label: d.label, scale: d.scale };
  } catch {
    return null; // a database from before the heatmaps migration
  }
}
