/**
 * Difference energy of a comparison per face, per person and per video (issue 13).
 *
 * A comparison's masks are numbered by the *reference* frame's detections (pipeline/compare.ts
 * finds faces on the original), so a mask's faceNo says nothing about the suspect's faces. Each
 * mask is matched to the suspect face of the same frame index whose crop overlaps the mask's
 * crop best (IoU ≥ 0.5, one mask per face; the rule faceOverlays uses), and takes that face's
 * track (person).
 *
 * Derived here, deterministically, rather than stored: the masks are already stored, digested
 * and signed, while the suspect's faces and tracks belong to its current analysis, which a
 * re-analysis replaces. A stored per-person figure would go stale silently; this one always
 * answers for the analysis shown next to it. The comparison's audit entry records the
 * per-person energies as computed at the time (pipeline/compare.ts).
 */
import type { Box4, CaseStore } from './case-store.js';

/** Intersection over union of two [x0, y0, x1, y1) boxes (store/ may not import faces/, whose tracker has its own). */
function iou(a: Box4, b: Box4): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Smallest crop overlap for a mask to belong to a suspect face. */
export const MASK_FACE_MIN_IOU = 0.5;

export interface MaskMatch {
  maskId: number;
  frameIndex: number;
  /** Reference detection order (as stored). */
  maskFaceNo: number;
  energy: number;
  /** The suspect face it belongs to; null when none of the current analysis overlaps enough. */
  faceId: number | null;
  faceNo: number | null;
  track: number | null;
}

export interface TrackEnergy {
  track: number;
  energy: number;
  maxEnergy: number;
  faces: number;
  frames: number;
}

export interface ComparisonEnergy {
  comparisonId: number;
  suspectEvidenceId: number;
  referenceEvidenceId: number;
  referencePath: string;
  referenceSha256: string;
  suspectSha256: string;
  offset: number;
  frames: number;
  faces: number;
  energy: number | null;
  /** Highest mean energy first; ties by track id. */
  tracks: TrackEnergy[];
  unmatchedFaces: number;
  createdAt: string;
  matches: MaskMatch[];
}

interface SuspectFace { id: number; faceNo: number; track: number | null; crop: Box4; frameIndex: number }

function suspectFaces(store: CaseStore, evidenceId: number): Map<number, SuspectFace[]> {
  const rows = store.prepare(
    `SELECT f.id, f.face_no, f.track, f.crop, fr.frame_index FROM faces f JOIN frames fr ON fr.id = f.frame_id
      WHERE f.evidence_id = ? ORDER BY fr.frame_index, f.face_no`,
  ).all(evidenceId) as { id: number; face_no: number; track: number | null; crop: string; frame_index: number }[];
  const byFrame = new Map<number, SuspectFace[]>();
  for (const r of rows) {
    const list = byFrame.get(r.frame_index) ?? [];
    list.push({ id: r.id, faceNo: r.face_no, track: r.track, crop: JSON.parse(r.crop) as Box4, frameIndex: r.frame_index });
    byFrame.set(r.frame_index, list);
  }
  return byFrame;
}

/**
 * Matches one frame's masks to its suspect faces: all pairs by descending overlap, each mask
 * and each face used once (greedy, ties by mask then face order so the result is stable).
 */
function matchFrame(masks: { id: number; crop: Box4; faceNo: number }[], faces: SuspectFace[]): Map<number, SuspectFace> {
  const pairs: { m: number; f: number; o: number }[] = [];
  masks.forEach((mask, m) => faces.forEach((face, f) => {
    const o = iou(mask.crop, face.crop);
    if (o >= MASK_FACE_MIN_IOU) pairs.push({ m, f, o });
  }));
  pairs.sort((a, b) => b.o - a.o || a.m - b.m || a.f - b.f);
  const out = new Map<number, SuspectFace>();
  const usedFaces = new Set<number>();
  for (const p of pairs) {
    if (out.has(masks[p.m].id) || usedFaces.has(p.f)) continue;
    out.set(masks[p.m].id, faces[p.f]);
    usedFaces.add(p.f);
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Per-face, per-person and per-video energy of one stored comparison; null when there is none. */
export function comparisonEnergy(store: CaseStore, comparisonId: number): ComparisonEnergy | null {
  const c = store.prepare(
    `SELECT c.*, e.rel_path AS reference_path FROM comparisons c JOIN evidence e ON e.id = c.reference_evidence_id WHERE c.id = ?`,
  ).get(comparisonId) as Record<string, unknown> | undefined;
  if (!c) return null;
  const masks = store.prepare('SELECT id, frame_index, face_no, crop, energy FROM face_masks WHERE comparison_id = ? ORDER BY frame_index, face_no')
    .all(comparisonId) as { id: number; frame_index: number; face_no: number; crop: string; energy: number }[];
  const faces = suspectFaces(store, c.suspect_evidence_id as number);
  const byFrame = new Map<number, { id: number; crop: Box4; faceNo: number; energy: number }[]>();
  for (const m of masks) {
    const list = byFrame.get(m.frame_index) ?? [];
    list.push({ id: m.id, crop: JSON.parse(m.crop) as Box4, faceNo: m.face_no, energy: m.energy });
    byFrame.set(m.frame_index, list);
  }
  const matches: MaskMatch[] = [];
  for (const [frameIndex, list] of byFrame) {
    const matched = matchFrame(list, faces.get(frameIndex) ?? []);
    for (const m of list) {
      const f = matched.get(m.id) ?? null;
      matches.push({ maskId: m.id, frameIndex, maskFaceNo: m.faceNo, energy: m.energy, faceId: f?.id ?? null, faceNo: f?.faceNo ?? null, track: f?.track ?? null });
    }
  }
  const perTrack = new Map<number, MaskMatch[]>();
  for (const m of matches) {
    if (m.track === null) continue;
    const list = perTrack.get(m.track) ?? [];
    list.push(m);
    perTrack.set(m.track, list);
  }
  const tracks: TrackEnergy[] = [...perTrack.entries()].map(([track, list]) => ({
    track, energy: mean(list.map((m) => m.energy)), maxEnergy: Math.max(...list.map((m) => m.energy)), faces: list.length, frames: new Set(list.map((m) => m.frameIndex)).size,
  })).sort((a, b) => b.energy - a.energy || a.track - b.track);
  const params = JSON.parse(c.params as string) as { frameIndices?: number[] };
  return {
    comparisonId, suspectEvidenceId: c.suspect_evidence_id as number, referenceEvidenceId: c.reference_evidence_id as number,
    referencePath: c.reference_path as string, referenceSha256: c.reference_sha256 as string, suspectSha256: c.suspect_sha256 as string,
    offset: c.frame_offset as number, frames: params.frameIndices?.length ?? byFrame.size, faces: masks.length,
    energy: masks.length ? mean(masks.map((m) => m.energy)) : null, tracks, unmatchedFaces: matches.filter((m) => m.track === null).length,
    createdAt: c.created_at as string, matches,
  };
}

/** Every comparison in which this item is the suspect, newest first. */
export function suspectComparisonEnergies(store: CaseStore, suspectEvidenceId: number): ComparisonEnergy[] {
  const ids = store.prepare('SELECT id FROM comparisons WHERE suspect_evidence_id = ? ORDER BY id DESC').pluck().all(suspectEvidenceId) as number[];
  return ids.map((id) => comparisonEnergy(store, id)).filter((x): x is ComparisonEnergy => x !== null);
}

/** Suspect face id → energy in the item's latest comparison (the one the views show). */
export function latestFaceEnergies(store: CaseStore, suspectEvidenceId: number): Map<number, number> {
  const id = store.prepare('SELECT max(id) FROM comparisons WHERE suspect_evidence_id = ?').pluck().get(suspectEvidenceId) as number | null;
  const c = id ? comparisonEnergy(store, id) : null;
  return new Map((c?.matches ?? []).filter((m) => m.faceId !== null).map((m) => [m.faceId!, m.energy]));
}

/** Suspect face id → its mask (PNG, energy, original's path) in the item's latest comparison. */
export function latestComparisonMasks(store: CaseStore, suspectEvidenceId: number): Map<number, { png: Buffer; energy: number; referencePath: string | null }> {
  const id = store.prepare('SELECT max(id) FROM comparisons WHERE suspect_evidence_id = ?').pluck().get(suspectEvidenceId) as number | null;
  const c = id ? comparisonEnergy(store, id) : null;
  const png = store.prepare('SELECT mask_png FROM face_masks WHERE id = ?');
  const out = new Map<number, { png: Buffer; energy: number; referencePath: string | null }>();
  for (const m of c?.matches ?? []) {
    if (m.faceId === null) continue;
    const bytes = (png.get(m.maskId) as { mask_png: Buffer } | undefined)?.mask_png;
    if (bytes?.length) out.set(m.faceId, { png: bytes, energy: m.energy, referencePath: c!.referencePath });
  }
  return out;
}
