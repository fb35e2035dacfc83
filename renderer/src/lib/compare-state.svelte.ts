/**
 * Comparing a suspect video with a known original of the same case (difference masks per face).
 * The comparison takes tens of seconds; its summary is kept per suspect video.
 */
import type { ComparisonSummary, DeepscanClient, EvidenceRow } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { AsyncResource } from './resource.svelte.js';

/** Videos of the case that can serve as the known original of `suspectId`. */
export function referenceCandidates(rows: EvidenceRow[], suspectId: number | null): EvidenceRow[] {
  return rows.filter((r) => r.kind === 'video' && r.id !== suspectId && r.status !== 'unreadable' && r.status !== 'not-media' && r.status !== 'integrity-failed');
}

export class CompareState {
  caseId = $state<string | null>(null);
  referenceId = $state<number | null>(null);
  /** Frame offset of the reference against the suspect, as entered (a number input gives numbers; empty is 0). */
  offset = $state<number | string | null>(0);
  /** Latest summary by suspect evidence id. */
  results = $state<Record<number, ComparisonSummary>>({});
  /** The comparison in flight (keyed by suspect evidence id). */
  readonly #run = new AsyncResource<ComparisonSummary, number>();

  /** Suspect evidence id being compared. */
  get running(): number | null {
    return this.#run.pending;
  }
  get error(): ApiError | null {
    return this.#run.error;
  }
  set error(e: ApiError | null) {
    this.#run.error = e;
  }

  readonly #api: DeepscanClient;

  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#run.clear();
    this.caseId = null;
    this.referenceId = null;
    this.offset = 0;
    this.results = {};
  }

  /** Runs the comparison; returns its summary, or null (error set). */
  async run(caseId: string, suspectId: number, examiner?: string): Promise<ComparisonSummary | null> {
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
    this.error = null;
    const r = await this.#run.load(suspectId, (s) => (examiner ? this.#api.compareVideos(caseId, s, ref, offset, examiner) : this.#api.compareVideos(caseId, s, ref, offset)));
    if (!r) return null;
    this.results[suspectId] = r;
    return r;
  }
}
