/**
 * Which frames the reference reads: `np.linspace(0, frame_count - 1, n, dtype=int)`, i.e.
 * floor(linspace). numpy computes each sample as `i * step` in float64 with
 * step = (count-1)/(n-1) and sets the last element to exactly `stop`; we do the same so the
 * truncation lands on the same integer in every case (e.g. 300 frames → 0, 9, 19, 28, …).
 */
import { DeepscanError } from '../util/errors.js';

export function sampleFrameIndices(frameCount: number, n = 32): number[] {
  if (!Number.isInteger(frameCount) || frameCount < 1) {
    throw new DeepscanError('invalid-argument', `Cannot sample frames from a video with ${frameCount} frames.`);
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new DeepscanError('invalid-argument', `The number of frames to sample must be a positive integer, not ${n}.`);
  }
  if (n === 1) return [0];
  const stop = frameCount - 1;
  const step = stop / (n - 1);
  const out: number[] = new Array<number>(n);
  // With frameCount 1, step is 0 and numpy divides instead of multiplying; the result is 0 either way.
  for (let i = 0; i < n - 1; i++) out[i] = Math.floor(i * step);
  out[n - 1] = stop;
  // Fewer frames than samples gives repeated indices; they are kept, as the reference keeps them.
  return out;
}
