/**
 * Verdict language shared by the UI and reports: cautious bands, never "fake" or "real".
 * A model's output is an indication for the examiner, not a finding.
 */
export type VerdictBand = 'none' | 'weak' | 'moderate' | 'strong' | 'very-strong' | 'not-scored';

export const BAND_LIMITS = { weak: 0.5, moderate: 0.65, strong: 0.8, veryStrong: 0.9 } as const;

export function verdictBand(score: number | null): VerdictBand {
  if (score === null || !Number.isFinite(score)) return 'not-scored';
  if (score >= BAND_LIMITS.veryStrong) return 'very-strong';
  if (score >= BAND_LIMITS.strong) return 'strong';
  if (score >= BAND_LIMITS.moderate) return 'moderate';
  if (score >= BAND_LIMITS.weak) return 'weak';
  return 'none';
}

export const BAND_WORDS: Record<VerdictBand, string> = {
  none: 'No indication of manipulation',
  weak: 'Weak indication of manipulation',
  moderate: 'Moderate indication of manipulation',
  strong: 'Strong indication of manipulation',
  'very-strong': 'Very strong indication of manipulation',
  'not-scored': 'Not scored',
};

export const STANDING_NOTE =
  'Scores come from machine-learning classifiers and indicate, they do not prove. The absence of a detection does not prove that a video is authentic. ' +
  'Heatmaps show model attention, not the location of a manipulation.';
