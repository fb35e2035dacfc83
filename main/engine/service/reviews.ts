import type { ReviewInfo, ReviewQueueItem, ReviewRequest } from '../../../common/api.js';
import type { CaseStore } from '../store/case-store.js';
import { addReview, allCurrentReviews, currentReview, reviewKey } from '../store/reviews.js';
import { DeepscanError } from '../util/errors.js';
import { reviewInfo } from './video.js';

/**
 * Faces whose ensemble probability (the mean over models of the face's fake probability) is at
 * least `threshold`, highest first, each with its current review. Ties are ordered by path,
 * frame and face so the queue is stable.
 */
export function reviewQueue(store: CaseStore, threshold = 0.5): ReviewQueueItem[] {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new DeepscanError('invalid-argument', `threshold must be from 0 to 1 (got ${threshold})`);
  const rows = store.prepare(
    `SELECT f.id AS face_id, f.face_no, f.track, fr.id AS frame_id, fr.frame_index, e.id AS evidence_id, e.rel_path, AVG(s.prob) AS ensemble
     FROM faces f JOIN frames fr ON fr.id = f.frame_id JOIN evidence e ON e.id = f.evidence_id JOIN face_scores s ON s.face_id = f.id
     GROUP BY f.id HAVING AVG(s.prob) >= ?
     ORDER BY ensemble DESC, e.rel_path, fr.frame_index, f.face_no`,
  ).all(threshold) as { face_id: number; face_no: number; track: number | null; frame_id: number; frame_index: number; evidence_id: number; rel_path: string; ensemble: number }[];
  const reviews = allCurrentReviews(store);
  return rows.map((r) => ({
    evidenceId: r.evidence_id, path: r.rel_path, frameId: r.frame_id, frameIndex: r.frame_index, faceId: r.face_id, faceNo: r.face_no, track: r.track,
    ensemble: r.ensemble, review: reviewInfo(reviews.get(`${r.evidence_id}:${reviewKey(r.frame_index, r.face_no)}`)),
  }));
}

/**
 * Records a review as a new row holding the face's complete review state: a field left out of
 * the request (undefined) keeps its current value, null clears it.
 */
export function submitReview(store: CaseStore, req: ReviewRequest): ReviewInfo {
  const examiner = req.examiner.trim();
  if (!examiner) throw new DeepscanError('invalid-argument', 'a review needs the examiner\'s name');
  const prev = currentReview(store, req.evidenceId, req.frameIndex, req.faceNo);
  const saved = addReview(store, {
    evidenceId: req.evidenceId, frameIndex: req.frameIndex, faceNo: req.faceNo, examiner,
    decision: req.decision !== undefined ? req.decision : (prev?.decision ?? null),
    category: req.category !== undefined ? req.category : (prev?.category ?? null),
    note: req.note !== undefined ? req.note : (prev?.note ?? null),
  });
  return reviewInfo(saved)!;
}
