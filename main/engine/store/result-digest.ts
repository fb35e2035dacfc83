import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { canonicalJson } from '../util/canonical-json.js';
import type { CaseDb } from './db.js';

/**
 * Digests of result rows, shared by the writers (each audit entry that records results carries
 * the digest of exactly the rows its transaction wrote) and the verifier (which recomputes
 * them from the tables now). One module so both serialise identically.
 *
 * A result set is a "scope" named by natural keys (evidence path, review id, compared pair),
 * never by row ids alone: analyses and comparisons are replaced by delete + insert and SQLite
 * may reuse their ids. Each row of a scope gets a key ("face_scores of frame 19 face 1") and a
 * SHA-256 of its canonical JSON (BLOBs by their SHA-256; numbers as JSON writes float64, which
 * round-trips exactly). The scope's digest covers the scope name and every key and row hash.
 * Audit entries also carry a short prefix of each row hash so a mismatch can be located; the
 * full digest, not the prefixes, is what decides.
 */

export interface ResultDigest {
  scope: string;
  /** SHA-256 hex over the scope and every row hash. */
  digest: string;
  /** Row key → first ROW_PREFIX hex digits of the row's SHA-256 (for locating a difference). */
  rows: Record<string, string>;
}

const ROW_PREFIX = 12;
type Row = Record<string, unknown>;

const statements = new WeakMap<CaseDb, Map<string, Statement>>();
function stmt(db: CaseDb, sql: string): Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

function sha(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** BLOB columns enter a row by their SHA-256, so digests stay small and images are covered. */
function canonicalRow(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = Buffer.isBuffer(v) ? `sha256:${sha(v)}` : typeof v === 'bigint' ? v.toString() : v;
  return out;
}

function finish(scope: string, rows: Map<string, string>): ResultDigest {
  const full = Object.fromEntries([...rows.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  return {
    scope,
    digest: sha(canonicalJson({ scope, rows: full })),
    rows: Object.fromEntries(Object.entries(full).map(([k, h]) => [k, h.slice(0, ROW_PREFIX)])),
  };
}

function put(rows: Map<string, string>, key: string, value: unknown): void {
  rows.set(key, sha(canonicalJson(value)));
}

// ---- scopes ----

export function evidenceScope(path: string): string {
  return `evidence ${path} registration`;
}

export function analysisScope(path: string): string {
  return `evidence ${path}`;
}

/** The registered hash and integrity state of one evidence item (what hiding a change would edit). */
export function evidenceDigest(db: CaseDb, evidenceId: number): ResultDigest | null {
  const r = stmt(db, 'SELECT rel_path, sha256, integrity FROM evidence WHERE id = ?').get(evidenceId) as Row | undefined;
  if (!r) return null;
  const rows = new Map<string, string>();
  put(rows, 'evidence row (registered SHA-256 and integrity state)', r);
  return finish(evidenceScope(r.rel_path as string), rows);
}

const warningsColumn = new WeakMap<CaseDb, boolean>();
function analysisColumns(db: CaseDb): string {
  let w = warningsColumn.get(db);
  if (w === undefined) {
    w = (db.prepare("SELECT COUNT(*) FROM pragma_table_info('analyses') WHERE name = 'warnings'").pluck().get() as number) > 0;
    warningsColumn.set(db, w);
  }
  return 'run_id, evidence_sha256, params_key, faces_key, classify_key, params, stage_versions, status, error_code, error, frame_indices, completed_at, ' +
    `face_count, score, score_note, execution_provider, detector${w ? ', warnings' : ''}`;
}

/** The current analysis of one evidence item with its frames, faces, face scores and model results. */
export function analysisDigest(db: CaseDb, evidenceId: number): ResultDigest | null {
  const path = stmt(db, 'SELECT rel_path FROM evidence WHERE id = ?').pluck().get(evidenceId) as string | undefined;
  const a = stmt(db, `SELECT id, ${analysisColumns(db)} FROM analyses WHERE evidence_id = ?`).get(evidenceId) as Row | undefined;
  if (path === undefined || !a) return null;
  const analysisId = a.id as number;
  delete a.id;
  const rows = new Map<string, string>();
  put(rows, 'analyses row', a);
  for (const m of stmt(db, 'SELECT model_id, onnx_sha256, value, branch, faces FROM model_results WHERE analysis_id = ? ORDER BY model_id').all(analysisId) as Row[]) {
    put(rows, `model_results row of model ${m.model_id as string}`, m);
  }
  const frames = stmt(db, 'SELECT id, sample_no, frame_index, pts_sec, width, height, detect_width, detect_height, preview_jpeg FROM frames WHERE analysis_id = ? ORDER BY sample_no').all(analysisId) as Row[];
  const seen = new Map<number, number>();
  for (const f of frames) seen.set(f.frame_index as number, (seen.get(f.frame_index as number) ?? 0) + 1);
  const label = new Map<number, string>();
  for (const f of frames) {
    // Frame indices repeat only when a video has fewer frames than were sampled.
    label.set(f.id as number, `frame ${f.frame_index as number}${(seen.get(f.frame_index as number) ?? 0) > 1 ? ` (sample ${f.sample_no as number})` : ''}`);
    const { id: _id, ...row } = f;
    put(rows, `frames row of ${label.get(f.id as number)!}`, canonicalRow(row));
  }
  const faces = stmt(db,
    `SELECT id, frame_id, face_no, box, det_box, det_prob, landmarks, crop, crop_width, crop_height, crop_png, track FROM faces WHERE analysis_id = ? ORDER BY frame_id, face_no`,
  ).all(analysisId) as Row[];
  const scores = stmt(db,
    'SELECT s.face_id, s.model_id, s.logit, s.prob FROM face_scores s JOIN faces f ON f.id = s.face_id WHERE f.analysis_id = ? ORDER BY s.face_id, s.model_id',
  ).all(analysisId) as Row[];
  const byFace = new Map<number, Row>();
  for (const s of scores) {
    const rec = byFace.get(s.face_id as number) ?? {};
    rec[s.model_id as string] = { logit: s.logit, prob: s.prob };
    byFace.set(s.face_id as number, rec);
  }
  for (const f of faces) {
    // A face whose frame is not in this analysis was inserted by hand: it still gets a key.
    const where = `${label.get(f.frame_id as number) ?? `unknown frame row ${f.frame_id as number}`} face ${f.face_no as number}`;
    const { id, frame_id: _frame, ...row } = f;
    put(rows, `faces row of ${where}`, canonicalRow(row));
    const s = byFace.get(id as number);
    if (s) put(rows, `face_scores of ${where}`, s);
    byFace.delete(id as number);
  }
  return finish(analysisScope(path), rows);
}

export function reviewScope(id: number): string {
  return `review ${id}`;
}

export function reviewDigest(db: CaseDb, reviewId: number): ResultDigest | null {
  const undo = hasColumn(db, 'reviews', 'undoes');
  const r = stmt(db,
    `SELECT e.rel_path AS path, r.evidence_sha256, r.faces_key, r.frame_index, r.face_no, r.decision, r.category, r.note, r.examiner, r.created_at${undo ? ', r.undoes' : ''}
       FROM reviews r LEFT JOIN evidence e ON e.id = r.evidence_id WHERE r.id = ?`,
  ).get(reviewId) as Row | undefined;
  if (!r) return null;
  // undoes (migration 8) enters the row only when set, so reviews written before keep their digests.
  if (r.undoes === null || r.undoes === undefined) delete r.undoes;
  const rows = new Map<string, string>();
  put(rows, 'reviews row', r);
  return finish(reviewScope(reviewId), rows);
}

function hasColumn(db: CaseDb, table: string, column: string): boolean {
  return (stmt(db, `SELECT 1 FROM pragma_table_info('${table}') WHERE name = ?`).get(column) as unknown) !== undefined;
}

export const CATEGORY_LABELS_SCOPE = 'category labels';

/** The case's category labels as one result set (rows are updated, never deleted). */
export function categoryLabelsDigest(db: CaseDb): ResultDigest | null {
  if (!(stmt(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'category_labels'").get() as unknown)) return null;
  const labels = stmt(db, 'SELECT category, label, examiner, updated_at FROM category_labels ORDER BY category').all() as Row[];
  if (!labels.length) return null;
  const rows = new Map<string, string>();
  for (const l of labels) put(rows, `category_labels row of category ${l.category as number}`, l);
  return finish(CATEGORY_LABELS_SCOPE, rows);
}

function comparisonScopeOf(r: Row): string {
  return `comparison of ${r.suspect_path as string} with ${r.reference_path as string} at offset ${r.frame_offset as number}`;
}

export function comparisonDigest(db: CaseDb, comparisonId: number): ResultDigest | null {
  const c = stmt(db,
    `SELECT s.rel_path AS suspect_path, r.rel_path AS reference_path, c.suspect_sha256, c.reference_sha256, c.frame_offset, c.params, c.stage_version, c.created_at
       FROM comparisons c LEFT JOIN evidence s ON s.id = c.suspect_evidence_id LEFT JOIN evidence r ON r.id = c.reference_evidence_id WHERE c.id = ?`,
  ).get(comparisonId) as Row | undefined;
  if (!c) return null;
  const rows = new Map<string, string>();
  put(rows, 'comparisons row', c);
  for (const m of stmt(db, 'SELECT frame_index, reference_frame_index, face_no, crop, mask_png, energy FROM face_masks WHERE comparison_id = ? ORDER BY frame_index, face_no').all(comparisonId) as Row[]) {
    put(rows, `face_masks row of frame ${m.frame_index as number} face ${m.face_no as number}`, canonicalRow(m));
  }
  return finish(comparisonScopeOf(c), rows);
}

function heatmapScopeOf(r: Row): string {
  return `heatmap of ${r.path as string} frame ${r.frame_index as number} face ${r.face_no as number} (${sha(`${r.models_key as string}\n${r.params as string}`).slice(0, 12)})`;
}

export function heatmapDigest(db: CaseDb, heatmapId: number): ResultDigest | null {
  const h = stmt(db,
    `SELECT e.rel_path AS path, h.evidence_sha256, h.frame_index, h.face_no, h.models_key, h.params, h.stage_version, h.grid_width, h.grid_height,
            h.values_json, h.heatmap_png, h.base_score, h.created_at
       FROM heatmaps h LEFT JOIN evidence e ON e.id = h.evidence_id WHERE h.id = ?`,
  ).get(heatmapId) as Row | undefined;
  if (!h) return null;
  const rows = new Map<string, string>();
  put(rows, 'heatmaps row', canonicalRow(h));
  return finish(heatmapScopeOf(h), rows);
}

/** Every result set in the database now, recomputed from the tables. */
export function currentResults(db: CaseDb): ResultDigest[] {
  const out: ResultDigest[] = [];
  const ids = (sql: string) => stmt(db, sql).pluck().all() as number[];
  for (const id of ids('SELECT id FROM evidence ORDER BY id')) out.push(evidenceDigest(db, id)!);
  for (const id of ids('SELECT evidence_id FROM analyses ORDER BY evidence_id')) {
    const d = analysisDigest(db, id);
    if (d) out.push(d);
  }
  for (const id of ids('SELECT id FROM reviews ORDER BY id')) out.push(reviewDigest(db, id)!);
  for (const id of ids('SELECT id FROM comparisons ORDER BY id')) out.push(comparisonDigest(db, id)!);
  for (const id of ids('SELECT id FROM heatmaps ORDER BY id')) out.push(heatmapDigest(db, id)!);
  const labels = categoryLabelsDigest(db);
  if (labels) out.push(labels);
  return out;
}

/** One digest over every current result set (what a report was generated from). */
export function resultsStateDigest(db: CaseDb): string {
  return sha(canonicalJson(currentResults(db).map((d) => [d.scope, d.digest])));
}

/** The first row that differs between what an entry recorded and the tables now, in words. */
export function describeDifference(recorded: Record<string, string>, now: Record<string, string>, seq: number): string {
  for (const [key, h] of Object.entries(recorded)) {
    if (!(key in now)) return `${key} missing (deleted after audit entry ${seq})`;
    if (now[key] !== h) return `${key} ${key.includes(' row') ? 'differs' : 'differ'} from audit entry ${seq}`;
  }
  for (const key of Object.keys(now)) if (!(key in recorded)) return `${key} not recorded by audit entry ${seq} (inserted by hand)`;
  return `rows differ from audit entry ${seq}`;
}

/** Reads the digest an audit entry carries (details.results), if any. */
export function entryResults(details: unknown): ResultDigest | null {
  const r = (details as { results?: unknown } | null)?.results as Partial<ResultDigest> | undefined;
  if (!r || typeof r.scope !== 'string' || typeof r.digest !== 'string' || !r.rows || typeof r.rows !== 'object') return null;
  return r as ResultDigest;
}

