import type { Box, ComparisonSummary, FaceOverlays } from '../../../common/api.js';
import type { OpenedCase } from '../case/open-case.js';
import { compareWithReference } from '../masks/compare.js';
import { ATTENTION_LABEL, computeAttentionHeatmap } from '../masks/occlusion.js';
import type { CaseStore } from '../store/case-store.js';
import { iou } from '../faces/tracks.js';
import { DeepscanError } from '../util/errors.js';
import { dataUrl } from './common.js';

interface FaceRef {
  evidenceId: number;
  path: string;
  sha256: string;
  frameIndex: number;
  faceNo: number;
  crop: Box;
}

function faceRef(store: CaseStore, faceId: number): FaceRef {
  const r = store.prepare(
    `SELECT f.evidence_id, f.face_no, f.crop, fr.frame_index, e.rel_path, e.sha256 FROM faces f
     JOIN frames fr ON fr.id = f.frame_id JOIN evidence e ON e.id = f.evidence_id WHERE f.id = ?`,
  ).get(faceId) as Record<string, unknown> | undefined;
  if (!r) throw new DeepscanError('invalid-argument', `no face ${faceId} in this case`);
  return {
    evidenceId: r.evidence_id as number, path: r.rel_path as string, sha256: r.sha256 as string, frameIndex: r.frame_index as number,
    faceNo: r.face_no as number, crop: JSON.parse(r.crop as string) as Box,
  };
}

/**
 * The overlays stored for one face. A comparison's masks are numbered by the reference
 * frame's detections, so the mask is matched to this face by the overlap of the crop boxes.
 */
export function faceOverlays(store: CaseStore, faceId: number): FaceOverlays {
  const f = faceRef(store, faceId);
  const masks = store.prepare(
    `SELECT m.mask_png, m.energy, m.crop, m.reference_frame_index, e.rel_path AS reference_path FROM face_masks m
     JOIN comparisons c ON c.id = m.comparison_id JOIN evidence e ON e.id = c.reference_evidence_id
     WHERE c.suspect_evidence_id = ? AND m.frame_index = ? AND c.id = (SELECT max(id) FROM comparisons WHERE suspect_evidence_id = ?)`,
  ).all(f.evidenceId, f.frameIndex, f.evidenceId) as Record<string, unknown>[];
  let best: { row: Record<string, unknown>; overlap: number } | null = null;
  for (const row of masks) {
    const overlap = iou(JSON.parse(row.crop as string) as Box, f.crop);
    if (overlap >= 0.5 && (!best || overlap > best.overlap)) best = { row, overlap };
  }
  const heat = store.prepare(
    'SELECT heatmap_png, base_score, models_key, created_at FROM heatmaps WHERE evidence_id = ? AND frame_index = ? AND face_no = ? AND evidence_sha256 = ? ORDER BY id DESC LIMIT 1',
  ).get(f.evidenceId, f.frameIndex, f.faceNo, f.sha256) as Record<string, unknown> | undefined;
  const heatModels = heat ? (store.prepare("SELECT details FROM audit_log WHERE action = 'attention-heatmap-computed' ORDER BY seq DESC").all() as { details: string }[])
    .map((a) => JSON.parse(a.details) as { modelsKey?: string; models?: Record<string, string> | string[] })
    .map((d) => (d.modelsKey === heat.models_key && d.models ? (Array.isArray(d.models) ? d.models : Object.keys(d.models)) : null))
    .find((m) => m !== null) ?? [] : [];
  return {
    mask: best ? {
      dataUrl: dataUrl('image/png', best.row.mask_png as Buffer), energy: best.row.energy as number, crop: JSON.parse(best.row.crop as string) as Box,
      referencePath: best.row.reference_path as string, referenceFrameIndex: best.row.reference_frame_index as number,
    } : null,
    heatmap: heat ? { dataUrl: dataUrl('image/png', heat.heatmap_png as Buffer), label: ATTENTION_LABEL, baseScore: heat.base_score as number, models: heatModels, createdAt: heat.created_at as string } : null,
  };
}

/** Computes (or returns the cached) model-attention map of one face. */
export async function computeFaceHeatmap(c: OpenedCase, faceId: number): Promise<FaceOverlays['heatmap']> {
  const f = faceRef(c.store, faceId);
  await computeAttentionHeatmap(c, f.path, f.frameIndex, f.faceNo, {});
  return faceOverlays(c.store, faceId).heatmap;
}

/** Compares a suspect video with a known original of the same case (difference masks per face). */
export async function compareVideos(c: OpenedCase, suspectEvidenceId: number, referenceEvidenceId: number, offset: number): Promise<ComparisonSummary> {
  const suspect = c.store.getEvidence(suspectEvidenceId);
  const reference = c.store.getEvidence(referenceEvidenceId);
  if (!suspect || !reference) throw new DeepscanError('invalid-argument', 'both videos must be evidence of this case');
  if (suspect.id === reference.id) throw new DeepscanError('invalid-argument', 'a video cannot be compared with itself');
  const r = await compareWithReference(c, suspect.relPath, reference.relPath, { offset });
  return {
    comparisonId: r.comparisonId, suspectPath: r.suspect.path, referencePath: r.reference.path, offset: r.offset, frames: r.frames.length,
    faces: r.frames.reduce((n, fr) => n + fr.faces.length, 0), meanEnergy: r.meanEnergy,
  };
}
