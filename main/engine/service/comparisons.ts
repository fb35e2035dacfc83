import type { ComparisonInfo, ReviewInfo, ReviewState } from '../../../common/api.js';
import { reviewStateOf } from '../../../common/review-words.js';
import type { CaseStore } from '../store/case-store.js';
import { suspectComparisonEnergies, type ComparisonEnergy } from '../store/comparison-energy.js';

/** The API shape of a comparison's energies (the per-mask matches stay in the engine). */
export function comparisonInfo(c: ComparisonEnergy): ComparisonInfo {
  return {
    comparisonId: c.comparisonId, suspectEvidenceId: c.suspectEvidenceId, referenceEvidenceId: c.referenceEvidenceId,
    reference: c.referencePath, referenceSha256: c.referenceSha256, suspectSha256: c.suspectSha256, offset: c.offset,
    frames: c.frames, faces: c.faces, energy: c.energy, tracks: c.tracks.map((t) => ({ ...t })), unmatchedFaces: c.unmatchedFaces, createdAt: c.createdAt,
  };
}

export function listComparisonInfos(store: CaseStore, suspectEvidenceId: number): ComparisonInfo[] {
  return suspectComparisonEnergies(store, suspectEvidenceId).map(comparisonInfo);
}

/** A face is reviewed only with a decision; a note or category alone asks for one. */
export function reviewState(r: ReviewInfo | null | undefined): ReviewState {
  return reviewStateOf(r); // one rule, shared with the UI (common/review-words.ts)
}
