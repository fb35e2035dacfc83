/**
 * Data access for comparisons with a known original (1 − SSIM face masks) and cached
 * "model attention" heatmaps (migration 4: `comparisons`, `face_masks`, `heatmaps`; migration 7
 * gives each heatmap its model list).
 * Every write is one transaction with its audit entry.
 */
import { appendAudit } from './audit.js';
import { comparisonDigest, heatmapDigest } from './result-digest.js';
import type { Box4, CaseStore } from './case-store.js';
import { comparisonEnergy } from './comparison-energy.js';

type Row = Record<string, unknown>;

export interface NewFaceMask {
  /** Suspect frame index. */
  frameIndex: number;
  referenceFrameIndex: number;
  /** Reference detection order in that frame. */
  faceNo: number;
  /** Crop rectangle [x0, y0, x1, y1) cut from both frames. */
  crop: Box4;
  /** Gray PNG of the mask. */
  maskPng: Buffer;
  /** Mean of mask / 255. */
  energy: number;
}

export interface NewComparison {
  suspectEvidenceId: number;
  referenceEvidenceId: number;
  suspectSha256: string;
  referenceSha256: string;
  frameOffset: number;
  params: unknown;
  stageVersion: number;
  masks: NewFaceMask[];
  /** Extra facts for the audit entry (paths, frames, energies). */
  auditDetails?: Record<string, unknown>;
}

export interface ComparisonRecord {
  id: number;
  suspectEvidenceId: number;
  referenceEvidenceId: number;
  suspectSha256: string;
  referenceSha256: string;
  frameOffset: number;
  params: unknown;
  stageVersion: number;
  createdAt: string;
}

export interface FaceMaskRecord extends Omit<NewFaceMask, 'maskPng'> {
  id: number;
  comparisonId: number;
}

/**
 * Writes one comparison and all its masks in one transaction; an earlier comparison of the
 * same pair and offset is replaced (its masks go with it).
 */
export function saveComparison(store: CaseStore, c: NewComparison, actor: string): number {
  return store.write(() => {
    const old = store.prepare('SELECT id FROM comparisons WHERE suspect_evidence_id = ? AND reference_evidence_id = ? AND frame_offset = ?')
      .get(c.suspectEvidenceId, c.referenceEvidenceId, c.frameOffset) as { id: number } | undefined;
    if (old) {
      store.prepare('DELETE FROM face_masks WHERE comparison_id = ?').run(old.id);
      store.prepare('DELETE FROM comparisons WHERE id = ?').run(old.id);
    }
    const id = Number(store.prepare(
      'INSERT INTO comparisons (suspect_evidence_id, reference_evidence_id, suspect_sha256, reference_sha256, frame_offset, params, stage_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(c.suspectEvidenceId, c.referenceEvidenceId, c.suspectSha256, c.referenceSha256, c.frameOffset, JSON.stringify(c.params), c.stageVersion, new Date().toISOString()).lastInsertRowid);
    const ins = store.prepare('INSERT INTO face_masks (comparison_id, frame_index, reference_frame_index, face_no, crop, mask_png, energy) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const m of c.masks) ins.run(id, m.frameIndex, m.referenceFrameIndex, m.faceNo, JSON.stringify(m.crop), m.maskPng, m.energy);
    appendAudit(store.db, actor, 'comparison-computed', {
      comparison: id, replaced: old?.id ?? null,
      suspect: { evidenceId: c.suspectEvidenceId, sha256: c.suspectSha256 },
      reference: { evidenceId: c.referenceEvidenceId, sha256: c.referenceSha256 },
      frameOffset: c.frameOffset, stageVersion: c.stageVersion, masks: c.masks.length, ...(c.auditDetails ?? {}),
      // Per person as the suspect's analysis stood when compared (the views re-derive it, see comparison-energy.ts).
      tracks: (comparisonEnergy(store, id)?.tracks ?? []).map((t) => ({ track: t.track, energy: t.energy, faces: t.faces })),
      results: comparisonDigest(store.db, id),
    });
    return id;
  });
}

function toComparison(r: Row): ComparisonRecord {
  return {
    id: r.id as number, suspectEvidenceId: r.suspect_evidence_id as number, referenceEvidenceId: r.reference_evidence_id as number,
    suspectSha256: r.suspect_sha256 as string, referenceSha256: r.reference_sha256 as string, frameOffset: r.frame_offset as number,
    params: JSON.parse(r.params as string) as unknown, stageVersion: r.stage_version as number, createdAt: r.created_at as string,
  };
}

/** Comparisons in which this evidence is the suspect, newest first. */
export function listComparisons(store: CaseStore, suspectEvidenceId: number): ComparisonRecord[] {
  return (store.prepare('SELECT * FROM comparisons WHERE suspect_evidence_id = ? ORDER BY id DESC').all(suspectEvidenceId) as Row[]).map(toComparison);
}

export function getComparison(store: CaseStore, id: number): ComparisonRecord | null {
  const r = store.prepare('SELECT * FROM comparisons WHERE id = ?').get(id) as Row | undefined;
  return r ? toComparison(r) : null;
}

/** The masks of one comparison (metadata only, no PNG), in frame then face order. */
export function listFaceMasks(store: CaseStore, comparisonId: number): FaceMaskRecord[] {
  return (store.prepare('SELECT id, comparison_id, frame_index, reference_frame_index, face_no, crop, energy FROM face_masks WHERE comparison_id = ? ORDER BY frame_index, face_no').all(comparisonId) as Row[]).map((r) => ({
    id: r.id as number, comparisonId: r.comparison_id as number, frameIndex: r.frame_index as number, referenceFrameIndex: r.reference_frame_index as number,
    faceNo: r.face_no as number, crop: JSON.parse(r.crop as string) as Box4, energy: r.energy as number,
  }));
}

/** Mean energy of each frame's faces: frame index → energy (frames with no mask are absent). */
export function frameEnergies(store: CaseStore, comparisonId: number): Map<number, number> {
  const rows = store.prepare('SELECT frame_index, AVG(energy) AS e FROM face_masks WHERE comparison_id = ? GROUP BY frame_index ORDER BY frame_index').all(comparisonId) as Row[];
  return new Map(rows.map((r) => [r.frame_index as number, r.e as number]));
}

export interface FaceMaskImage {
  /** Gray PNG bytes (same size as the face crop). */
  png: Buffer;
  /** Mean of mask / 255. */
  energy: number;
  comparisonId: number;
  referenceEvidenceId: number;
  referenceFrameIndex: number;
  crop: Box4;
}

/**
 * The difference mask of one face of a suspect video, from its most recent comparison with a
 * known original; null when none was computed. `faceNo` is the face's order among the
 * reference frame's detections.
 */
export function getFaceMask(store: CaseStore, evidenceId: number, frameIndex: number, faceNo: number): FaceMaskImage | null {
  const r = store.prepare(
    `SELECT m.mask_png, m.energy, m.comparison_id, m.reference_frame_index, m.crop, c.reference_evidence_id
     FROM face_masks m JOIN comparisons c ON c.id = m.comparison_id
     WHERE c.suspect_evidence_id = ? AND m.frame_index = ? AND m.face_no = ? ORDER BY c.id DESC LIMIT 1`,
  ).get(evidenceId, frameIndex, faceNo) as Row | undefined;
  return r ? {
    png: r.mask_png as Buffer, energy: r.energy as number, comparisonId: r.comparison_id as number, referenceEvidenceId: r.reference_evidence_id as number,
    referenceFrameIndex: r.reference_frame_index as number, crop: JSON.parse(r.crop as string) as Box4,
  } : null;
}

/** A difference mask of the latest comparison, with the original it was computed against. */
export interface SuspectFrameMask {
  maskPng: Buffer;
  energy: number;
  crop: Box4;
  referenceFrameIndex: number;
  referencePath: string;
}

/** The masks of one suspect frame from the item's most recent comparison (numbered by the reference frame's detections). */
export function latestFrameMasks(store: CaseStore, suspectEvidenceId: number, frameIndex: number): SuspectFrameMask[] {
  const rows = store.prepare(
    `SELECT m.mask_png, m.energy, m.crop, m.reference_frame_index, e.rel_path AS reference_path FROM face_masks m
     JOIN comparisons c ON c.id = m.comparison_id JOIN evidence e ON e.id = c.reference_evidence_id
     WHERE c.suspect_evidence_id = ? AND m.frame_index = ? AND c.id = (SELECT max(id) FROM comparisons WHERE suspect_evidence_id = ?)`,
  ).all(suspectEvidenceId, frameIndex, suspectEvidenceId) as { mask_png: Buffer; energy: number; crop: string; reference_frame_index: number; reference_path: string }[];
  return rows.map((r) => ({ maskPng: r.mask_png, energy: r.energy, crop: JSON.parse(r.crop) as Box4, referenceFrameIndex: r.reference_frame_index, referencePath: r.reference_path }));
}

/** Every mask of a suspect video, newest comparison first, then in stored order (the report keeps the first per face). */
export function suspectMasks(store: CaseStore, suspectEvidenceId: number): { frameIndex: number; faceNo: number; maskPng: Buffer; energy: number; referencePath: string | null }[] {
  const rows = store.prepare(
    `SELECT m.frame_index, m.face_no, m.mask_png, m.energy, e.rel_path AS ref_path
       FROM face_masks m JOIN comparisons c ON c.id = m.comparison_id LEFT JOIN evidence e ON e.id = c.reference_evidence_id
      WHERE c.suspect_evidence_id = ? ORDER BY c.id DESC, m.id`,
  ).all(suspectEvidenceId) as { frame_index: number; face_no: number; mask_png: Buffer; energy: number; ref_path: string | null }[];
  return rows.map((r) => ({ frameIndex: r.frame_index, faceNo: r.face_no, maskPng: r.mask_png, energy: r.energy, referencePath: r.ref_path }));
}

// ---- heatmaps ("model attention") ----

export interface HeatmapKey {
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  modelsKey: string;
  /** Canonical JSON of the occlusion parameters. */
  params: string;
}

export interface HeatmapRecord extends HeatmapKey {
  id: number;
  evidenceSha256: string;
  stageVersion: number;
  gridWidth: number;
  gridHeight: number;
  /** Drop of the ensemble fake probability per grid cell, row-major. */
  values: number[];
  heatmapPng: Buffer;
  baseScore: number;
  /** The model ids it was computed with, sorted; [] when none was recorded (see migration 7). */
  models: string[];
  createdAt: string;
}

function toHeatmap(r: Row): HeatmapRecord {
  return {
    id: r.id as number, evidenceId: r.evidence_id as number, frameIndex: r.frame_index as number, faceNo: r.face_no as number,
    modelsKey: r.models_key as string, params: r.params as string, evidenceSha256: r.evidence_sha256 as string, stageVersion: r.stage_version as number,
    gridWidth: r.grid_width as number, gridHeight: r.grid_height as number, values: JSON.parse(r.values_json as string) as number[],
    heatmapPng: r.heatmap_png as Buffer, baseScore: r.base_score as number, models: r.models ? (JSON.parse(r.models as string) as string[]) : [],
    createdAt: r.created_at as string,
  };
}

export function getHeatmap(store: CaseStore, k: HeatmapKey, evidenceSha256: string, stageVersion: number): HeatmapRecord | null {
  const r = store.prepare(
    'SELECT * FROM heatmaps WHERE evidence_id = ? AND frame_index = ? AND face_no = ? AND models_key = ? AND params = ? AND evidence_sha256 = ? AND stage_version = ?',
  ).get(k.evidenceId, k.frameIndex, k.faceNo, k.modelsKey, k.params, evidenceSha256, stageVersion) as Row | undefined;
  return r ? toHeatmap(r) : null;
}

/** The newest heatmap of one face computed on the item's registered bytes, whatever the models and parameters. */
export function latestFaceHeatmap(store: CaseStore, evidenceId: number, frameIndex: number, faceNo: number, evidenceSha256: string): HeatmapRecord | null {
  const r = store.prepare(
    'SELECT * FROM heatmaps WHERE evidence_id = ? AND frame_index = ? AND face_no = ? AND evidence_sha256 = ? ORDER BY id DESC LIMIT 1',
  ).get(evidenceId, frameIndex, faceNo, evidenceSha256) as Row | undefined;
  return r ? toHeatmap(r) : null;
}

export function saveHeatmap(store: CaseStore, h: Omit<HeatmapRecord, 'id' | 'createdAt' | 'models'> & { models?: string[] }, actor: string, auditDetails: Record<string, unknown> = {}): number {
  return store.write(() => {
    store.prepare('DELETE FROM heatmaps WHERE evidence_id = ? AND frame_index = ? AND face_no = ? AND models_key = ? AND params = ?')
      .run(h.evidenceId, h.frameIndex, h.faceNo, h.modelsKey, h.params);
    const id = Number(store.prepare(
      `INSERT INTO heatmaps (evidence_id, evidence_sha256, frame_index, face_no, models_key, params, stage_version, grid_width, grid_height, values_json, heatmap_png, base_score, models, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(h.evidenceId, h.evidenceSha256, h.frameIndex, h.faceNo, h.modelsKey, h.params, h.stageVersion, h.gridWidth, h.gridHeight, JSON.stringify(h.values), h.heatmapPng, h.baseScore,
      JSON.stringify(h.models ?? []), new Date().toISOString()).lastInsertRowid);
    appendAudit(store.db, actor, 'attention-heatmap-computed', {
      heatmap: id, evidenceId: h.evidenceId, sha256: h.evidenceSha256, frameIndex: h.frameIndex, face: h.faceNo, modelsKey: h.modelsKey,
      params: JSON.parse(h.params) as unknown, stageVersion: h.stageVersion, baseScore: h.baseScore, label: 'model attention (occlusion sensitivity)', ...auditDetails,
      results: heatmapDigest(store.db, id),
    });
    return id;
  });
}

/** The stored PNG of one mask (by face_masks id); null when there is none. */
export function maskPngById(store: CaseStore, maskId: number): Buffer | null {
  const r = store.prepare('SELECT mask_png FROM face_masks WHERE id = ?').get(maskId) as { mask_png: Buffer } | undefined;
  return r?.mask_png ?? null;
}
