/**
 * The model-attention pipeline for one analysed face: the stored lossless crop (no video is
 * decoded) placed on the classifier canvas, then either the class activation map (default: one
 * forward pass per model, masks/cam.ts) or occlusion sensitivity (model-agnostic, costly:
 * masks/occlusion.ts), cached in the case's `heatmaps` table with its model list. The method is
 * part of the cached parameters, so both can be kept for one face.
 */
import { createHash } from 'node:crypto';
import type { OpenedCase } from '../case/open-case.js';
import { ClassifierEnsemble } from '../classify/ensemble.js';
import type { ExecutionProviderChoice } from '../classify/execution.js';
import { listModels, loadVerifiedOnnx } from '../classify/model-store.js';
import { CLASSIFIER_INPUT_SIZE, isotropicTargetSize, prepareFace } from '../classify/preprocess.js';
import { decodePng, encodePng } from '../image/png.js';
import { attentionScale, CAM_LABEL, type AttentionMethod, type AttentionScale } from '../masks/attention-info.js';
import { camMap, upsampleGrid, valuesToRgba, type ModelCam } from '../masks/cam.js';
import { ATTENTION_LABEL, checkParams, heatToRgba, occlusionMap, occlusionPositions, type OcclusionParams, type OcclusionResult } from '../masks/occlusion.js';
import { getHeatmap, saveHeatmap } from '../store/masks.js';
import { canonicalJson } from '../util/canonical-json.js';
import { DeepscanError } from '../util/errors.js';
import { HEATMAP_STAGE } from './stages.js';

export { describeHeatmap, type AttentionMethod } from '../masks/attention-info.js';

export interface AttentionHeatmap {
  label: typeof ATTENTION_LABEL | typeof CAM_LABEL;
  method: AttentionMethod;
  /** Why the requested method was not used (CAM on a model that has none → occlusion). */
  note: string | null;
  /** The value range the PNG's colour map spans (legend): CAM in logit units, occlusion as a probability drop. */
  scale: AttentionScale;
  /** CAM only: each model's cells (logit units) and logit. */
  perModel?: ModelCam[];
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  models: string[];
  modelsKey: string;
  params: OcclusionParams | { method: 'cam' };
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
  /** Default 'cam'; 'occlusion' is the model-agnostic option. */
  method?: AttentionMethod;
  ep?: ExecutionProviderChoice;
  params?: Partial<OcclusionParams>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Occlusion only: called with the number of inferences before the first one runs. */
  onEstimate?: (inferences: number) => void;
}

/** Where the resized crop lies on the classifier canvas (isotropic resize, then centring). */
export function cropRegion(cropWidth: number, cropHeight: number): { x: number; y: number; width: number; height: number } {
  const t = isotropicTargetSize(cropWidth, cropHeight);
  const w = Math.min(t.width, CLASSIFIER_INPUT_SIZE);
  const h = Math.min(t.height, CLASSIFIER_INPUT_SIZE);
  return { x: Math.floor((CLASSIFIER_INPUT_SIZE - w) / 2), y: Math.floor((CLASSIFIER_INPUT_SIZE - h) / 2), width: w, height: h };
}

/** Inferences an occlusion map will run: (positions + 1) per model. */
export function occlusionCost(params: Partial<OcclusionParams>, models: number): number {
  const p = checkParams(params);
  return (occlusionPositions(CLASSIFIER_INPUT_SIZE, p).count + 1) * models;
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
  const camPossible = (opts.method ?? 'cam') === 'cam';
  const crop = decodePng(face.cropPng);
  const canvas = prepareFace(crop);
  const region = cropRegion(crop.width, crop.height);
  const context = `${e.relPath} frame ${frameIndex} face ${faceNo}`;
  const base = { evidenceId: e.id, frameIndex, faceNo, models: ids, modelsKey };
  // The ids the audit view names the face with (common/format.ts faceLabel), as a review entry stores them.
  const faceIds = { track: face.track, sampleNo: face.sampleNo, sampledFrames: c.store.listFrames(e.id).length };
  const save = (params: unknown, label: string, r: { gridWidth: number; gridHeight: number; values: number[]; baseScore: number; png: Buffer }, details: Record<string, unknown>) => saveHeatmap(c.store, {
    evidenceId: e.id, frameIndex, faceNo, modelsKey, params: canonicalJson(params), evidenceSha256: e.sha256!, stageVersion: HEATMAP_STAGE.version,
    gridWidth: r.gridWidth, gridHeight: r.gridHeight, values: r.values, heatmapPng: r.png, baseScore: r.baseScore, models: Object.keys(shas).sort(),
  }, c.actor, { path: e.relPath, models: shas, ...faceIds, ...details, label });

  let note: string | null = null;
  if (camPossible) {
    const camParams = { method: 'cam' as const };
    const key = { evidenceId: e.id, frameIndex, faceNo, modelsKey, params: canonicalJson(camParams) };
    const cached = getHeatmap(c.store, key, e.sha256, HEATMAP_STAGE.version);
    if (cached) {
      return { ...base, label: CAM_LABEL, method: 'cam', note, params: camParams, gridWidth: cached.gridWidth, gridHeight: cached.gridHeight, values: cached.values,
        baseScore: cached.baseScore, png: cached.heatmapPng, scale: attentionScale('cam', cached.values), cached: true };
    }
    const models = await Promise.all(ids.map((id) => loadVerifiedOnnx(c.home, id)));
    const cam = await camMap(models, canvas, opts.ep ?? 'auto', context);
    if (!('unavailable' in cam)) {
      const scale = attentionScale('cam', cam.values);
      const png = Buffer.from(encodePng(valuesToRgba(upsampleGrid(cam.values, cam.gridWidth, cam.gridHeight, CLASSIFIER_INPUT_SIZE), CLASSIFIER_INPUT_SIZE, region, scale.min, scale.max)));
      const r = { gridWidth: cam.gridWidth, gridHeight: cam.gridHeight, values: cam.values, baseScore: cam.baseScore, png };
      save(camParams, CAM_LABEL, r, { logits: Object.fromEntries(cam.perModel.map((m) => [m.modelId, m.logit])) });
      return { ...base, label: CAM_LABEL, method: 'cam', note, params: camParams, ...r, scale, perModel: cam.perModel, cached: false };
    }
    note = `model ${cam.unavailable} has no class activation map (its graph was not built by Deepscan); occlusion sensitivity was used`;
  }

  const params = checkParams(opts.params ?? {});
  const key = { evidenceId: e.id, frameIndex, faceNo, modelsKey, params: canonicalJson(params) };
  const cached = getHeatmap(c.store, key, e.sha256, HEATMAP_STAGE.version);
  if (cached) {
    return { ...base, label: ATTENTION_LABEL, method: 'occlusion', note, params, gridWidth: cached.gridWidth, gridHeight: cached.gridHeight, values: cached.values,
      baseScore: cached.baseScore, png: cached.heatmapPng, scale: attentionScale('occlusion', cached.values), cached: true };
  }
  opts.onEstimate?.(occlusionCost(params, ids.length));
  const ensemble = await ClassifierEnsemble.load(c.home, ids, opts.ep ?? 'auto');
  let occ: OcclusionResult;
  try {
    occ = await occlusionMap(ensemble, canvas, params, { context, signal: opts.signal, onProgress: opts.onProgress });
  } finally {
    await ensemble.release();
  }
  const png = Buffer.from(encodePng(heatToRgba(occ.heat, occ.size, occ.size, region, occ.size)));
  const r = { gridWidth: occ.gridWidth, gridHeight: occ.gridHeight, values: occ.values, baseScore: occ.baseScore, png };
  save(params, ATTENTION_LABEL, r, { stride: occ.stride, ...(note ? { note } : {}) });
  return { ...base, label: ATTENTION_LABEL, method: 'occlusion', note, params, ...r, scale: attentionScale('occlusion', occ.values), cached: false };
}
