/**
 * The "reviewed" rule and its words, shared by the engine (which reports reviewState) and the
 * UI (which shows it, and must keep it right after a local decision without a reload). A face
 * counts as reviewed only with a decision; a note or a category alone asks for one (issue 13).
 *
 * Pure functions: no Node, no DOM.
 */
import type { ReviewInfo, ReviewState } from './api.js';

export function reviewStateOf(r: ReviewInfo | null | undefined): ReviewState {
  if (!r) return 'unreviewed';
  if (r.decision !== null) return 'decided';
  return r.category !== null || (r.note !== null && r.note !== '') ? 'needs-decision' : 'unreviewed';
}

/** What each state reads as, wherever it is shown (never a colour alone). */
export const REVIEW_STATE_WORDS: Record<ReviewState, string> = {
  decided: 'Decided',
  'needs-decision': 'Needs a decision',
  unreviewed: 'Not reviewed',
};
