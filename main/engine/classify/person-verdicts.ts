import { aggregate } from './aggregate.js';

/** A stored face as the per-person verdict needs it: its id (for its scores), track and frame. */
export interface TrackedFace {
  id: number;
  track: number | null;
  frameIndex: number;
}

export interface PersonVerdict {
  /** Track id. */
  id: number;
  score: number | null;
  faces: number;
  /** Frame indices the person appears in, in first-seen order. */
  frames: number[];
}

/**
 * Per-person (per-track) verdicts, by the same aggregation as the video's over each track's
 * faces; faces without a track are left out. Kept beside aggregate.ts so that the video and
 * person verdicts cannot drift apart.
 */
export function trackVerdicts(faces: readonly TrackedFace[], scores: ReadonlyMap<number, Record<string, { prob: number }>>, modelIds: readonly string[]): PersonVerdict[] {
  const byTrack = new Map<number, TrackedFace[]>();
  for (const f of faces) {
    if (f.track === null) continue;
    const list = byTrack.get(f.track) ?? [];
    list.push(f);
    byTrack.set(f.track, list);
  }
  return [...byTrack.entries()].sort((a, b) => a[0] - b[0]).map(([id, list]) => {
    const probs = new Map<string, number[]>(modelIds.map((m) => [m, []]));
    for (const f of list) for (const [m, v] of Object.entries(scores.get(f.id) ?? {})) probs.get(m)?.push(v.prob);
    const v = aggregate(probs, list.length, 'person');
    return { id, score: v.score, faces: list.length, frames: [...new Set(list.map((f) => f.frameIndex))] };
  });
}
