import { confidentStrategy, type StrategyBranch } from './strategy.js';

/**
 * The winning solution's own number for a video (issue 12), kept beside the all-faces score so
 * that its published accuracy can be cited for exactly what it measured. Its
 * `predict_on_video(batch_size=frames_per_video)` allocates `frames × 4` slots and appends a
 * face while `n + 1 < batch_size`, walking frames in order and faces in detection order: with
 * 32 frames at most 127 faces are scored and the rest are dropped silently. Then, per model,
 * confident_strategy over those faces, and the plain mean over models.
 *
 * Not copied: the original's 0.5 on an error, on no face or on a single face (a crash there).
 * No faces or no models give null with a note; faces whose crop was empty (no score) are not
 * counted, since the original could not have scored them either.
 */

/** The reference samples 32 frames; used when an analysis's parameters do not say. */
const REFERENCE_FRAMES = 32;

/** The frame count an analysis sampled, from its stored parameters. */
export function seedFramesOf(params: unknown): number {
  const f = (params as { frames?: unknown } | null)?.frames;
  return typeof f === 'number' && Number.isSafeInteger(f) && f > 0 ? f : REFERENCE_FRAMES;
}

/** How many of `faceCount` faces the reference scores when it samples `frames` frames. */
export function seedFaceCount(faceCount: number, frames: number): number {
  const batchSize = frames * 4;
  let n = 0;
  // The reference's loop, literally: a face is kept only while n + 1 < batch_size.
  for (let i = 0; i < faceCount; i++) if (n + 1 < batchSize) n++;
  return n;
}

export interface SeedFace {
  id: number;
  sampleNo: number;
  faceNo: number;
}

export interface SeedVerdict {
  seedScore: number | null;
  /** Faces the reference would have used (after the cap). */
  seedFaces: number;
  /** Why seedScore is null, or null. */
  seedNote: string | null;
  models: Record<string, { value: number; branch: StrategyBranch }>;
}

export function seedVerdict(
  faces: readonly SeedFace[],
  scores: ReadonlyMap<number, Record<string, { prob: number }>>,
  modelIds: readonly string[],
  frames: number,
): SeedVerdict {
  if (!modelIds.length) return { seedScore: null, seedFaces: 0, seedNote: 'no classifier model was run', models: {} };
  // Frame order, then detection order: the order the reference fills its batch in.
  const ordered = [...faces].sort((a, b) => a.sampleNo - b.sampleNo || a.faceNo - b.faceNo)
    .filter((f) => modelIds.every((m) => scores.get(f.id)?.[m] !== undefined));
  const used = ordered.slice(0, seedFaceCount(ordered.length, frames));
  if (!used.length) return { seedScore: null, seedFaces: 0, seedNote: 'no face was scored in the sampled frames', models: {} };
  const models: SeedVerdict['models'] = {};
  let sum = 0;
  for (const m of modelIds) {
    const r = confidentStrategy(used.map((f) => scores.get(f.id)![m].prob));
    models[m] = r;
    sum += r.value;
  }
  return { seedScore: sum / modelIds.length, seedFaces: used.length, seedNote: null, models };
}
