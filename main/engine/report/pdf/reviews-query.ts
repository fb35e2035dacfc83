import type { CaseStore } from '../../store/case-store.js';

/**
 * Read-only view of the examiner's reviews for reports: every decision is a row, and the
 * current decision on a face is the latest row (highest id) for (evidence, frame index, face
 * number). Writing reviews is the reviews store's job; this only reads the table.
 */
export interface CurrentReview {
  id: number;
  evidenceId: number;
  evidenceSha256: string;
  facesKey: string | null;
  frameIndex: number;
  faceNo: number;
  decision: 'fake' | 'real' | 'unsure' | null;
  category: number | null;
  note: string | null;
  examiner: string;
  at: string;
  /** How many decisions were recorded on this face in all (history kept). */
  revisions: number;
}

/** Current reviews grouped by evidence id, each list ordered by frame index and face number. */
export function readCurrentReviews(store: CaseStore): Map<number, CurrentReview[]> {
  const out = new Map<number, CurrentReview[]>();
  let rows: Record<string, unknown>[];
  try {
    rows = store.prepare(
      `SELECT r.*, m.n AS revisions FROM reviews r
         JOIN (SELECT evidence_id, frame_index, face_no, MAX(id) AS id, COUNT(*) AS n FROM reviews GROUP BY evidence_id, frame_index, face_no) m ON m.id = r.id
        ORDER BY r.evidence_id, r.frame_index, r.face_no`,
    ).all() as Record<string, unknown>[];
  } catch {
    return out; // a database from before the reviews migration
  }
  for (const r of rows) {
    const review: CurrentReview = {
      id: r.id as number, evidenceId: r.evidence_id as number, evidenceSha256: r.evidence_sha256 as string, facesKey: (r.faces_key as string | null) ?? null,
      frameIndex: r.frame_index as number, faceNo: r.face_no as number, decision: (r.decision as CurrentReview['decision']) ?? null,
      category: (r.category as number | null) ?? null, note: (r.note as string | null) ?? null, examiner: r.examiner as string, at: r.created_at as string,
      revisions: r.revisions as number,
    };
    const list = out.get(review.evidenceId) ?? [];
    list.push(review);
    out.set(review.evidenceId, list);
  }
  return out;
}
