/**
 * One way to name a face and to write a probability, shared by the UI, the audit view, the PDF
 * and the CLI (issue 13), so the same face reads the same everywhere. Stored ids stay 0-based
 * (track, face number, sample number); what people read is 1-based, except the frame index,
 * which is the video's own (0-based, as ffmpeg and the JSON export count).
 *
 * Pure functions: no Node, no DOM.
 */
import { BAND_LIMITS } from './verdict.js';

export interface FaceRefParts {
  /** Stored track id (0-based); null when the face belongs to no track. */
  track: number | null;
  /** Stored sample number of the frame among the sampled frames (0-based); null when unknown. */
  sampleNo?: number | null;
  /** How many frames were sampled; null when unknown. */
  sampledFrames?: number | null;
  /** The video's frame index. */
  frameIndex: number;
  /** Stored face number within the frame (0-based, detection order). */
  faceNo: number;
}

/** 'Person 3' for stored track 2; 'No person' without a track. */
export function personLabel(track: number | null): string {
  return track === null ? 'No person' : `Person ${track + 1}`;
}

/** 'frame 4 of 32 (index 19)', or 'frame index 19' when the sample position is unknown. */
export function frameLabel(frameIndex: number, sampleNo?: number | null, sampledFrames?: number | null): string {
  if (sampleNo === null || sampleNo === undefined) return `frame index ${frameIndex}`;
  const of = sampledFrames ? ` of ${sampledFrames}` : '';
  return `frame ${sampleNo + 1}${of} (index ${frameIndex})`;
}

/** 'Person 3 · frame 4 of 32 (index 19) · face 2'. */
export function faceLabel(f: FaceRefParts): string {
  return `${personLabel(f.track)} · ${frameLabel(f.frameIndex, f.sampleNo, f.sampledFrames)} · face ${f.faceNo + 1}`;
}

/** Decimals of every probability shown. */
export const PROBABILITY_DECIMALS = 3;

/**
 * A probability with PROBABILITY_DECIMALS decimals, rounded half away from zero on the decimal
 * value (not on its binary approximation). A value that is not exactly 0 or 1 never reads as
 * 0.000 or 1.000 — a model is never that certain — but as '<0.001' or '>0.999'. null → '—'.
 * Rounding never carries a value up onto a verdict band limit: 0.7996 is in the moderate band,
 * so it reads 0.799, not 0.800 beside the word "moderate".
 */
export function formatProbability(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const scale = 10 ** PROBABILITY_DECIMALS;
  const smallest = 1 / scale;
  if (p > 0 && p < smallest / 2) return `<${smallest.toFixed(PROBABILITY_DECIMALS)}`;
  // >= : 0.9995 itself would round to 1.000.
  if (p < 1 && p >= 1 - smallest / 2) return `>${(1 - smallest).toFixed(PROBABILITY_DECIMALS)}`;
  // toPrecision(12) drops binary noise (0.1235 is stored as 0.12349999…) before rounding.
  const scaled = Number((p * scale).toPrecision(12));
  let rounded = Math.round(scaled) / scale;
  if (BAND_EDGES.some((limit) => p < limit && rounded >= limit)) rounded = Math.floor(scaled) / scale;
  return rounded.toFixed(PROBABILITY_DECIMALS);
}

/** The verdict band limits (0.5, 0.65, 0.8, 0.9) a shown probability must not be rounded across. */
const BAND_EDGES: readonly number[] = Object.values(BAND_LIMITS);

/** Difference energy (mean of the 1 − SSIM mask, 0–1), same precision as probabilities. */
export function formatEnergy(e: number | null | undefined): string {
  if (e === null || e === undefined || !Number.isFinite(e)) return '—';
  const scale = 10 ** PROBABILITY_DECIMALS;
  return (Math.round(Number((e * scale).toPrecision(12))) / scale).toFixed(PROBABILITY_DECIMALS);
}
