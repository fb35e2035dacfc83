import { describe, expect, it } from 'vitest';
import { auditFaceName, auditSubject, subjectText } from './audit-state.svelte.js';

/** A review entry's details as store/reviews.ts addReview writes them (ids 0-based). */
const REVIEW = {
  examiner: 'E. Examiner', path: 'clip.mp4', evidenceId: 4, sha256: 'ab'.repeat(32), frame: 19, face: 1,
  track: 2, sampleNo: 3, sampledFrames: 32, decision: 'fake', category: 2, note: 'n',
};

describe('audit entry subjects', () => {
  it('names a review with the decision, the evidence and faceLabel', () => {
    const s = auditSubject({ action: 'review', details: REVIEW });
    expect(s).toEqual({ what: 'Marked fake', evidence: 'clip.mp4', face: 'Person 3 · frame 4 of 32 (index 19) · face 2' });
    expect(subjectText(s!)).toBe('Marked fake · clip.mp4 · Person 3 · frame 4 of 32 (index 19) · face 2');
    expect(auditSubject({ action: 'review', details: { ...REVIEW, decision: null } })?.what).toBe('Note or category, no decision');
  });

  it('falls back to what an older entry holds', () => {
    // No track: the person is unknown, not "No person"; no sample number: the frame index only.
    expect(auditFaceName({ frame: 19, face: 1 })).toBe('frame index 19 · face 2');
    expect(auditFaceName({ frame: 19, face: 1, sampleNo: 3 })).toBe('frame 4 (index 19) · face 2');
    // A face stored without a track (recorded as null) has no person.
    expect(auditFaceName({ frame: 19, face: 0, track: null, sampleNo: 3, sampledFrames: 32 })).toBe('No person · frame 4 of 32 (index 19) · face 1');
    expect(auditFaceName({ frame: 19 })).toBeNull();
  });

  it('names an undo by what it restored, and evidence stored by id through the resolver', () => {
    const undo = { examiner: 'E', path: 'clip.mp4', frame: 19, face: 1, from: { decision: 'fake' }, to: { decision: null } };
    expect(subjectText(auditSubject({ action: 'review-undone', details: undo })!)).toBe('Decision undone (fake → no decision) · clip.mp4 · frame index 19 · face 2');
    const heat = { evidenceId: 4, frameIndex: 19, face: 1 };
    expect(auditSubject({ action: 'attention-heatmap-computed', details: heat }, (id) => (id === 4 ? 'b/other.mp4' : undefined))?.evidence).toBe('b/other.mp4');
    expect(auditSubject({ action: 'attention-heatmap-computed', details: { ...heat, evidenceId: 9 } })?.evidence).toBe('evidence 9');
  });

  it('leaves entries about no face to their plain details', () => {
    expect(auditSubject({ action: 'case-created', details: { folder: '/x' } })).toBeNull();
    expect(auditSubject({ action: 'review', details: null })).toBeNull();
    expect(auditSubject({ action: 'review', details: 'text' })).toBeNull();
  });
});
