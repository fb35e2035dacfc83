import { appendAudit } from './audit.js';
import { reviewDigest } from './result-digest.js';
import type { CaseStore } from './case-store.js';
import { DeepscanError } from '../util/errors.js';

/**
 * Examiner reviews of faces (table `reviews`, migration 3). Every decision is a new row, so
 * the history is kept; the current review of a face is the latest row for its (evidence,
 * frame index, face number). Reviews are keyed by those rather than by faces.id so that a
 * decision survives a re-analysis; faces_key records which analysis it was made on.
 */

export type ReviewDecisionValue = 'fake' | 'real' | 'unsure';

export interface ReviewRecord {
  id: number;
  evidenceId: number;
  evidenceSha256: string;
  facesKey: string | null;
  frameIndex: number;
  faceNo: number;
  decision: ReviewDecisionValue | null;
  category: number | null;
  note: string | null;
  examiner: string;
  createdAt: string;
}

export interface NewReview {
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  decision: ReviewDecisionValue | null;
  category: number | null;
  note: string | null;
  examiner: string;
}

type Row = Record<string, unknown>;

function toReview(r: Row): ReviewRecord {
  return {
    id: r.id as number, evidenceId: r.evidence_id as number, evidenceSha256: r.evidence_sha256 as string, facesKey: (r.faces_key as string | null) ?? null,
    frameIndex: r.frame_index as number, faceNo: r.face_no as number, decision: (r.decision as ReviewDecisionValue | null) ?? null,
    category: (r.category as number | null) ?? null, note: (r.note as string | null) ?? null, examiner: r.examiner as string, createdAt: r.created_at as string,
  };
}

/** The latest review row per (evidence, frame index, face number). */
const CURRENT = `SELECT r.* FROM reviews r
  WHERE r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.evidence_id = r.evidence_id AND r2.frame_index = r.frame_index AND r2.face_no = r.face_no)`;

/** Current review of each face of one evidence item, keyed by `${frameIndex}:${faceNo}`. */
export function currentReviews(store: CaseStore, evidenceId: number): Map<string, ReviewRecord> {
  const rows = store.prepare(`${CURRENT} AND r.evidence_id = ? ORDER BY r.frame_index, r.face_no`).all(evidenceId) as Row[];
  return new Map(rows.map((r) => { const v = toReview(r); return [reviewKey(v.frameIndex, v.faceNo), v]; }));
}

/** Current reviews of the whole case, keyed by `${evidenceId}:${frameIndex}:${faceNo}`. */
export function allCurrentReviews(store: CaseStore): Map<string, ReviewRecord> {
  const rows = store.prepare(`${CURRENT} ORDER BY r.evidence_id, r.frame_index, r.face_no`).all() as Row[];
  return new Map(rows.map((r) => { const v = toReview(r); return [`${v.evidenceId}:${reviewKey(v.frameIndex, v.faceNo)}`, v]; }));
}

export interface CurrentReview extends ReviewRecord {
  /** How many decisions were recorded on this face in all (the history is kept). */
  revisions: number;
}

/**
 * Current review of every reviewed face of the case with its number of recorded decisions,
 * grouped by evidence id, each list ordered by frame index and face number (for reports).
 */
export function currentReviewsByEvidence(store: CaseStore): Map<number, CurrentReview[]> {
  const rows = store.prepare(
    `SELECT r.*, m.n AS revisions FROM reviews r
       JOIN (SELECT MAX(id) AS id, COUNT(*) AS n FROM reviews GROUP BY evidence_id, frame_index, face_no) m ON m.id = r.id
      ORDER BY r.evidence_id, r.frame_index, r.face_no`,
  ).all() as Row[];
  const out = new Map<number, CurrentReview[]>();
  for (const r of rows) {
    const review: CurrentReview = { ...toReview(r), revisions: r.revisions as number };
    const list = out.get(review.evidenceId) ?? [];
    list.push(review);
    out.set(review.evidenceId, list);
  }
  return out;
}

export function currentReview(store: CaseStore, evidenceId: number, frameIndex: number, faceNo: number): ReviewRecord | null {
  const r = store.prepare('SELECT * FROM reviews WHERE evidence_id = ? AND frame_index = ? AND face_no = ? ORDER BY id DESC LIMIT 1').get(evidenceId, frameIndex, faceNo) as Row | undefined;
  return r ? toReview(r) : null;
}

/** Every review of one face, oldest first (the history behind the current decision). */
export function reviewHistory(store: CaseStore, evidenceId: number, frameIndex: number, faceNo: number): ReviewRecord[] {
  return (store.prepare('SELECT * FROM reviews WHERE evidence_id = ? AND frame_index = ? AND face_no = ? ORDER BY id').all(evidenceId, frameIndex, faceNo) as Row[]).map(toReview);
}

/** A face whose ensemble probability (mean of its models' fake probabilities) reached the review threshold. */
export interface FlaggedFace {
  faceId: number;
  faceNo: number;
  track: number | null;
  frameId: number;
  frameIndex: number;
  /** The frame's place among the sampled frames (0-based). */
  sampleNo: number;
  evidenceId: number;
  path: string;
  ensemble: number;
}

/** Faces with an ensemble probability of at least `threshold`, highest first; ties by path, frame, face so the order is stable. */
export function flaggedFaces(store: CaseStore, threshold: number, where: { evidenceId?: number; track?: number } = {}): FlaggedFace[] {
  // Optional filters as "@x IS NULL OR …" so one prepared statement serves every combination.
  const rows = store.prepare(
    `SELECT f.id AS face_id, f.face_no, f.track, fr.id AS frame_id, fr.frame_index, fr.sample_no, e.id AS evidence_id, e.rel_path, AVG(s.prob) AS ensemble
     FROM faces f JOIN frames fr ON fr.id = f.frame_id JOIN evidence e ON e.id = f.evidence_id JOIN face_scores s ON s.face_id = f.id
     WHERE (@evidence IS NULL OR f.evidence_id = @evidence) AND (@track IS NULL OR f.track = @track)
     GROUP BY f.id HAVING AVG(s.prob) >= @threshold
     ORDER BY ensemble DESC, e.rel_path, fr.frame_index, f.face_no`,
  ).all({ evidence: where.evidenceId ?? null, track: where.track ?? null, threshold }) as { face_id: number; face_no: number; track: number | null; frame_id: number; frame_index: number; sample_no: number; evidence_id: number; rel_path: string; ensemble: number }[];
  return rows.map((r) => ({
    faceId: r.face_id, faceNo: r.face_no, track: r.track, frameId: r.frame_id, frameIndex: r.frame_index, sampleNo: r.sample_no, evidenceId: r.evidence_id, path: r.rel_path, ensemble: r.ensemble,
  }));
}

export function reviewKey(frameIndex: number, faceNo: number): string {
  return `${frameIndex}:${faceNo}`;
}

/**
 * Records a review of a face of the item's current analysis. The row and its audit entry
 * (action `review`: examiner, evidence path and SHA-256, frame, face, decision, category,
 * note) are written in one transaction. Refuses faces the current analysis does not have.
 */
export function addReview(store: CaseStore, r: NewReview, at = new Date().toISOString()): ReviewRecord {
  if (r.category !== null && (!Number.isInteger(r.category) || r.category < 0 || r.category > 5)) {
    throw new DeepscanError('invalid-argument', `review category must be an integer from 0 to 5 (got ${r.category})`);
  }
  return store.write(() => {
    const ev = store.getEvidence(r.evidenceId);
    if (!ev) throw new DeepscanError('invalid-argument', `no evidence ${r.evidenceId} in this case`);
    const face = store.prepare(
      `SELECT a.evidence_sha256 AS sha, a.faces_key AS faces_key, f.track, fr.sample_no,
              (SELECT count(*) FROM frames x WHERE x.analysis_id = a.id) AS sampled
         FROM faces f JOIN frames fr ON fr.id = f.frame_id JOIN analyses a ON a.id = f.analysis_id
       WHERE f.evidence_id = ? AND fr.frame_index = ? AND f.face_no = ?`,
    ).get(r.evidenceId, r.frameIndex, r.faceNo) as { sha: string; faces_key: string | null; track: number | null; sample_no: number; sampled: number } | undefined;
    if (!face) {
      throw new DeepscanError('invalid-argument', `${ev.relPath} has no face ${r.faceNo} in frame ${r.frameIndex} in its current analysis`, { file: ev.relPath });
    }
    const sha = ev.sha256 ?? face.sha;
    const info = store.prepare(
      'INSERT INTO reviews (evidence_id, evidence_sha256, faces_key, frame_index, face_no, decision, category, note, examiner, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(r.evidenceId, sha, face.faces_key, r.frameIndex, r.faceNo, r.decision, r.category, r.note, r.examiner, at);
    const reviewId = Number(info.lastInsertRowid);
    appendAudit(store.db, r.examiner, 'review', {
      // Ids as stored (0-based track, sample and face); the views name the face with common/format.ts faceLabel.
      examiner: r.examiner, path: ev.relPath, evidenceId: r.evidenceId, sha256: sha, frame: r.frameIndex, face: r.faceNo,
      track: face.track, sampleNo: face.sample_no, sampledFrames: face.sampled, decision: r.decision, category: r.category, note: r.note,
      review: reviewId, results: reviewDigest(store.db, reviewId),
    }, at);
    return {
      id: reviewId, evidenceId: r.evidenceId, evidenceSha256: sha, facesKey: face.faces_key, frameIndex: r.frameIndex, faceNo: r.faceNo,
      decision: r.decision, category: r.category, note: r.note, examiner: r.examiner, createdAt: at,
    };
  });
}

/**
 * Undoes the last decision — of the case, or of one face — by a new review row that restores
 * the face's state before it (the row preceding it for that face, or an empty state), marked
 * `undoes` and audited as 'review-undone'. Nothing is deleted. Rows already undone, and undo
 * rows themselves, are skipped, so repeated undos step back through the history.
 */
export function undoLastReview(store: CaseStore, examiner: string, face?: { evidenceId: number; frameIndex: number; faceNo: number }, at = new Date().toISOString()): { undone: ReviewRecord; restored: ReviewRecord } {
  return store.write(() => {
    const scope = face ? 'AND r.evidence_id = ? AND r.frame_index = ? AND r.face_no = ?' : '';
    const target = store.prepare(
      `SELECT r.* FROM reviews r WHERE r.undoes IS NULL AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id) ${scope} ORDER BY r.id DESC LIMIT 1`,
    ).get(...(face ? [face.evidenceId, face.frameIndex, face.faceNo] : [])) as Row | undefined;
    if (!target) throw new DeepscanError('nothing-to-undo', face ? `face ${face.faceNo} of frame ${face.frameIndex} has no decision left to undo` : 'this case has no decision left to undo');
    const undone = toReview(target);
    const prev = store.prepare('SELECT * FROM reviews WHERE evidence_id = ? AND frame_index = ? AND face_no = ? AND id < ? ORDER BY id DESC LIMIT 1')
      .get(undone.evidenceId, undone.frameIndex, undone.faceNo, undone.id) as Row | undefined;
    const before = prev ? toReview(prev) : null;
    const ev = store.getEvidence(undone.evidenceId);
    const info = store.prepare(
      'INSERT INTO reviews (evidence_id, evidence_sha256, faces_key, frame_index, face_no, decision, category, note, examiner, created_at, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(undone.evidenceId, undone.evidenceSha256, undone.facesKey, undone.frameIndex, undone.faceNo, before?.decision ?? null, before?.category ?? null, before?.note ?? null, examiner, at, undone.id);
    const id = Number(info.lastInsertRowid);
    // The ids the views name the face with (faceLabel), as the review entry stores them; absent when
    // the current analysis no longer has the face.
    const ids = store.prepare(
      `SELECT f.track, fr.sample_no AS sampleNo, (SELECT count(*) FROM frames x WHERE x.analysis_id = f.analysis_id) AS sampledFrames
         FROM faces f JOIN frames fr ON fr.id = f.frame_id WHERE f.evidence_id = ? AND fr.frame_index = ? AND f.face_no = ?`,
    ).get(undone.evidenceId, undone.frameIndex, undone.faceNo) as { track: number | null; sampleNo: number; sampledFrames: number } | undefined;
    appendAudit(store.db, examiner, 'review-undone', {
      examiner, path: ev?.relPath ?? null, evidenceId: undone.evidenceId, sha256: undone.evidenceSha256, frame: undone.frameIndex, face: undone.faceNo, ...ids, undoes: undone.id,
      from: { decision: undone.decision, category: undone.category, note: undone.note },
      to: { decision: before?.decision ?? null, category: before?.category ?? null, note: before?.note ?? null },
      review: id, results: reviewDigest(store.db, id),
    }, at);
    const restored: ReviewRecord = {
      id, evidenceId: undone.evidenceId, evidenceSha256: undone.evidenceSha256, facesKey: undone.facesKey, frameIndex: undone.frameIndex, faceNo: undone.faceNo,
      decision: before?.decision ?? null, category: before?.category ?? null, note: before?.note ?? null, examiner, createdAt: at,
    };
    return { undone, restored };
  });
}
