import type { ComparisonSummary, FaceOverlays } from '../../../common/api.js';
import type { OpenedCase } from '../case/open-case.js';
import { compareWithReference } from '../pipeline/compare.js';
import { describeHeatmap } from '../masks/attention-info.js';
import { computeAttentionHeatmap } from '../pipeline/heatmap.js';
import type { CaseStore } from '../store/case-store.js';
import { faceRef as findFaceRef, type FaceRef } from '../store/evidence-repo.js';
import { latestFaceHeatmap, latestFrameMasks, type SuspectFrameMask } from '../store/masks.js';
import { comparisonEnergy } from '../store/comparison-energy.js';
import { iou } from '../faces/tracks.js';
import { DeepscanError } from '../util/errors.js';
import { dataUrl } from './common.js';

function faceRef(store: CaseStore, faceId: number): FaceRef {
  const r = findFaceRef(store, faceId);
  if (!r) throw new DeepscanError('invalid-argument', `no face ${faceId} in this case`);
  return r;
}

/**
 * The overlays stored for one face. A comparison's masks are numbered by the reference
 * frame's detections, so the mask is matched to this face by the overlap of the crop boxes.
 */
export function faceOverlays(store: CaseStore, faceId: number): FaceOverlays {
  const f = faceRef(store, faceId);
  let best: { mask: SuspectFrameMask; overlap: number } | null = null;
  for (const mask of latestFrameMasks(store, f.evidenceId, f.frameIndex)) {
    const overlap = iou(mask.crop, f.crop);
    if (overlap >= 0.5 && (!best || overlap > best.overlap)) best = { mask, overlap };
  }
  const heat = latestFaceHeatmap(store, f.evidenceId, f.frameIndex, f.faceNo, f.sha256);
  return {
    mask: best ? {
      dataUrl: dataUrl('image/png', best.mask.maskPng), energy: best.mask.energy, crop: best.mask.crop,
      referencePath: best.mask.referencePath, referenceFrameIndex: best.mask.referenceFrameIndex,
    } : null,
    heatmap: heat ? { dataUrl: dataUrl('image/png', heat.heatmapPng), ...describeHeatmap(heat.params, heat.values), baseScore: heat.baseScore, models: heat.models, createdAt: heat.createdAt } : null,
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
    tracks: comparisonEnergy(c.store, r.comparisonId)?.tracks ?? [],
  };
}
