import { describe, expect, it } from 'vitest';
import type { ReviewInfo } from './api.js';
import { REVIEW_STATE_WORDS, reviewStateOf } from './review-words.js';

const r = (p: Partial<ReviewInfo>): ReviewInfo => ({ decision: null, category: null, note: null, examiner: 'E', at: '2026-11-24T00:00:00Z', ...p });

describe('reviewStateOf', () => {
  it('counts a face as reviewed only with a decision; a note or a category alone needs one', () => {
    expect(reviewStateOf(null)).toBe('unreviewed');
    expect(reviewStateOf(r({}))).toBe('unreviewed'); // an undo back to nothing
    expect(reviewStateOf(r({ note: '' }))).toBe('unreviewed');
    expect(reviewStateOf(r({ note: 'seam' }))).toBe('needs-decision');
    expect(reviewStateOf(r({ category: 0 }))).toBe('needs-decision');
    expect(reviewStateOf(r({ decision: 'unsure' }))).toBe('decided');
    expect(reviewStateOf(r({ decision: 'real', note: 'x', category: 3 }))).toBe('decided');
  });

  it('has words for every state, none of them only a colour', () => {
    expect(Object.values(REVIEW_STATE_WORDS)).toEqual(['Decided', 'Needs a decision', 'Not reviewed']);
  });
});
