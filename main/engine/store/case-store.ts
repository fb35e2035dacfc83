import type { Statement } from 'better-sqlite3';
import { appendAudit } from './audit.js';
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
}

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
  params: unknown;
  stageVersions: Record<string, number>;
  status: 'analyzed' | 'unreadable';
  errorCode: string | null;
  error: string | null;
  frameIndices: number[] | null;
  completedAt: string;
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
}

export interface NewFrame {
  sampleNo: number;
  frameIndex: number;
  ptsSec: number | null;
  width: number;
  height: number;
  previewJpeg: Buffer;
}

export interface NewAnalysis {
  evidenceId: number;
  runId: number;
  evidenceSha256: string;
  paramsKey: string;
  params: unknown;
  stageVersions: Record<string, number>;
  status: 'analyzed' | 'unreadable';
  errorCode: string | null;
  error: string | null;
  frameIndices: number[] | null;
  frames: NewFrame[];
  /** Probe fields learnt during analysis (e.g. a recounted frame count). */
  probeUpdate?: Partial<ProbeFields>;
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

  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.file = file;
    this.db = openCaseDb(file, options);
  }

  close(): void {
    this.db.close();
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
  insertEvidence(e: Omit<EvidenceRecord, 'id'>, actor: string): number {
    return this.write(() => {
      const cols = ['rel_path', 'size', 'mtime_ms', 'sha256', 'kind', 'status', 'error_code', 'error', 'integrity', 'first_seen_at', 'last_verified_at', ...PROBE_COLUMNS.map(([, c]) => c)];
      const values = [e.relPath, e.size, e.mtimeMs, e.sha256, e.kind, e.status, e.errorCode, e.error, e.integrity, e.firstSeenAt, e.lastVerifiedAt, ...PROBE_COLUMNS.map(([k]) => probeValue(e, k))];
      const info = this.stmt(`INSERT INTO evidence (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...values);
      appendAudit(this.db, actor, 'evidence-registered', { path: e.relPath, size: e.size, sha256: e.sha256, kind: e.kind, status: e.status, error: e.error });
      return Number(info.lastInsertRowid);
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
      ['error', 'error'], ['integrity', 'integrity'], ['lastVerifiedAt', 'last_verified_at'], ...PROBE_COLUMNS,
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
      if (auditAction) appendAudit(this.db, actor, auditAction, auditDetails ?? { path: current.relPath });
    });
  }

  recordIntegrityFailure(
    evidence: EvidenceRecord,
    event: { kind: 'changed' | 'missing'; observedSha256: string | null; observedSize: number | null; observedMtimeMs: number | null },
    actor: string,
  ): void {
    const at = new Date().toISOString();
    this.write(() => {
      this.stmt(
        'INSERT INTO integrity_events (evidence_id, detected_at, kind, expected_sha256, observed_sha256, expected_size, observed_size, observed_mtime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(evidence.id, at, event.kind, evidence.sha256, event.observedSha256, evidence.size, event.observedSize, event.observedMtimeMs);
      const message = event.kind === 'missing'
        ? `integrity failure: the file is missing from the case folder (registered SHA-256 ${evidence.sha256})`
        : `integrity failure: the file changed after registration (registered SHA-256 ${evidence.sha256}, now ${event.observedSha256})`;
      this.stmt('UPDATE evidence SET status = ?, integrity = ?, error_code = ?, error = ?, last_verified_at = ? WHERE id = ?').run(
        'integrity-failed', event.kind, 'integrity-failed', message, at, evidence.id,
      );
      appendAudit(this.db, actor, 'integrity-failure', { path: evidence.relPath, kind: event.kind, expectedSha256: evidence.sha256, observedSha256: event.observedSha256, observedSize: event.observedSize });
    });
  }

  integrityEvents(evidenceId: number): { detectedAt: string; kind: string; expectedSha256: string | null; observedSha256: string | null }[] {
    return (this.stmt('SELECT detected_at, kind, expected_sha256, observed_sha256 FROM integrity_events WHERE evidence_id = ? ORDER BY id').all(evidenceId) as Row[]).map((r) => ({
      detectedAt: r.detected_at as string, kind: r.kind as string, expectedSha256: r.expected_sha256 as string | null, observedSha256: r.observed_sha256 as string | null,
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
      paramsKey: r.params_key as string, params: JSON.parse(r.params as string) as unknown,
      stageVersions: JSON.parse(r.stage_versions as string) as Record<string, number>, status: r.status as AnalysisRecord['status'],
      errorCode: r.error_code as string | null, error: r.error as string | null,
      frameIndices: r.frame_indices ? (JSON.parse(r.frame_indices as string) as number[]) : null, completedAt: r.completed_at as string,
    } : null;
  }

  /**
   * Replaces an item's analysis with a new one, frames and all, in one transaction: a crash
   * at any point leaves either the old complete result or the new complete result.
   */
  saveAnalysis(a: NewAnalysis, actor: string): number {
    return this.write(() => {
      this.stmt('DELETE FROM frames WHERE evidence_id = ?').run(a.evidenceId);
      this.stmt('DELETE FROM analyses WHERE evidence_id = ?').run(a.evidenceId);
      const completedAt = new Date().toISOString();
      const info = this.stmt(
        'INSERT INTO analyses (evidence_id, run_id, evidence_sha256, params_key, params, stage_versions, status, error_code, error, frame_indices, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(a.evidenceId, a.runId, a.evidenceSha256, a.paramsKey, JSON.stringify(a.params), JSON.stringify(a.stageVersions), a.status, a.errorCode, a.error, a.frameIndices ? JSON.stringify(a.frameIndices) : null, completedAt);
      const analysisId = Number(info.lastInsertRowid);
      const insertFrame = this.stmt('INSERT INTO frames (analysis_id, evidence_id, sample_no, frame_index, pts_sec, width, height, preview_jpeg) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const f of a.frames) insertFrame.run(analysisId, a.evidenceId, f.sampleNo, f.frameIndex, f.ptsSec, f.width, f.height, f.previewJpeg);
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
        stageVersions: a.stageVersions, frames: a.frameIndices,
      });
      return analysisId;
    });
  }

  listFrames(evidenceId: number): FrameRecord[] {
    return (this.stmt('SELECT id, analysis_id, evidence_id, sample_no, frame_index, pts_sec, width, height FROM frames WHERE evidence_id = ? ORDER BY sample_no').all(evidenceId) as Row[]).map((r) => ({
      id: r.id as number, analysisId: r.analysis_id as number, evidenceId: r.evidence_id as number, sampleNo: r.sample_no as number,
      frameIndex: r.frame_index as number, ptsSec: r.pts_sec as number | null, width: r.width as number, height: r.height as number,
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
  };
}
