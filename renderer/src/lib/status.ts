/**
 * Labels, glyphs and tones for statuses. Tones map to an Okabe–Ito palette (safe for the
 * common colour-vision deficiencies) and every badge also carries a glyph and a word, so
 * colour is never the only signal.
 */
import type { EvidenceRow, EvidenceStatus } from '../../../common/api.js';

export type Tone = 'good' | 'info' | 'neutral' | 'warn' | 'bad' | 'active';

export interface BadgeSpec {
  label: string;
  glyph: string;
  tone: Tone;
  description: string;
}

export const EVIDENCE_STATUS: Record<EvidenceStatus, BadgeSpec> = {
  pending: { label: 'Pending', glyph: '○', tone: 'neutral', description: 'Not analysed yet' },
  analyzed: { label: 'Analysed', glyph: '✓', tone: 'info', description: 'Analysis complete' },
  unreadable: { label: 'Unreadable', glyph: '✕', tone: 'bad', description: 'The file could not be decoded' },
  'not-media': { label: 'Not media', glyph: '–', tone: 'neutral', description: 'Not a video or image; hashed only' },
  'integrity-failed': {
    label: 'Integrity failed',
    glyph: '⚠',
    tone: 'bad',
    description: 'The file changed since it was first hashed',
  },
};

export const INTEGRITY: Record<EvidenceRow['integrity'], BadgeSpec> = {
  ok: { label: 'Verified', glyph: '✓', tone: 'good', description: 'SHA-256 matches the value recorded at intake' },
  changed: { label: 'Changed', glyph: '⚠', tone: 'bad', description: 'SHA-256 differs from the value recorded at intake' },
  missing: { label: 'Missing', glyph: '✕', tone: 'bad', description: 'The file is no longer in the evidence folder' },
  unverified: { label: 'Unverified', glyph: '?', tone: 'neutral', description: 'Not re-hashed yet' },
};

export const RUNNING: BadgeSpec = { label: 'Running', glyph: '◐', tone: 'active', description: 'Being analysed now' };
export const QUEUED: BadgeSpec = { label: 'Queued', glyph: '…', tone: 'neutral', description: 'Waiting in this analysis run' };

const STAGE_LABELS: Record<string, string> = {
  hash: 'Hashing',
  hashing: 'Hashing',
  verify: 'Verifying',
  probe: 'Probing',
  probing: 'Probing',
  decode: 'Decoding',
  sample: 'Sampling frames',
  sampling: 'Sampling frames',
  frames: 'Sampling frames',
  faces: 'Detecting faces',
  'faces+scores': 'Detecting and scoring faces',
  detect: 'Detecting faces',
  classify: 'Scoring',
  score: 'Scoring',
  scoring: 'Scoring',
  store: 'Saving',
  save: 'Saving',
};

export function stageLabel(stage: string | null | undefined): string {
  if (!stage) return '';
  const known = STAGE_LABELS[stage.toLowerCase()];
  if (known) return known;
  const words = stage.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
