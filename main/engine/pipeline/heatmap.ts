/**
 * The model-attention pipeline for one analysed face: the stored lossless crop (no video is
 * decoded) placed on the classifier canvas, occluded patch by patch (masks/occlusion.ts), scored
 * by the ensemble and cached in the case's `heatmaps` table with its model list.
 */
import { createHash } from 'node:crypto';
import type { OpenedCase } from '../case/open-case.js';
import { ClassifierEnsemble } from '../classify/ensemble.js';
import type { ExecutionProviderChoice } from '../classify/execution.js';
import { listModels } from '../classify/model-store.js';
import { CLASSIFIER_INPUT_SIZE, isotropicTargetSize, prepareFace } from '../classify/preprocess.js';
import { decodePng, encodePng } from '../image/png.js';
import { ATTENTION_LABEL, checkParams, heatToRgba, occlusionMap, type OcclusionParams, type OcclusionResult } from '../masks/occlusion.js';
import { getHeatmap, saveHeatmap } from '../store/masks.js';
import { canonicalJson } from '../util/canonical-json.js';
import { DeepscanError } from '../util/errors.js';
import { HEATMAP_STAGE } from './stages.js';

export interface AttentionHeatmap {
  label: typeof ATTENTION_LABEL;
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  models: string[];
  modelsKey: string;
  params: OcclusionParams;
  gridWidth: number;
  gridHeight: number;
  values: number[];
  baseScore: number;
  /**
   * RGBA PNG covering the face crop as placed on the classifier canvas (the resized crop,
   * without the black border): stretch it over the stored face crop to overlay it.
   */
  png: Buffer;
  cached: boolean;
}

export interface AttentionOptions {
  models?: string[];
  ep?: ExecutionProviderChoice;
  params?: Partial<OcclusionParams>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Model attention for one analysed face (the stored lossless crop), cached in the case's
 * `heatmaps` table per evidence hash, frame, face, models (ONNX hashes) and parameters.
 */
export async function computeAttentionHeatmap(c: OpenedCase, evidencePath: string, frameIndex: number, faceNo: number, opts: AttentionOptions = {}): Promise<AttentionHeatmap> {
  const norm = evidencePath.split(/[\\/]+/).filter((x) => x && x !== '.').join('/');
  const e = c.store.getEvidenceByPath(norm);
  if (!e || !e.sha256) throw new DeepscanError('invalid-argument', `${evidencePath}: not registered evidence of this case`, { file: evidencePath });
  const analysis = c.store.getAnalysis(e.id);
  if (!analysis || analysis.status !== 'analyzed' || analysis.evidenceSha256 !== e.sha256) {
    throw new DeepscanError('invalid-argument', `${e.relPath}: no current analysis; run "deepscan analyze" first`, { file: e.relPath });
  }
  const face = c.store.listFaces(e.id).find((f) => f.frameIndex === frameIndex && f.faceNo === faceNo);
  if (!face) {
    const frames = [...new Set(c.store.listFaces(e.id).map((f) => f.frameIndex))].join(', ');
    throw new DeepscanError('invalid-argument', `${e.relPath}: no face ${faceNo} at frame ${frameIndex} (frames with faces: ${frames || 'none'})`, { file: e.relPath });
  }
  if (!face.cropWidth || !face.cropHeight) throw new DeepscanError('invalid-argument', `${e.relPath}: face ${faceNo} at frame ${frameIndex} has an empty crop`);
  const installed = await listModels(c.home);
  const used = c.store.modelResults(analysis.id).map((m) => m.modelId).filter((id) => installed.some((m) => m.id === id));
  const ids = opts.models?.length ? opts.models : used.length ? used : installed.map((m) => m.id);
  if (!ids.length) throw new DeepscanError('model-invalid', 'no classifier model is installed; see "deepscan models import"');
  for (const id of ids) if (!installed.some((m) => m.id === id)) throw new DeepscanError('model-invalid', `model ${id} is not installed; see "deepscan models list"`);
  const shas = Object.fromEntries(ids.map((id) => [id, installed.find((m) => m.id === id)!.onnxSha256]));
  const modelsKey = createHash('sha256').update(canonicalJson(shas)).digest('hex');
  const params = checkParams(opts.params ?? {});
  const paramsJson = canonicalJson(params);
  const key = { evidenceId: e.id, frameIndex, faceNo, modelsKey, params: paramsJson };
  const cached = getHeatmap(c.store, key, e.sha256, HEATMAP_STAGE.version);
  const result = (r: { gridWidth: number; gridHeight: number; values: number[]; baseScore: number; png: Buffer }, wasCached: boolean): AttentionHeatmap => ({
    label: ATTENTION_LABEL, evidenceId: e.id, frameIndex, faceNo, models: ids, modelsKey, params, ...r, cached: wasCached,
  });
  if (cached) return result({ gridWidth: cached.gridWidth, gridHeight: cached.gridHeight, values: cached.values, baseScore: cached.baseScore, png: cached.heatmapPng }, true);

  const crop = decodePng(face.cropPng);
  const canvas = prepareFace(crop);
  const ensemble = await ClassifierEnsemble.load(c.home, ids, opts.ep ?? 'auto');
  let occ: OcclusionResult;
  try {
    occ = await occlusionMap(ensemble, canvas, params, { context: `${e.relPath} frame ${frameIndex} face ${faceNo}`, signal: opts.signal, onProgress: opts.onProgress });
  } finally {
    await ensemble.release();
  }
  const t = isotropicTargetSize(crop.width, crop.height);
  const w = Math.min(t.width, CLASSIFIER_INPUT_SIZE);
  const h = Math.min(t.height, CLASSIFIER_INPUT_SIZE);
  const region = { x: Math.floor((CLASSIFIER_INPUT_SIZE - w) / 2), y: Math.floor((CLASSIFIER_INPUT_SIZE - h) / 2), width: w, height: h };
  const png = Buffer.from(encodePng(heatToRgba(occ.heat, occ.size, occ.size, region, occ.size)));
  const h0 = { gridWidth: occ.gridWidth, gridHeight: occ.gridHeight, values: occ.values, baseScore: occ.baseScore, png };
  saveHeatmap(c.store, {
    ...key, evidenceSha256: e.sha256, stageVersion: HEATMAP_STAGE.version, gridWidth: occ.gridWidth, gridHeight: occ.gridHeight,
    values: occ.values, heatmapPng: png, baseScore: occ.baseScore, models: Object.keys(shas).sort(),
  }, c.actor, { path: e.relPath, models: shas, stride: occ.stride });
  return result(h0, false);
}

