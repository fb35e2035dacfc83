/**
 * Read views of the evidence-and-analyses aggregate that the workstation views and the report
 * need beyond CaseStore's own records: per-item roll-ups, faces without their pixels, one
 * face's crop. Typed rows in, typed records out; SQL stays in store/.
 */
import type { AnalysisWarning, Box4, CaseStore, StoredFace } from './case-store.js';

/** Per-item counts for the evidence table, each from one grouped query (not one per item). */
export interface EvidenceRollups {
  frames: Map<number, number>;
  faces: Map<number, number>;
  scores: Map<number, number | null>;
  /** Faces whose current review holds a decision (a note or category alone does not count). */
  reviewed: Map<number, number>;
  warnings: Map<number, AnalysisWarning[]>;
}

export function evidenceCount(store: CaseStore): number {
  return (store.prepare('SELECT COUNT(*) AS n FROM evidence').get() as { n: number }).n;
}

export function evidenceRollups(store: CaseStore): EvidenceRollups {
  const frames = store.prepare('SELECT evidence_id AS id, COUNT(*) AS n FROM frames GROUP BY evidence_id').all() as { id: number; n: number }[];
  const analyses = store.prepare("SELECT evidence_id AS id, face_count AS n, score, warnings FROM analyses WHERE status = 'analyzed'").all() as { id: number; n: number; score: number | null; warnings: string }[];
  // The latest review row per face is its current review.
  const reviewed = store.prepare(
    `SELECT r.evidence_id AS id, COUNT(*) AS n FROM reviews r
     WHERE r.id = (SELECT max(id) FROM reviews x WHERE x.evidence_id = r.evidence_id AND x.frame_index = r.frame_index AND x.face_no = r.face_no)
       AND r.decision IS NOT NULL -- a note or category alone is not a review (issue 13)
     GROUP BY r.evidence_id`,
  ).all() as { id: number; n: number }[];
  return {
    frames: new Map(frames.map((r) => [r.id, r.n])), faces: new Map(analyses.map((r) => [r.id, r.n])),
    scores: new Map(analyses.map((r) => [r.id, r.score])), reviewed: new Map(reviewed.map((r) => [r.id, r.n])),
    warnings: new Map(analyses.map((r) => [r.id, JSON.parse(r.warnings) as AnalysisWarning[]])),
  };
}

export type LeanFace = Omit<StoredFace, 'cropPng' | 'cropWidth' | 'cropHeight'>;

interface LeanFaceRow {
  id: number; frame_id: number; face_no: number; box: string; det_box: string; det_prob: number; landmarks: string; crop: string;
  track: number | null; frame_index: number; sample_no: number;
}

/** An item's faces without their crop pixels (a video's crops are megabytes; views fetch one when shown). */
export function listFacesLean(store: CaseStore, evidenceId: number): LeanFace[] {
  const rows = store.prepare(
    `SELECT f.id, f.frame_id, f.face_no, f.box, f.det_box, f.det_prob, f.landmarks, f.crop, f.track, fr.frame_index, fr.sample_no
     FROM faces f JOIN frames fr ON fr.id = f.frame_id WHERE f.evidence_id = ? ORDER BY fr.sample_no, f.face_no`,
  ).all(evidenceId) as LeanFaceRow[];
  return rows.map((r) => ({
    id: r.id, frameId: r.frame_id, frameIndex: r.frame_index, sampleNo: r.sample_no, faceNo: r.face_no,
    box: JSON.parse(r.box) as Box4, detBox: JSON.parse(r.det_box) as Box4, detProb: r.det_prob,
    landmarks: JSON.parse(r.landmarks) as [number, number][], crop: JSON.parse(r.crop) as Box4, track: r.track,
  }));
}

/** Where a face sits: its item (path and registered hash), frame, detection order and crop box. */
export interface FaceRef {
  faceId: number;
  evidenceId: number;
  path: string;
  sha256: string;
  frameIndex: number;
  faceNo: number;
  crop: Box4;
}

export function faceRef(store: CaseStore, faceId: number): FaceRef | null {
  const r = store.prepare(
    `SELECT f.evidence_id, f.face_no, f.crop, fr.frame_index, e.rel_path, e.sha256 FROM faces f
     JOIN frames fr ON fr.id = f.frame_id JOIN evidence e ON e.id = f.evidence_id WHERE f.id = ?`,
  ).get(faceId) as { evidence_id: number; face_no: number; crop: string; frame_index: number; rel_path: string; sha256: string } | undefined;
  return r ? {
    faceId, evidenceId: r.evidence_id, path: r.rel_path, sha256: r.sha256, frameIndex: r.frame_index, faceNo: r.face_no, crop: JSON.parse(r.crop) as Box4,
  } : null;
}

/** One face's lossless crop (PNG bytes, empty when the face lies outside the frame) with where it comes from. */
export function faceCrop(store: CaseStore, faceId: number): { png: Buffer; faceNo: number; frameIndex: number; path: string } | null {
  const r = store.prepare(
    'SELECT f.crop_png AS png, f.face_no, fr.frame_index, e.rel_path AS path FROM faces f JOIN frames fr ON fr.id = f.frame_id JOIN evidence e ON e.id = f.evidence_id WHERE f.id = ?',
  ).get(faceId) as { png: Buffer | null; face_no: number; frame_index: number; path: string } | undefined;
  return r ? { png: r.png ?? Buffer.alloc(0), faceNo: r.face_no, frameIndex: r.frame_index, path: r.path } : null;
}

/** Just the crop bytes of a face; null when it has none. */
export function faceCropPng(store: CaseStore, faceId: number): Buffer | null {
  const png = store.prepare('SELECT crop_png FROM faces WHERE id = ?').pluck().get(faceId) as Buffer | undefined;
  return png?.length ? png : null;
}
