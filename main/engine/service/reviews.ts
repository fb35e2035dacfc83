import type { ReviewInfo, ReviewQueueItem, ReviewRequest } from '../../../common/api.js';
import type { CaseStore } from '../store/case-store.js';
import { addReview, allCurrentReviews, currentReview, flaggedFaces, reviewKey } from '../store/reviews.js';
import { DeepscanError } from '../util/errors.js';
import { reviewInfo } from './video.js';

/**
 * Faces whose ensemble probability (the mean over models of the face's fake probability) is at
 * least `threshold`, highest first, each with its current review. Ties are ordered by path,
 * frame and face so the queue is stable.
 */
export function reviewQueue(store: CaseStore, threshold = 0.5): ReviewQueueItem[] {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new DeepscanError('invalid-argument', `threshold must be from 0 to 1 (got ${threshold})`);
  const rows = flaggedFaces(store, threshold);
  const reviews = allCurrentReviews(store);
  return rows.map((r) => ({
    evidenceId: r.evidenceId, path: r.path, frameId: r.frameId, frameIndex: r.frameIndex, faceId: r.faceId, faceNo: r.faceNo, track: r.track,
    ensemble: r.ensemble, review: reviewInfo(reviews.get(`${r.evidenceId}:${reviewKey(r.frameIndex, r.faceNo)}`)),
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
