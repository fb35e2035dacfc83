/** Exporting the case report (PDF written into the case workspace). */
import type { DeepscanClient, ReportResult } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';

export class ReportState {
  busy = $state(false);
  error = $state<ApiError | null>(null);
  result = $state<ReportResult | null>(null);
  /** What was just copied ('path' | 'sha256'), or a copy failure. */
  copied = $state<string | null>(null);

  readonly #api: DeepscanClient;
  #gen = 0;

  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#gen++;
    this.busy = false;
    this.error = null;
    this.result = null;
    this.copied = null;
  }

  async export(caseId: string, examiner?: string): Promise<ReportResult | null> {
    if (this.busy) return null;
    const gen = ++this.#gen;
    this.busy = true;
    this.error = null;
    this.copied = null;
    try {
      const r = await this.#api.exportReport(caseId, examiner);
      if (gen !== this.#gen) return null;
      if (!r.ok) {
        this.error = r.error;
        return null;
      }
      this.result = r.value;
      return r.value;
    } catch (e) {
      if (gen === this.#gen) this.error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
      return null;
    } finally {
      if (gen === this.#gen) this.busy = false;
    }
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
