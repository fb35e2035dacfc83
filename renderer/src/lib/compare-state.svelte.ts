/**
 * Comparing a suspect video with a known original of the same case (difference masks per face).
 * The comparison takes tens of seconds; its summary is kept per suspect video.
 */
import type { ComparisonSummary, DeepscanClient, EvidenceRow } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';

/** Videos of the case that can serve as the known original of `suspectId`. */
export function referenceCandidates(rows: EvidenceRow[], suspectId: number | null): EvidenceRow[] {
  return rows.filter((r) => r.kind === 'video' && r.id !== suspectId && r.status !== 'unreadable' && r.status !== 'not-media' && r.status !== 'integrity-failed');
}

export class CompareState {
  caseId = $state<string | null>(null);
  referenceId = $state<number | null>(null);
  /** Frame offset of the reference against the suspect, as entered (a number input gives numbers; empty is 0). */
  offset = $state<number | string | null>(0);
  /** Suspect evidence id being compared. */
  running = $state<number | null>(null);
  error = $state<ApiError | null>(null);
  /** Latest summary by suspect evidence id. */
  results = $state<Record<number, ComparisonSummary>>({});

  readonly #api: DeepscanClient;
  #gen = 0;

  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#gen++;
    this.caseId = null;
    this.referenceId = null;
    this.offset = 0;
    this.running = null;
    this.error = null;
    this.results = {};
  }

  /** Runs the comparison; returns its summary, or null (error set). */
  async run(caseId: string, suspectId: number): Promise<ComparisonSummary | null> {
    if (this.running !== null) return null;
    if (this.caseId !== caseId) {
      // Summaries belong to one case (the workstation also clears this on every case change).
      this.results = {};
      this.caseId = caseId;
    }
    const ref = this.referenceId;
    if (ref === null) {
      this.error = { code: 'invalid-argument', message: 'Choose the known original to compare with.' };
      return null;
    }
    const text = this.offset === null || this.offset === undefined ? '' : String(this.offset).trim();
    const offset = text === '' ? 0 : Number(text);
    if (!Number.isInteger(offset)) {
      this.error = { code: 'invalid-argument', message: 'The frame offset is a whole number of frames (may be negative).' };
      return null;
    }
    const gen = this.#gen;
    this.running = suspectId;
    this.error = null;
    try {
      const r = await this.#api.compareVideos(caseId, suspectId, ref, offset);
      if (gen !== this.#gen) return null;
      if (!r.ok) {
        this.error = r.error;
        return null;
      }
      this.results[suspectId] = r.value;
      return r.value;
    } catch (e) {
      if (gen === this.#gen) this.error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
      return null;
    } finally {
      if (gen === this.#gen) this.running = null;
    }
  }
}
