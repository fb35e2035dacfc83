/**
 * Findings about incomplete or damaged media. A truncated or partly corrupt file still gives
 * frames, and a score computed over them looks like any other; these warnings travel with the
 * result (database, JSON, UI, PDF) so that the analyst knows what the score rests on.
 * [] means nothing was noticed, not that the file is proven intact. Each message starts with
 * its code, so that a message quoted alone (PDF, tooltip) still says which finding it is.
 */
import type { DecodeDiagnostics } from './decode.js';

export type MediaWarningCode = 'truncated' | 'decode-errors' | 'timestamps-non-monotonic' | 'timestamps-duplicated' | 'frame-substituted';

export interface MediaWarning {
  code: MediaWarningCode;
  message: string;
}

/** The container (or an earlier count) promised `promised` frames; only `decodable` decode. */
export function truncatedWarning(promised: number, decodable: number): MediaWarning | null {
  if (!(promised > decodable)) return null;
  return { code: 'truncated', message: `truncated: ${decodable} of ${promised} frames decodable; sampled over those ${decodable}` };
}

/** ffmpeg's error lines while the sampled frames were decoded. */
export function decodeErrorsWarning(d: DecodeDiagnostics): MediaWarning | null {
  if (d.errorLines === 0) return null;
  const first = d.firstErrors.map((l) => `"${l}"`).join('; ');
  return { code: 'decode-errors', message: `decode-errors: ffmpeg reported ${d.errorLines} error${d.errorLines === 1 ? '' : 's'} while decoding; first: ${first}` };
}

/**
 * Timestamps of the sampled frames, in sample order (ascending frame numbers). Distinct frames
 * must have strictly increasing presentation times; equal times mean duplicated frames or a
 * rewritten timeline, decreasing ones a spliced or damaged stream.
 */
export function timestampWarnings(frames: readonly { index: number; ptsSec: number | null }[]): MediaWarning[] {
  const backwards: string[] = [];
  const duplicated: string[] = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1];
    const b = frames[i];
    if (a.index === b.index || a.ptsSec === null || b.ptsSec === null) continue; // a repeated sample of a short video
    if (b.ptsSec < a.ptsSec) backwards.push(`frame ${b.index} at ${b.ptsSec}s after frame ${a.index} at ${a.ptsSec}s`);
    else if (b.ptsSec === a.ptsSec) duplicated.push(`frames ${a.index} and ${b.index} at ${a.ptsSec}s`);
  }
  const out: MediaWarning[] = [];
  if (backwards.length) {
    out.push({ code: 'timestamps-non-monotonic', message: `timestamps-non-monotonic: timestamps go backwards at ${backwards.length} sampled frame${backwards.length === 1 ? '' : 's'}: ${listed(backwards)}` });
  }
  if (duplicated.length) {
    out.push({ code: 'timestamps-duplicated', message: `timestamps-duplicated: equal timestamps at ${duplicated.length} sampled frame pair${duplicated.length === 1 ? '' : 's'}: ${listed(duplicated)}` });
  }
  return out;
}

/**
 * The first sampling plan asked for frames past the last decodable one; the sample was drawn
 * again over the decodable frames, so those frames were replaced by others.
 */
export function substitutedWarning(planned: readonly number[], decodable: number): MediaWarning | null {
  const lost = [...new Set(planned)].filter((i) => i >= decodable);
  if (!lost.length) return null;
  return {
    code: 'frame-substituted',
    message: `frame-substituted: ${lost.length} planned frame${lost.length === 1 ? '' : 's'} (${listed(lost.map(String))}) could not be decoded; the sample was drawn again over the ${decodable} decodable frames`,
  };
}

function listed(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
