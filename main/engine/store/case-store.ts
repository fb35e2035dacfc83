import type { Statement } from 'better-sqlite3';
import { appendAudit } from './audit.js';
import { attachSigner, type Keyring } from './audit-signing.js';
import { analysisDigest, evidenceDigest } from './result-digest.js';
import { openCaseDb, type CaseDb } from './db.js';
import type { EvidenceKind, EvidenceStatus } from '../../../common/api.js';

/**
 * The case database's data access: every query is a prepared statement with bound
 * parameters, and every write is a short transaction that also appends its audit entry.
 * Nothing here awaits: callers compute (decode, infer) first and then write in one go.
 */

export interface CaseInfo {
  id: string;
  name: string;
  number: string | null;
  examiner: string | null;
  folder: string;
  createdAt: string;
  createdByVersion: string;
}

export interface ProbeFields {
  container: string | null;
  codec: string | null;
  pixelFormat: string | null;
  durationSec: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  rotation: number | null;
  frameCount: number | null;
  frameCountSource: string | null;
  containerFrameCount: number | null;
  audioCodecs: string[] | null;
  videoStreamIndex: number | null;
}

export interface EvidenceRecord extends ProbeFields {
  id: number;
  relPath: string;
  size: number | null;
  mtimeMs: number | null;
  sha256: string | null;
  kind: EvidenceKind;
  status: EvidenceStatus;
  errorCode: string | null;
  error: string | null;
  integrity: 'ok' | 'changed' | 'missing' | 'unverified';
  firstSeenAt: string;
  lastVerifiedAt: string | null;
  /** The file's identity when it was last hashed (see ingest/hash.ts FileIdentity); null before schema 5. */
  dev: number | null;
  ino: number | null;
  ctimeMs: number | null;
}

/** A new evidence row; the identity fields may be left out (a file that could not be hashed has none). */
export type NewEvidence = Omit<EvidenceRecord, 'id' | 'dev' | 'ino' | 'ctimeMs'> & Partial<Pick<EvidenceRecord, 'dev' | 'ino' | 'ctimeMs'>>;

/** Where an integrity failure was detected (integrity_events.phase). */
export type IntegrityPhase = 'ingest' | 'before-decode' | 'after-decode' | 'report' | 'compare' | 'heatmap';

export interface RunRecord {
  id: number;
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted';
  params: unknown;
  softwareVersion: string;
  stageVersions: Record<string, number>;
  executionProvider: string | null;
  host: string;
  pid: number;
  error: string | null;
}

export interface AnalysisRecord {
  id: number;
  evidenceId: number;
  runId: number;
  evidenceSha256: string;
  paramsKey: string;
  facesKey: string | null;
  classifyKey: string | null;
  faceCount: number;
  score: number | null;
  scoreNote: string | null;
  executionProvider: string | null;
  detector: unknown;
  params: unknown;
  stageVersions: Record<string, number>;
  status: 'analyzed' | 'unreadable';
  errorCode: string | null;
  error: string | null;
  frameIndices: number[] | null;
  /** Incomplete or damaged media noticed during analysis (analyses.warnings); [] when none. */
  warnings: AnalysisWarning[];
  completedAt: string;
}

/** A finding about the media behind an analysis, e.g. { code: 'truncated', message: 'truncated: 133 of 300 frames decodable; …' }. */
export interface AnalysisWarning {
  code: string;
  message: string;
}

export interface FrameRecord {
  id: number;
  analysisId: number;
  evidenceId: number;
  sampleNo: number;
  frameIndex: number;
  ptsSec: number | null;
  width: number;
  height: number;
  detectWidth: number | null;
  detectHeight: number | null;
}

export interface NewFrame {
  sampleNo: number;
  frameIndex: number;
  ptsSec: number | null;
  width: number;
  height: number;
  previewJpeg: Buffer;
  /** Size of the image the face detector ran on (the halved frame). */
  detectWidth: number | null;
  detectHeight: number | null;
  faces: NewFace[];
}

export type Box4 = [number, number, number, number];

export interface NewFace {
  /** Detection order within the frame (the reference's order). */
  faceNo: number;
  /** Full-resolution integer box [x0, y0, x1, y1]. */
  box: Box4;
  /** The detector's own box on the halved frame (floats) and its probability. */
  detBox: Box4;
  detProb: number;
  /** 5 points (left eye, right eye, nose, mouth left, mouth right), full resolution. */
  landmarks: [number, number][];
  /** The crop rectangle [x0, y0, x1, y1) actually cut (1/3 margins, clamped). */
  crop: Box4;
  cropWidth: number;
  cropHeight: number;
  /** Lossless crop pixels (PNG); empty when the crop is empty. */
  cropPng: Buffer;
  track: number | null;
  /** Model id → score. */
  scores: Record<string, { logit: number; prob: number }>;
}

export interface StoredFace extends Omit<NewFace, 'scores' | 'cropPng'> {
  id: number;
  frameId: number;
  frameIndex: number;
  sampleNo: number;
  cropPng: Buffer;
}

export interface ModelResultRow {
  modelId: string;
  onnxSha256: string;
  value: number | null;
  branch: string | null;
  faces: number;
}

export interface NewAnalysis {
  evidenceId: number;
  runId: number;
  evidenceSha256: string;
  paramsKey: string;
  facesKey: string | null;
  classifyKey: string | null;
  score: number | null;
  scoreNote: string | null;
  executionProvider: string | null;
  detector: unknown;
  modelResults: ModelResultRow[];
  params: unknown;
  stageVersions: Record<string, number>;
  status: 'analyzed' | 'unreadable';
  errorCode: string | null;
  error: string | null;
  frameIndices: number[] | null;
  frames: NewFrame[];
  /** Probe fields learnt during analysis (e.g. a recounted frame count). */
  probeUpdate?: Partial<ProbeFields>;
  /** Incomplete or damaged media noticed during analysis; absent or [] when none. */
  warnings?: AnalysisWarning[];
  /** The queue worker that computed these results (host, software version, execution provider); absent for a local run. */
  worker?: { name: string; host: string; pid: number; softwareVersion: string; executionProvider: string | null };
}

type Row = Record<string, unknown>;

const PROBE_COLUMNS: [keyof ProbeFields, string][] = [
  ['container', 'container'], ['codec', 'codec'], ['pixelFormat', 'pixel_format'], ['durationSec', 'duration_sec'],
  ['fps', 'fps'], ['width', 'width'], ['height', 'height'], ['rotation', 'rotation'], ['frameCount', 'frame_count'],
  ['frameCountSource', 'frame_count_source'], ['containerFrameCount', 'container_frame_count'], ['audioCodecs', 'audio_codecs'],
  ['videoStreamIndex', 'video_stream_index'],
];

export class CaseStore {
  readonly db: CaseDb;
  readonly file: string;
  private readonly statements = new Map<string, Statement>();
  /** This installation's audit keys: the signer of new entries and the fingerprints it trusts. */
  readonly keyring: Keyring | null;

  constructor(file: string, options: { readonly?: boolean; keyring?: Keyring | null } = {}) {
    this.file = file;
    this.db = openCaseDb(file, { readonly: options.readonly });
    this.keyring = options.keyring ?? null;
    if (this.keyring?.signer && !options.readonly) attachSigner(this.db, this.keyring.signer);
  }

  close(): void {
    this.db.close();
  }

  /** A cached prepared statement (for data-access modules that extend the store). */
  prepare(sql: string): Statement {
    return this.stmt(sql);
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in one immediate transaction (writes and their audit entries land together). */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  audit(actor: string, action: string, details: unknown): void {
    appendAudit(this.db, actor, action, details);
  }

  // ---- case ----

  getCase(): CaseInfo | null {
    const r = this.stmt('SELECT * FROM case_info LIMIT 1').get() as Row | undefined;
    return r ? {
      id: r.id as string, name: r.name as string, number: (r.number as string | null) ?? null, examiner: (r.examiner as string | null) ?? null,
      folder: r.folder as string, createdAt: r.created_at as string, createdByVersion: r.created_by_version as string,
    } : null;
  }

  createCase(info: CaseInfo, actor: string): void {
    this.write(() => {
      this.stmt('INSERT INTO case_info (id, name, number, examiner, folder, created_at, created_by_version) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        info.id, info.name, info.number, info.examiner, info.folder, info.createdAt, info.createdByVersion,
      );
      appendAudit(this.db, actor, 'case-created', { id: info.id, name: info.name, number: info.number, examiner: info.examiner, folder: info.folder, softwareVersion: info.createdByVersion });
    });
  }

  /**
   * Creates the case unless another opener already has: the check and the insert share one
   * immediate transaction, so two processes opening a brand-new case make exactly one case row.
   * Returns the case as stored and whether this call created it.
   */
  createCaseIfMissing(info: CaseInfo, actor: string): { info: CaseInfo; created: boolean } {
    return this.write(() => {
      const existing = this.getCase();
      if (existing) return { info: existing, created: false };
      this.createCase(info, actor); // nested write: better-sqlite3 makes it a savepoint
      return { info, created: true };
    });
  }

  updateCaseDetails(changes: { name?: string; number?: string | null; examiner?: string | null }, actor: string): void {
    const current = this.getCase();
    if (!current) throw new Error('updateCaseDetails: case not created');
    const next = { name: changes.name ?? current.name, number: changes.number !== undefined ? changes.number : current.number, examiner: changes.examiner !== undefined ? changes.examiner : current.examiner };
    if (next.name === current.name && next.number === current.number && next.examiner === current.examiner) return;
    this.write(() => {
      this.stmt('UPDATE case_info SET name = ?, number = ?, examiner = ?').run(next.name, next.number, next.examiner);
      appendAudit(this.db, actor, 'case-details-changed', { from: { name: current.name, number: current.number, examiner: current.examiner }, to: next });
    });
  }

  // ---- evidence ----

  listEvidence(): EvidenceRecord[] {
    return (this.stmt('SELECT * FROM evidence ORDER BY rel_path').all() as Row[]).map(toEvidence);
  }

  getEvidenceByPath(relPath: string): EvidenceRecord | null {
    const r = this.stmt('SELECT * FROM evidence WHERE rel_path = ?').get(relPath) as Row | undefined;
    return r ? toEvidence(r) : null;
  }

  getEvidence(id: number): EvidenceRecord | null {
    const r = this.stmt('SELECT * FROM evidence WHERE id = ?').get(id) as Row | undefined;
    return r ? toEvidence(r) : null;
  }

  /** Registers a newly found file. Its sha256 becomes the reference hash for all later checks. */
  insertEvidence(e: NewEvidence, actor: string): number {
    return this.write(() => {
      const cols = ['rel_path', 'size', 'mtime_ms', 'sha256', 'kind', 'status', 'error_code', 'error', 'integrity', 'first_seen_at', 'last_verified_at', 'dev', 'ino', 'ctime_ms', ...PROBE_COLUMNS.map(([, c]) => c)];
      const values = [
        e.relPath, e.size, e.mtimeMs, e.sha256, e.kind, e.status, e.errorCode, e.error, e.integrity, e.firstSeenAt, e.lastVerifiedAt,
        e.dev ?? null, e.ino ?? null, e.ctimeMs ?? null, ...PROBE_COLUMNS.map(([k]) => probeValue(e, k)),
      ];
      const id = Number(this.stmt(`INSERT INTO evidence (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...values).lastInsertRowid);
      appendAudit(this.db, actor, 'evidence-registered', { path: e.relPath, size: e.size, sha256: e.sha256, kind: e.kind, status: e.status, error: e.error, results: evidenceDigest(this.db, id) });
      return id;
    });
  }

  /** Updates classification/probe/status fields. Never touches sha256 once it is set. */
  updateEvidence(id: number, changes: Partial<Omit<EvidenceRecord, 'id' | 'relPath' | 'firstSeenAt'>>, actor: string, auditAction?: string, auditDetails?: unknown): void {
    const current = this.getEvidence(id);
    if (!current) throw new Error(`updateEvidence: no evidence ${id}`);
    if (changes.sha256 !== undefined && current.sha256 !== null && changes.sha256 !== current.sha256) {
      throw new Error(`updateEvidence: refusing to overwrite the registered hash of ${current.relPath}`);
    }
    const map: [keyof typeof changes, string][] = [
      ['size', 'size'], ['mtimeMs', 'mtime_ms'], ['sha256', 'sha256'], ['kind', 'kind'], ['status', 'status'], ['errorCode', 'error_code'],
      ['error', 'error'], ['integrity', 'integrity'], ['lastVerifiedAt', 'last_verified_at'], ['dev', 'dev'], ['ino', 'ino'], ['ctimeMs', 'ctime_ms'], ...PROBE_COLUMNS,
    ];
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, col] of map) {
      if (changes[key] === undefined) continue;
      sets.push(`${col} = ?`);
      values.push(key === 'audioCodecs' ? JSON.stringify(changes.audioCodecs) : changes[key]);
    }
    if (!sets.length) return;
    this.write(() => {
      this.stmt(`UPDATE evidence SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
      // The entry carries the digest of the registered hash and integrity state as they now are.
      if (auditAction) appendAudit(this.db, actor, auditAction, { ...((auditDetails ?? { path: current.relPath }) as object), results: evidenceDigest(this.db, id) });
    });
  }

  recordIntegrityFailure(
    evidence: EvidenceRecord,
    event: {
      kind: 'changed' | 'missing'; observedSha256: string | null; observedSize: number | null; observedMtimeMs: number | null;
      /** When it was detected (default 'ingest') and what differed, in words. */
      phase?: IntegrityPhase; detail?: string;
    },
    actor: string,
  ): void {
    const at = new Date().toISOString();
    const phase = event.phase ?? 'ingest';
    const detail = event.detail ?? null;
    this.write(() => {
      this.stmt(
        'INSERT INTO integrity_events (evidence_id, detected_at, kind, expected_sha256, observed_sha256, expected_size, observed_size, observed_mtime_ms, phase, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(evidence.id, at, event.kind, evidence.sha256, event.observedSha256, evidence.size, event.observedSize, event.observedMtimeMs, phase, detail);
      const message = detail !== null
        ? `integrity failure (${phase}): ${detail} (registered SHA-256 ${evidence.sha256}${event.observedSha256 ? `, now ${event.observedSha256}` : ''})`
        : event.kind === 'missing'
          ? `integrity failure: the file is missing from the case folder (registered SHA-256 ${evidence.sha256})`
          : `integrity failure: the file changed after registration (registered SHA-256 ${evidence.sha256}, now ${event.observedSha256})`;
      this.stmt('UPDATE evidence SET status = ?, integrity = ?, error_code = ?, error = ?, last_verified_at = ? WHERE id = ?').run(
        'integrity-failed', event.kind, 'integrity-failed', message, at, evidence.id,
      );
      appendAudit(this.db, actor, 'integrity-failure', { path: evidence.relPath, kind: event.kind, expectedSha256: evidence.sha256, observedSha256: event.observedSha256, observedSize: event.observedSize, phase, detail, results: evidenceDigest(this.db, evidence.id) });
    });
  }

  integrityEvents(evidenceId: number): { detectedAt: string; kind: string; expectedSha256: string | null; observedSha256: string | null; phase: string | null; detail: string | null }[] {
    return (this.stmt('SELECT detected_at, kind, expected_sha256, observed_sha256, phase, detail FROM integrity_events WHERE evidence_id = ? ORDER BY id').all(evidenceId) as Row[]).map((r) => ({
      detectedAt: r.detected_at as string, kind: r.kind as string, expectedSha256: r.expected_sha256 as string | null, observedSha256: r.observed_sha256 as string | null,
      phase: r.phase as string | null, detail: r.detail as string | null,
    }));
  }

  // ---- runs ----

  startRun(r: { params: unknown; softwareVersion: string; stageVersions: Record<string, number>; executionProvider: string | null; host: string; pid: number }, actor: string): number {
    return this.write(() => {
      const startedAt = new Date().toISOString();
      const info = this.stmt(
        'INSERT INTO runs (started_at, status, params, software_version, stage_versions, execution_provider, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(startedAt, 'running', JSON.stringify(r.params), r.softwareVersion, JSON.stringify(r.stageVersions), r.executionProvider, r.host, r.pid);
      const id = Number(info.lastInsertRowid);
      appendAudit(this.db, actor, 'run-started', { run: id, params: r.params, softwareVersion: r.softwareVersion, stageVersions: r.stageVersions, executionProvider: r.executionProvider });
      return id;
    });
  }

  finishRun(id: number, status: RunRecord['status'], error: string | null, actor: string, summary: unknown): void {
    this.write(() => {
      this.stmt('UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE id = ?').run(status, new Date().toISOString(), error, id);
      appendAudit(this.db, actor, 'run-finished', { run: id, status, error, summary });
    });
  }

  /** Runs left 'running' by a process that no longer exists were interrupted (crash, kill). */
  markInterruptedRuns(isAlive: (host: string, pid: number) => boolean, actor: string): number[] {
    const stale = (this.stmt("SELECT id, host, pid FROM runs WHERE status = 'running'").all() as Row[]).filter((r) => !isAlive(r.host as string, r.pid as number));
    for (const r of stale) this.finishRun(r.id as number, 'interrupted', 'the process running this analysis ended before it finished', actor, null);
    return stale.map((r) => r.id as number);
  }

  listRuns(): RunRecord[] {
    return (this.stmt('SELECT * FROM runs ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id as number, startedAt: r.started_at as string, endedAt: r.ended_at as string | null, status: r.status as RunRecord['status'],
      params: JSON.parse(r.params as string) as unknown, softwareVersion: r.software_version as string,
      stageVersions: JSON.parse(r.stage_versions as string) as Record<string, number>, executionProvider: r.execution_provider as string | null,
      host: r.host as string, pid: r.pid as number, error: r.error as string | null,
    }));
  }

  // ---- analyses and frames ----

  getAnalysis(evidenceId: number): AnalysisRecord | null {
    const r = this.stmt('SELECT * FROM analyses WHERE evidence_id = ?').get(evidenceId) as Row | undefined;
    return r ? {
      id: r.id as number, evidenceId: r.evidence_id as number, runId: r.run_id as number, evidenceSha256: r.evidence_sha256 as string,
      paramsKey: r.params_key as string, facesKey: r.faces_key as string | null, classifyKey: r.classify_key as string | null,
      faceCount: r.face_count as number, score: r.score as number | null, scoreNote: r.score_note as string | null,
      executionProvider: r.execution_provider as string | null, detector: r.detector ? (JSON.parse(r.detector as string) as unknown) : null,
      params: JSON.parse(r.params as string) as unknown,
      stageVersions: JSON.parse(r.stage_versions as string) as Record<string, number>, status: r.status as AnalysisRecord['status'],
      errorCode: r.error_code as string | null, error: r.error as string | null,
      frameIndices: r.frame_indices ? (JSON.parse(r.frame_indices as string) as number[]) : null, completedAt: r.completed_at as string,
      warnings: JSON.parse((r.warnings as string | null) ?? '[]') as AnalysisWarning[],
    } : null;
  }

  /**
   * Replaces an item's analysis with a new one, frames and all, in one transaction: a crash
   * at any point leaves either the old complete result or the new complete result.
   */
  saveAnalysis(a: NewAnalysis, actor: string): number {
    return this.write(() => {
      this.stmt('DELETE FROM analyses WHERE evidence_id = ?').run(a.evidenceId); // cascades to frames, faces, scores
      const completedAt = new Date().toISOString();
      const faceCount = a.frames.reduce((n, f) => n + f.faces.length, 0);
      const info = this.stmt(
        `INSERT INTO analyses (evidence_id, run_id, evidence_sha256, params_key, faces_key, classify_key, params, stage_versions, status,
           error_code, error, frame_indices, completed_at, face_count, score, score_note, execution_provider, detector, warnings)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        a.evidenceId, a.runId, a.evidenceSha256, a.paramsKey, a.facesKey, a.classifyKey, JSON.stringify(a.params), JSON.stringify(a.stageVersions),
        a.status, a.errorCode, a.error, a.frameIndices ? JSON.stringify(a.frameIndices) : null, completedAt, faceCount, a.score, a.scoreNote,
        a.executionProvider, a.detector === null || a.detector === undefined ? null : JSON.stringify(a.detector), JSON.stringify(a.warnings ?? []),
      );
      const analysisId = Number(info.lastInsertRowid);
      const insertFrame = this.stmt(
        'INSERT INTO frames (analysis_id, evidence_id, sample_no, frame_index, pts_sec, width, height, preview_jpeg, detect_width, detect_height) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const f of a.frames) {
        const frameId = Number(insertFrame.run(analysisId, a.evidenceId, f.sampleNo, f.frameIndex, f.ptsSec, f.width, f.height, f.previewJpeg, f.detectWidth, f.detectHeight).lastInsertRowid);
        this.insertFaces(analysisId, frameId, a.evidenceId, f.faces);
      }
      this.insertModelResults(analysisId, a.modelResults);
      const sets = ['status = ?', 'error_code = ?', 'error = ?'];
      const values: unknown[] = [a.status, a.errorCode, a.error];
      for (const [key, col] of PROBE_COLUMNS) {
        if (a.probeUpdate?.[key] === undefined) continue;
        sets.push(`${col} = ?`);
        values.push(key === 'audioCodecs' ? JSON.stringify(a.probeUpdate.audioCodecs) : a.probeUpdate[key]);
      }
      this.stmt(`UPDATE evidence SET ${sets.join(', ')} WHERE id = ?`).run(...values, a.evidenceId);
      const ev = this.getEvidence(a.evidenceId);
      appendAudit(this.db, actor, 'evidence-analyzed', {
        run: a.runId, path: ev?.relPath, sha256: a.evidenceSha256, status: a.status, error: a.error, paramsKey: a.paramsKey,
        stageVersions: a.stageVersions, frames: a.frameIndices, faces: faceCount, score: a.score, scoreNote: a.scoreNote, warnings: a.warnings ?? [],
        models: Object.fromEntries(a.modelResults.map((m) => [m.modelId, { onnxSha256: m.onnxSha256, value: m.value, branch: m.branch }])),
        executionProvider: a.executionProvider, analysis: analysisId, results: analysisDigest(this.db, a.evidenceId),
        // Absent (so the entry is unchanged) for a local run; canonical JSON drops undefined.
        worker: a.worker,
      });
      return analysisId;
    });
  }

  /** Replaces the scores of an analysis whose frames and faces are unchanged (new models). */
  replaceScores(
    analysisId: number,
    r: { runId: number; paramsKey: string; classifyKey: string; params: unknown; stageVersions: Record<string, number>; score: number | null; scoreNote: string | null; executionProvider: string | null; modelResults: ModelResultRow[]; faceScores: Map<number, Record<string, { logit: number; prob: number }>> },
    actor: string,
  ): void {
    this.write(() => {
      this.stmt('DELETE FROM face_scores WHERE face_id IN (SELECT id FROM faces WHERE analysis_id = ?)').run(analysisId);
      this.stmt('DELETE FROM model_results WHERE analysis_id = ?').run(analysisId);
      const ins = this.stmt('INSERT INTO face_scores (face_id, model_id, logit, prob) VALUES (?, ?, ?, ?)');
      for (const [faceId, byModel] of r.faceScores) for (const [m, s] of Object.entries(byModel)) ins.run(faceId, m, s.logit, s.prob);
      this.insertModelResults(analysisId, r.modelResults);
      this.stmt('UPDATE analyses SET run_id = ?, params_key = ?, classify_key = ?, params = ?, stage_versions = ?, score = ?, score_note = ?, execution_provider = ?, completed_at = ? WHERE id = ?').run(
        r.runId, r.paramsKey, r.classifyKey, JSON.stringify(r.params), JSON.stringify(r.stageVersions), r.score, r.scoreNote, r.executionProvider, new Date().toISOString(), analysisId,
      );
      const a = this.stmt('SELECT e.rel_path AS path, a.evidence_sha256 AS sha, a.evidence_id AS evidenceId FROM analyses a JOIN evidence e ON e.id = a.evidence_id WHERE a.id = ?').get(analysisId) as { path: string; sha: string; evidenceId: number };
      appendAudit(this.db, actor, 'evidence-rescored', {
        run: r.runId, path: a.path, sha256: a.sha, paramsKey: r.paramsKey, score: r.score, scoreNote: r.scoreNote, executionProvider: r.executionProvider,
        models: Object.fromEntries(r.modelResults.map((m) => [m.modelId, { onnxSha256: m.onnxSha256, value: m.value, branch: m.branch }])),
        analysis: analysisId, results: analysisDigest(this.db, a.evidenceId),
      });
    });
  }

  private insertFaces(analysisId: number, frameId: number, evidenceId: number, faces: readonly NewFace[]): void {
    const insFace = this.stmt(
      `INSERT INTO faces (analysis_id, frame_id, evidence_id, face_no, box, det_box, det_prob, landmarks, crop, crop_width, crop_height, crop_png, track)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insScore = this.stmt('INSERT INTO face_scores (face_id, model_id, logit, prob) VALUES (?, ?, ?, ?)');
    for (const face of faces) {
      const faceId = Number(insFace.run(
        analysisId, frameId, evidenceId, face.faceNo, JSON.stringify(face.box), JSON.stringify(face.detBox), face.detProb, JSON.stringify(face.landmarks),
        JSON.stringify(face.crop), face.cropWidth, face.cropHeight, face.cropPng, face.track,
      ).lastInsertRowid);
      for (const [modelId, s] of Object.entries(face.scores)) insScore.run(faceId, modelId, s.logit, s.prob);
    }
  }

  private insertModelResults(analysisId: number, rows: readonly ModelResultRow[]): void {
    const ins = this.stmt('INSERT INTO model_results (analysis_id, model_id, onnx_sha256, value, branch, faces) VALUES (?, ?, ?, ?, ?, ?)');
    for (const m of rows) ins.run(analysisId, m.modelId, m.onnxSha256, m.value, m.branch, m.faces);
  }

  /** Records the manifest of a model used in this case (first use wins; the id pins the bytes). */
  recordCaseModel(id: string, onnxSha256: string, manifest: unknown): void {
    this.stmt('INSERT OR IGNORE INTO case_models (id, onnx_sha256, manifest, first_used_at) VALUES (?, ?, ?, ?)').run(id, onnxSha256, JSON.stringify(manifest), new Date().toISOString());
  }

  caseModels(): { id: string; onnxSha256: string; manifest: unknown; firstUsedAt: string }[] {
    return (this.stmt('SELECT * FROM case_models ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id as string, onnxSha256: r.onnx_sha256 as string, manifest: JSON.parse(r.manifest as string) as unknown, firstUsedAt: r.first_used_at as string,
    }));
  }

  listFaces(evidenceId: number): StoredFace[] {
    const rows = this.stmt(
      `SELECT f.*, fr.frame_index, fr.sample_no FROM faces f JOIN frames fr ON fr.id = f.frame_id WHERE f.evidence_id = ? ORDER BY fr.sample_no, f.face_no`,
    ).all(evidenceId) as Row[];
    return rows.map((r) => ({
      id: r.id as number, frameId: r.frame_id as number, frameIndex: r.frame_index as number, sampleNo: r.sample_no as number, faceNo: r.face_no as number,
      box: JSON.parse(r.box as string) as Box4, detBox: JSON.parse(r.det_box as string) as Box4, detProb: r.det_prob as number,
      landmarks: JSON.parse(r.landmarks as string) as [number, number][], crop: JSON.parse(r.crop as string) as Box4,
      cropWidth: r.crop_width as number, cropHeight: r.crop_height as number, cropPng: r.crop_png as Buffer, track: r.track as number | null,
    }));
  }

  faceScores(evidenceId: number): Map<number, Record<string, { logit: number; prob: number }>> {
    const rows = this.stmt('SELECT s.face_id, s.model_id, s.logit, s.prob FROM face_scores s JOIN faces f ON f.id = s.face_id WHERE f.evidence_id = ? ORDER BY s.face_id, s.model_id').all(evidenceId) as Row[];
    const out = new Map<number, Record<string, { logit: number; prob: number }>>();
    for (const r of rows) {
      const rec = out.get(r.face_id as number) ?? {};
      rec[r.model_id as string] = { logit: r.logit as number, prob: r.prob as number };
      out.set(r.face_id as number, rec);
    }
    return out;
  }

  modelResults(analysisId: number): ModelResultRow[] {
    return (this.stmt('SELECT * FROM model_results WHERE analysis_id = ? ORDER BY model_id').all(analysisId) as Row[]).map((r) => ({
      modelId: r.model_id as string, onnxSha256: r.onnx_sha256 as string, value: r.value as number | null, branch: r.branch as string | null, faces: r.faces as number,
    }));
  }

  listFrames(evidenceId: number): FrameRecord[] {
    return (this.stmt('SELECT id, analysis_id, evidence_id, sample_no, frame_index, pts_sec, width, height, detect_width, detect_height FROM frames WHERE evidence_id = ? ORDER BY sample_no').all(evidenceId) as Row[]).map((r) => ({
      id: r.id as number, analysisId: r.analysis_id as number, evidenceId: r.evidence_id as number, sampleNo: r.sample_no as number,
      frameIndex: r.frame_index as number, ptsSec: r.pts_sec as number | null, width: r.width as number, height: r.height as number,
      detectWidth: r.detect_width as number | null, detectHeight: r.detect_height as number | null,
    }));
  }

  framePreview(frameId: number): Buffer | null {
    const r = this.stmt('SELECT preview_jpeg FROM frames WHERE id = ?').get(frameId) as { preview_jpeg: Buffer } | undefined;
    return r?.preview_jpeg ?? null;
  }
}

function probeValue(e: Partial<ProbeFields>, key: keyof ProbeFields): unknown {
  const v = e[key];
  if (v === undefined) return null;
  return key === 'audioCodecs' ? (v === null ? null : JSON.stringify(v)) : v;
}

function toEvidence(r: Row): EvidenceRecord {
  return {
    id: r.id as number, relPath: r.rel_path as string, size: r.size as number | null, mtimeMs: r.mtime_ms as number | null,
    sha256: r.sha256 as string | null, kind: r.kind as EvidenceKind, status: r.status as EvidenceStatus, errorCode: r.error_code as string | null,
    error: r.error as string | null, integrity: r.integrity as EvidenceRecord['integrity'], firstSeenAt: r.first_seen_at as string,
    lastVerifiedAt: r.last_verified_at as string | null, container: r.container as string | null, codec: r.codec as string | null,
    pixelFormat: r.pixel_format as string | null, durationSec: r.duration_sec as number | null, fps: r.fps as number | null,
    width: r.width as number | null, height: r.height as number | null, rotation: r.rotation as number | null, frameCount: r.frame_count as number | null,
    frameCountSource: r.frame_count_source as string | null, containerFrameCount: r.container_frame_count as number | null,
    audioCodecs: r.audio_codecs ? (JSON.parse(r.audio_codecs as string) as string[]) : null,
    videoStreamIndex: r.video_stream_index as number | null,
    dev: (r.dev as number | null) ?? null, ino: (r.ino as number | null) ?? null, ctimeMs: (r.ctime_ms as number | null) ?? null,
  };
}
