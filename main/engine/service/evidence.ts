import type { EvidenceRow, MediaWarning } from '../../../common/api.js';
import type { CaseStore, EvidenceRecord } from '../store/case-store.js';
import { DeepscanError } from '../util/errors.js';

/** Sampled frames and detected faces per evidence item (one grouped query each, not one per item). */
function counts(store: CaseStore) {
  const frames = store.prepare('SELECT evidence_id AS id, COUNT(*) AS n FROM frames GROUP BY evidence_id').all() as { id: number; n: number }[];
  const analyses = store.prepare("SELECT evidence_id AS id, face_count AS n, score, warnings FROM analyses WHERE status = 'analyzed'").all() as { id: number; n: number; score: number | null; warnings: string }[];
  // Faces with a current decision: the latest review row per face has a decision or category.
  const reviewed = store.prepare(
    `SELECT r.evidence_id AS id, COUNT(*) AS n FROM reviews r
     WHERE r.id = (SELECT max(id) FROM reviews x WHERE x.evidence_id = r.evidence_id AND x.frame_index = r.frame_index AND x.face_no = r.face_no)
       AND (r.decision IS NOT NULL OR r.category IS NOT NULL)
     GROUP BY r.evidence_id`,
  ).all() as { id: number; n: number }[];
  return {
    frames: new Map(frames.map((r) => [r.id, r.n])), faces: new Map(analyses.map((r) => [r.id, r.n])),
    scores: new Map(analyses.map((r) => [r.id, r.score])), reviewed: new Map(reviewed.map((r) => [r.id, r.n])),
    warnings: new Map(analyses.map((r) => [r.id, JSON.parse(r.warnings) as MediaWarning[]])),
  };
}

function toRow(e: EvidenceRecord, c: ReturnType<typeof counts>): EvidenceRow {
  return {
    id: e.id, path: e.relPath, size: e.size ?? 0, sha256: e.sha256, kind: e.kind, status: e.status, error: e.error, integrity: e.integrity,
    durationSec: e.durationSec, frameCount: e.frameCount, fps: e.fps, width: e.width, height: e.height,
    sampledFrames: c.frames.get(e.id) ?? 0, faces: c.faces.get(e.id) ?? 0, score: c.scores.get(e.id) ?? null, reviewedFaces: c.reviewed.get(e.id) ?? 0,
    warnings: c.warnings.get(e.id) ?? [],
  };
}

export function evidenceRows(store: CaseStore): EvidenceRow[] {
  const c = counts(store);
  return store.listEvidence().map((e) => toRow(e, c));
}

export function evidenceRow(store: CaseStore, evidenceId: number): EvidenceRow {
  const e = store.getEvidence(evidenceId);
  if (!e) throw new DeepscanError('invalid-argument', `no evidence ${evidenceId} in this case`);
  return toRow(e, counts(store));
}
