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
  version: 1,
  description: 'Sample N frames at floor(linspace(0, count-1, N)), decoded sequentially to RGB by ffmpeg, rotation applied; JPEG previews.',
};

export const PIPELINE_STAGES: readonly StageInfo[] = [FRAMES_STAGE];

export function stageVersions(stages: readonly StageInfo[] = PIPELINE_STAGES): Record<string, number> {
  return Object.fromEntries(stages.map((s) => [s.id, s.version]));
}

export interface AnalysisParams {
  /** Frames sampled per video (the reference system uses 32). */
  frames: number;
}

export const DEFAULT_PARAMS: AnalysisParams = { frames: 32 };

/** Identifies "the same analysis": same parameters and same stage versions. */
export function analysisKey(params: AnalysisParams, versions: Record<string, number>): string {
  return createHash('sha256').update(canonicalJson({ params, stages: versions })).digest('hex');
}
