/**
 * Pure helpers for the video view: per-frame series for the score plot, track colours and a
 * plain-words account of how each model's confident strategy formed the video score.
 */
import type { FaceInfo, FrameInfo, ModelOutcome, VideoDetail } from '../../../common/api.js';
// Probabilities read as everywhere else, so an explanation matches the tables and the PDF.
import { formatProbability } from '../../../common/format.js';
import { BAND_WORDS, verdictBand } from '../../../common/verdict.js';

/** Same constants as the engine's confident strategy (DFDC winner's kernel_utils.py). */
export const CONFIDENT_T = 0.8;
export const REAL_T = 0.2;
export const MIN_CONFIDENT = 11;

/** Okabe–Ito colours (colour-blind safe), in an order that keeps neighbours distinct. */
export const TRACK_COLOURS = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'];
/** Dash patterns, so series differ without colour too. */
export const SERIES_DASH = ['', '6 3', '2 3', '8 3 2 3', '1 2'];

export function trackColour(track: number | null): string {
  if (track === null || track < 0) return '#999999';
  return TRACK_COLOURS[track % TRACK_COLOURS.length];
}

/** Text colour readable on a track colour. */
export function trackText(track: number | null): string {
  const c = trackColour(track);
  return c === '#0072B2' || c === '#D55E00' ? '#ffffff' : '#000000';
}

export interface Series {
  id: string;
  label: string;
  /** One value per frame (max face probability), null where the frame has no scored face. */
  values: (number | null)[];
  ensemble: boolean;
}

function maxOf(faces: FaceInfo[], pick: (f: FaceInfo) => number | null | undefined): number | null {
  let m: number | null = null;
  for (const f of faces) {
    const v = pick(f);
    if (typeof v === 'number' && Number.isFinite(v) && (m === null || v > m)) m = v;
  }
  return m;
}

/** Max face probability per frame, per model and for the ensemble (ensemble first). */
export function frameSeries(detail: Pick<VideoDetail, 'frames' | 'models'>): Series[] {
  const frames = detail.frames;
  const out: Series[] = [
    { id: 'ensemble', label: 'Ensemble', ensemble: true, values: frames.map((fr) => maxOf(fr.faces, (f) => f.ensemble)) },
  ];
  for (const m of detail.models) {
    out.push({ id: m.id, label: m.name, ensemble: false, values: frames.map((fr) => maxOf(fr.faces, (f) => f.predictions[m.id])) });
  }
  return out;
}

export function modelProbs(frames: FrameInfo[], modelId: string): number[] {
  const out: number[] = [];
  for (const fr of frames) for (const f of fr.faces) {
    const p = f.predictions[modelId];
    if (typeof p === 'number' && Number.isFinite(p)) out.push(p);
  }
  return out;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** How one model's value was formed, in plain words, from the face probabilities. */
export function explainModel(m: ModelOutcome, probs: number[]): string {
  const n = probs.length;
  if (n === 0 || m.value === null || m.branch === null) return `${m.name}: no face was scored, so this model gives no value.`;
  const fakes = probs.filter((p) => p > CONFIDENT_T);
  const reals = probs.filter((p) => p < REAL_T);
  const need = Math.floor(n / 2.5);
  const above = `${fakes.length} of ${plural(n, 'face')} above ${CONFIDENT_T}`;
  switch (m.branch) {
    case 'confident-fake':
      return `${m.name}: ${above} (more than ${need}, i.e. ${n} ÷ 2.5, and more than ${MIN_CONFIDENT}) → confident-fake branch: mean of those ${plural(fakes.length, 'face')} = ${formatProbability(m.value)}.`;
    case 'confident-real':
      return `${m.name}: ${reals.length} of ${plural(n, 'face')} below ${REAL_T} (more than 90 %) → confident-real branch: mean of those ${plural(reals.length, 'face')} = ${formatProbability(m.value)}.`;
    default:
      return `${m.name}: ${above} (needs more than ${need} and more than ${MIN_CONFIDENT}) and ${reals.length} below ${REAL_T} (needs more than 90 %) → neither confident branch: mean of all ${plural(n, 'face')} = ${formatProbability(m.value)}.`;
  }
}

/** How the video score follows from the model values. */
export function explainScore(detail: Pick<VideoDetail, 'score' | 'scoreNote' | 'models'>): string {
  const scored = detail.models.filter((m) => m.value !== null);
  if (detail.score === null) return `Not scored: ${detail.scoreNote ?? 'no model value is available'}.`;
  const words = BAND_WORDS[verdictBand(detail.score)];
  if (scored.length === 1) return `Video score = ${scored[0].name}'s value = ${formatProbability(detail.score)}: ${words.toLowerCase()}.`;
  return `Video score = mean of the ${scored.length} model values (${scored.map((m) => formatProbability(m.value as number)).join(', ')}) = ${formatProbability(detail.score)}: ${words.toLowerCase()}.`;
}

/**
 * The seed-exact score beside the video score, and why they differ: the DFDC winner scores only
 * its first frames × 4 − 1 faces (127 at 32 frames), so its published accuracy is for that number.
 */
export function explainSeed(detail: Pick<VideoDetail, 'score' | 'seed'>): string | null {
  const s = detail.seed;
  if (!s) return null;
  if (s.score === null) return `Seed-exact score: not available (${s.note ?? 'nothing to score'}).`;
  const same = detail.score !== null && Math.abs(detail.score - s.score) < 1e-9;
  if (same && s.faces === s.totalFaces) return `Seed-exact score = ${formatProbability(s.score)}, the same: the winning solution would also have used all ${plural(s.faces, 'face')}.`;
  const why = s.faces < s.totalFaces
    ? `the winning solution scores only the first ${plural(s.faces, 'face')} in frame then detection order and drops the other ${s.totalFaces - s.faces}; the video score uses all ${s.totalFaces}`
    : 'the two use the same faces';
  return `Seed-exact score = ${formatProbability(s.score)} (what the DFDC winner itself outputs; its published accuracy applies to this number), video score = ${detail.score === null ? '—' : formatProbability(detail.score)}: ${why}.`;
}

export function branchLabel(b: ModelOutcome['branch']): string {
  return b === 'confident-fake' ? 'Confident-fake' : b === 'confident-real' ? 'Confident-real' : b === 'mean' ? 'Mean of all' : '—';
}

/** Mean helper exported for tests. */
export { mean };
