import type { CaseStore } from '../../store/case-store.js';
import { suspectComparisonEnergies, type ComparisonEnergy } from '../../store/comparison-energy.js';
import { faceCropPng } from '../../store/evidence-repo.js';
import { maskPngById } from '../../store/masks.js';

/**
 * A comparison with a known original as the report shows it (issue 13): energy per video and
 * per person, and the highest-energy faces with crop and mask. Those faces are chosen by
 * energy, not by classifier score, so a swapped person the classifiers missed is still shown.
 */

/** Faces shown per person, highest energy first. */
export const TOP_MASKS_PER_PERSON = 2;
/** At most this many faces per comparison in all. */
export const MAX_MASKS_PER_COMPARISON = 8;

export interface ReportComparisonFace {
  track: number | null;
  frameIndex: number;
  sampleNo: number | null;
  faceNo: number | null;
  energy: number;
  /** The suspect face's crop (read when drawn); null when the mask matches no face. */
  readonly cropPng: Buffer | null;
  /** The stored gray mask (0–255 = 1 − SSIM). */
  readonly maskPng: Buffer | null;
}

export interface ReportComparison {
  referencePath: string;
  referenceSha256: string;
  offset: number;
  frames: number;
  faces: number;
  energy: number | null;
  createdAt: string;
  tracks: { track: number; energy: number; maxEnergy: number; faces: number; frames: number }[];
  unmatchedFaces: number;
  top: ReportComparisonFace[];
}

/** Highest energy per person (TOP_MASKS_PER_PERSON each, people by energy), then capped. */
export function topFaces(c: ComparisonEnergy): ComparisonEnergy['matches'] {
  const out: ComparisonEnergy['matches'] = [];
  for (const t of c.tracks) {
    const mine = c.matches.filter((m) => m.track === t.track).sort((a, b) => b.energy - a.energy || a.frameIndex - b.frameIndex);
    out.push(...mine.slice(0, TOP_MASKS_PER_PERSON));
  }
  return out.slice(0, MAX_MASKS_PER_COMPARISON);
}

export function comparisonsData(store: CaseStore, evidenceId: number, sampleNoOf: (frameIndex: number) => number | null): ReportComparison[] {
  let list: ComparisonEnergy[];
  try {
    list = suspectComparisonEnergies(store, evidenceId);
  } catch {
    return []; // a database from before the masks migration
  }
  return list.map((c) => ({
    referencePath: c.referencePath, referenceSha256: c.referenceSha256, offset: c.offset, frames: c.frames, faces: c.faces, energy: c.energy,
    createdAt: c.createdAt, tracks: c.tracks, unmatchedFaces: c.unmatchedFaces,
    top: topFaces(c).map((m) => ({
      track: m.track, frameIndex: m.frameIndex, sampleNo: sampleNoOf(m.frameIndex), faceNo: m.faceNo, energy: m.energy,
      // Read when drawn, so a report never holds every image in memory at once.
      get cropPng() {
        return m.faceId === null ? null : faceCropPng(store, m.faceId);
      },
      get maskPng() {
        return maskPngById(store, m.maskId);
      },
    })),
  }));
}
