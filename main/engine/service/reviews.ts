import type { CategoryLabel, ReviewInfo, ReviewQueueFilter, ReviewQueueItem, ReviewRequest, UndoResult } from '../../../common/api.js';
import { verdictBand } from '../../../common/verdict.js';
import type { CaseStore } from '../store/case-store.js';
import { categoryLabels, setCategoryLabel } from '../store/category-labels.js';
import { latestFaceEnergies } from '../store/comparison-energy.js';
import { addReview, allCurrentReviews, currentReview, flaggedFaces, reviewKey, undoLastReview as undoStored } from '../store/reviews.js';
import { reviewState } from './comparisons.js';
import { DeepscanError } from '../util/errors.js';
import { reviewInfo } from './video.js';

/**
 * Faces whose ensemble probability (the mean over models of the face's fake probability) is at
 * least `threshold`, highest first, each with its current review. Ties are ordered by path,
 * frame and face so the queue is stable.
 */
export function reviewQueue(store: CaseStore, threshold = 0.5, filter: ReviewQueueFilter = {}): ReviewQueueItem[] {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new DeepscanError('invalid-argument', `threshold must be from 0 to 1 (got ${threshold})`);
  const rows = flaggedFaces(store, threshold, { evidenceId: filter.evidenceId, track: filter.track });
  const reviews = allCurrentReviews(store);
  const energies = new Map<number, Map<number, number>>();
  const energyOf = (evidenceId: number, faceId: number) => {
    if (!energies.has(evidenceId)) energies.set(evidenceId, latestFaceEnergies(store, evidenceId));
    return energies.get(evidenceId)!.get(faceId) ?? null;
  };
  const items = rows.map((r): ReviewQueueItem => {
    const review = reviewInfo(reviews.get(`${r.evidenceId}:${reviewKey(r.frameIndex, r.faceNo)}`));
    const state = reviewState(review);
    return {
      evidenceId: r.evidenceId, path: r.path, frameId: r.frameId, frameIndex: r.frameIndex, sampleNo: r.sampleNo, faceId: r.faceId, faceNo: r.faceNo, track: r.track,
      ensemble: r.ensemble, review, band: verdictBand(r.ensemble), energy: energyOf(r.evidenceId, r.faceId), reviewState: state, reviewed: state === 'decided',
    };
  });
  return items.filter((i) => matchesFilter(i, filter));
}

/** The filters beyond evidence and person (those are applied in the query). */
function matchesFilter(i: ReviewQueueItem, f: ReviewQueueFilter): boolean {
  if (f.bands && !f.bands.includes(i.band)) return false;
  if (f.decisions && !f.decisions.includes(i.review?.decision ?? 'none')) return false;
  if (f.states && !f.states.includes(i.reviewState)) return false;
  // An energy bound asks for compared faces: a face without a mask never matches it.
  if (f.energyMin !== undefined && (i.energy === null || i.energy < f.energyMin)) return false;
  if (f.energyMax !== undefined && (i.energy === null || i.energy > f.energyMax)) return false;
  return true;
}

/** Undoes the last decision (of the case, or of one face) as a new audited review row. */
export function undoLastReview(store: CaseStore, examiner: string, face?: { evidenceId: number; frameIndex: number; faceNo: number }): UndoResult {
  const { undone, restored } = undoStored(store, examiner.trim(), face);
  return { evidenceId: restored.evidenceId, frameIndex: restored.frameIndex, faceNo: restored.faceNo, undoneReviewId: undone.id, review: reviewInfo(restored)! };
}

export function getCategoryLabels(store: CaseStore): CategoryLabel[] {
  return categoryLabels(store);
}

export function updateCategoryLabel(store: CaseStore, category: number, label: string | null, examiner: string): CategoryLabel[] {
  return setCategoryLabel(store, category, label, examiner.trim());
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
