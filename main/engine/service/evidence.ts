import type { EvidenceRow } from '../../../common/api.js';
import type { CaseStore, EvidenceRecord } from '../store/case-store.js';
import { evidenceRollups, type EvidenceRollups } from '../store/evidence-repo.js';
import { DeepscanError } from '../util/errors.js';

function toRow(e: EvidenceRecord, c: EvidenceRollups): EvidenceRow {
  return {
    id: e.id, path: e.relPath, size: e.size ?? 0, sha256: e.sha256, kind: e.kind, status: e.status, error: e.error, integrity: e.integrity,
    durationSec: e.durationSec, frameCount: e.frameCount, fps: e.fps, width: e.width, height: e.height,
    sampledFrames: c.frames.get(e.id) ?? 0, faces: c.faces.get(e.id) ?? 0, score: c.scores.get(e.id) ?? null, reviewedFaces: c.reviewed.get(e.id) ?? 0,
    warnings: c.warnings.get(e.id) ?? [],
  };
}

export function evidenceRows(store: CaseStore): EvidenceRow[] {
  const c = evidenceRollups(store);
  return store.listEvidence().map((e) => toRow(e, c));
}

export function evidenceRow(store: CaseStore, evidenceId: number): EvidenceRow {
  const e = store.getEvidence(evidenceId);
  if (!e) throw new DeepscanError('invalid-argument', `no evidence ${evidenceId} in this case`);
  return toRow(e, evidenceRollups(store));
}
