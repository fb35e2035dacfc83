/**
 * Verdict bands as badges. Wording comes from common/verdict.ts (cautious: an indication, never
 * "fake"); each band has a glyph whose fill grows with the band, so the chip reads without colour.
 */
import { formatProbability } from '../../../common/format.js';
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
 * The one probability format of the UI, the PDF and the CLI (common/format.ts: three decimals,
 * '<0.001' / '>0.999', never rounded across a band limit). Kept under this name for the views
 * that still import it.
 */
export const prob = formatProbability;
