import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';

/**
 * Pipeline stages, each with a version (like Autopsy's ingest modules). A stage's version is
 * bumped whenever its output for the same input could change; the versions are stored with
 * every analysis, so a case knows what produced each result and re-runs only what changed.
 */
export interface StageInfo {
  id: string;
  version: number;
  description: string;
}

export const FRAMES_STAGE: StageInfo = {
  id: 'frames',
  // 2: media warnings (truncated, decode errors, timestamps) are recorded with each analysis.
  version: 2,
  description: 'Sample N frames at floor(linspace(0, count-1, N)), decoded sequentially to RGB by ffmpeg, rotation applied; JPEG previews.',
};

export const FACES_STAGE: StageInfo = {
  id: 'faces',
  version: 1,
  description: 'MTCNN (facenet-pytorch cascade) on the frame halved with Pillow bicubic, thresholds [0.7, 0.8, 0.8], min face 20, factor 0.709; boxes ×2 truncated; crop with w//3, h//3 margins; crops stored as PNG.',
};

export const TRACKS_STAGE: StageInfo = {
  id: 'tracks',
  version: 1,
  description: 'Faces linked across sampled frames into per-person tracks (IoU and centre distance, up to 2 missed frames).',
};

export const CLASSIFY_STAGE: StageInfo = {
  id: 'classify',
  version: 1,
  description: 'Isotropic resize to 380 (OpenCV INTER_AREA/INTER_CUBIC), centred on black 380×380, RGB/255, ImageNet mean/std; each model gives a logit and sigmoid probability per face.',
};

export const AGGREGATE_STAGE: StageInfo = {
  id: 'aggregate',
  // 2: seedScore beside the score: the reference's own cap (first frames × 4 − 1 faces, 127 at 32 frames).
  version: 2,
  description: 'Per model: confident_strategy over all face probabilities of the video (t = 0.8); ensemble = mean of the per-model values; the same per track. seedScore: the same over only the first frames × 4 − 1 faces in frame then detection order (127 at 32 frames), as the DFDC winner scores.',
};

export const PIPELINE_STAGES: readonly StageInfo[] = [FRAMES_STAGE, FACES_STAGE, TRACKS_STAGE, CLASSIFY_STAGE, AGGREGATE_STAGE];

/** Comparison with a known original (pipeline/compare.ts); its version is stored with each comparison. */
export const COMPARE_STAGE: StageInfo = {
  id: 'masks',
  version: 1,
  description: 'Faces on the reference frame (MTCNN [0.85, 0.95, 0.95], half resolution), the same 1/3-margin crop from both frames, the seed 1 − SSIM mask (scikit-image, 7×7 uniform, per channel; ×255 uint8; BGR→gray).',
};

/** Model attention (pipeline/heatmap.ts); its version is part of each cached heatmap's key. */
export const HEATMAP_STAGE: StageInfo = {
  id: 'attention',
  // v2: class activation map added as the default method; both drawn on the perceptual colour map.
  version: 2,
  description: 'Class activation map (default): Σ_c w_c·A_c + b of the last feature map per model, mean over models, bilinear onto the canvas, cut to the resized crop. Occlusion sensitivity (option): a flat patch slides over the 380×380 classifier canvas; drop of the ensemble fake probability per position; mean over covering patches per pixel; positive part normalised.',
};

/** Training-data export in the seed's layout (pipeline/dataset-export.ts). */
export const DATASET_EXPORT_STAGE: StageInfo = {
  id: 'dataset-export',
  version: 1,
  description: "The seed's preprocessing: MTCNN [0.85, 0.95, 0.95] boxes on every frame of the originals (half resolution), 1/3-margin crops of every 10th frame, landmarks with [0.65, 0.75, 0.75] on the crops, 1 − SSIM diffs, folds.csv.",
};

/**
 * Every feature pipeline and the stages it runs, with their versions: analyse and re-score
 * (re-scoring reruns classify and aggregate on stored crops), compare, heatmap, dataset export.
 */
export const STAGE_REGISTRY: Readonly<Record<'analyze' | 'rescore' | 'compare' | 'heatmap' | 'datasetExport', readonly StageInfo[]>> = {
  analyze: PIPELINE_STAGES,
  rescore: [CLASSIFY_STAGE, AGGREGATE_STAGE],
  compare: [COMPARE_STAGE],
  heatmap: [HEATMAP_STAGE],
  datasetExport: [DATASET_EXPORT_STAGE],
};

export function stageVersions(stages: readonly StageInfo[] = PIPELINE_STAGES): Record<string, number> {
  return Object.fromEntries(stages.map((s) => [s.id, s.version]));
}

export interface AnalysisParams {
  /** Frames sampled per video (the reference system uses 32). */
  frames: number;
  /** Classifier model ids (installed models); empty → faces only, no scores. */
  models: string[];
}

export const DEFAULT_FRAMES = 32;

export interface KeyInputs {
  frames: number;
  /** SHA-256 of each detector net (from the bundled MTCNN manifest). */
  detector: Record<string, string>;
  /** Model id → ONNX SHA-256, for the classifiers. */
  models: Record<string, string>;
}

export interface AnalysisKeys {
  /** Same sampling, same detector, same stage versions → same frames and faces. */
  facesKey: string;
  /** facesKey plus the same classifiers → same scores. */
  classifyKey: string;
}

export function analysisKeys(k: KeyInputs, versions: Record<string, number> = stageVersions()): AnalysisKeys {
  const facesKey = hash({ frames: k.frames, detector: k.detector, stages: { frames: versions.frames, faces: versions.faces, tracks: versions.tracks } });
  const classifyKey = hash({ facesKey, models: k.models, stages: { classify: versions.classify, aggregate: versions.aggregate } });
  return { facesKey, classifyKey };
}

function hash(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}
