/**
 * Verdict bands as badges. Wording comes from common/verdict.ts (cautious: an indication, never
 * "fake"); each band has a glyph whose fill grows with the band, so the chip reads without colour.
 */
import { BAND_WORDS, verdictBand, type VerdictBand } from '../../../common/verdict.js';
import type { BadgeSpec } from './status.js';

const BAND_STYLE: Record<VerdictBand, { glyph: string; tone: BadgeSpec['tone']; short: string }> = {
  'not-scored': { glyph: '–', tone: 'neutral', short: 'Not scored' },
  none: { glyph: '○', tone: 'neutral', short: 'No indication' },
  weak: { glyph: '◔', tone: 'info', short: 'Weak' },
  moderate: { glyph: '◑', tone: 'warn', short: 'Moderate' },
  strong: { glyph: '◕', tone: 'bad', short: 'Strong' },
  'very-strong': { glyph: '●', tone: 'bad', short: 'Very strong' },
};

export function bandSpec(score: number | null): BadgeSpec & { band: VerdictBand; short: string } {
  const band = verdictBand(score);
  const s = BAND_STYLE[band];
  return { band, glyph: s.glyph, tone: s.tone, short: s.short, label: BAND_WORDS[band], description: BAND_WORDS[band] };
}

/**
 * Probability with two decimals, rounded down (0.799 shows as 0.79, never 0.80), so a shown
 * value never sits on the other side of a band limit from its band; em dash when absent.
 */
export function prob(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return (Math.floor(p * 100 + 1e-9) / 100).toFixed(2);
}
