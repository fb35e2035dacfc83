/**
 * What a review decision is about, shared by the review queue and the workstation. Its own
 * module so that review-state does not import workstation (which constructs it).
 */
import type { ReviewInfo } from '../../../common/api.js';

/** A face that a decision is about, wherever it was shown. */
export interface FaceTarget {
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  faceId: number;
  review: ReviewInfo | null;
}

export interface ReviewPatch {
  decision?: ReviewInfo['decision'];
  category?: number | null;
  note?: string | null;
}

/** Where a face sits in its frame (for context views such as the review queue). */
export interface FaceGeometry {
  box: [number, number, number, number];
  width: number;
  height: number;
  track: number | null;
}
