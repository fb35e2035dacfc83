import { confidentStrategy, type StrategyBranch } from './strategy.js';

export interface ModelVerdict {
  value: number;
  branch: StrategyBranch;
  faces: number;
}

export interface Verdict {
  /** Ensemble: the plain mean of the per-model strategy values; null when there is nothing to score. */
  score: number | null;
  /** Why score is null, in words for the report. */
  note: string | null;
  models: Record<string, ModelVerdict>;
}

/**
 * The reference's per-video aggregation: for each model, confident_strategy over every face
 * probability of the video (pooled over frames), then the mean over models. Used for whole
 * videos and, the same way, for each person's track.
 */
export function aggregate(probsByModel: ReadonlyMap<string, readonly number[]>, faceCount: number, scope = 'video'): Verdict {
  if (probsByModel.size === 0) return { score: null, note: 'no classifier model was run (install one with "deepscan models import")', models: {} };
  if (faceCount === 0) return { score: null, note: `no face was detected in the sampled frames of this ${scope}`, models: {} };
  const models: Record<string, ModelVerdict> = {};
  let sum = 0;
  if ([...probsByModel.values()].some((p) => p.length === 0)) {
    return { score: null, note: `no face of this ${scope} could be scored (every face crop was empty)`, models: {} };
  }
  for (const [id, probs] of probsByModel) {
    const r = confidentStrategy(probs);
    models[id] = { value: r.value, branch: r.branch, faces: probs.length };
    sum += r.value;
  }
  return { score: sum / probsByModel.size, note: null, models };
}
