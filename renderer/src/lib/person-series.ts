/**
 * One timeline line per person (track): that person's face ensemble per sampled frame, a gap
 * where the person is not in the frame. The ensemble line shows only the top face of each
 * frame, which hides a second person who is also high; these lines keep each person visible.
 */
import type { VideoDetail } from '../../../common/api.js';
import { personLabel } from '../../../common/format.js';
import { trackColour } from './explain.js';

export interface PersonSeries {
  track: number;
  label: string;
  colour: string;
  values: (number | null)[];
}

export function personSeries(detail: Pick<VideoDetail, 'frames'>): PersonSeries[] {
  const tracks = new Set<number>();
  for (const fr of detail.frames) for (const f of fr.faces) if (f.track !== null) tracks.add(f.track);
  return [...tracks].sort((a, b) => a - b).map((track) => ({
    track,
    label: personLabel(track),
    colour: trackColour(track),
    values: detail.frames.map((fr) => {
      let best: number | null = null;
      for (const f of fr.faces) if (f.track === track && f.ensemble !== null && (best === null || f.ensemble > best)) best = f.ensemble;
      return best;
    }),
  }));
}
