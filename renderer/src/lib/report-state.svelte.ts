/** Exporting the case report (PDF written into the case workspace). */
import type { DeepscanClient, ReportResult } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { AsyncResource } from './resource.svelte.js';

export class ReportState {
  readonly #report = new AsyncResource<ReportResult>();
  /** What was just copied ('path' | 'sha256'), or a copy failure. */
  copied = $state<string | null>(null);

  get busy(): boolean {
    return this.#report.loading;
  }
  get error(): ApiError | null {
    return this.#report.error;
  }
  get result(): ReportResult | null {
    return this.#report.value;
  }

  readonly #api: DeepscanClient;

  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#report.clear();
    this.copied = null;
  }

  async export(caseId: string, examiner?: string): Promise<ReportResult | null> {
    if (this.busy) return null;
    this.#report.error = null;
    this.copied = null;
    return (await this.#report.load(caseId, (c) => this.#api.exportReport(c, examiner))) ?? null;
  }

  async copy(what: 'path' | 'sha256', clipboard: Pick<Clipboard, 'writeText'> | undefined = globalThis.navigator?.clipboard): Promise<void> {
    const r = this.result;
    if (!r) return;
    try {
      if (!clipboard) throw new Error('no clipboard');
      await clipboard.writeText(what === 'path' ? r.file : r.sha256);
      this.copied = what;
    } catch {
      this.copied = `${what}-failed`;
    }
  }
}
