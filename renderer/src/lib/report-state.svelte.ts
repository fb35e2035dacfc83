/**
 * Exporting the case report (PDF written into the case workspace), then getting it to the
 * examiner: in the desktop app "Save as…" (native dialog), "Open" and "Show in folder" (host
 * operations of the table); on the web host "Download" and "Open" (a report link, report-link.ts).
 */
import type { DeepscanClient, ReportCopy, ReportResult } from '../../../common/api.js';
import type { ApiError, Result } from '../../../common/result.js';
import { pageNavigator, pageReportLinker, type LinkNavigator, type ReportLinkFn } from './report-link.js';
import { AsyncResource } from './resource.svelte.js';

export type ReportAction = 'save' | 'open' | 'show' | 'download' | 'open-tab';

export class ReportState {
  readonly #report = new AsyncResource<ReportResult>();
  /** What was just copied ('path' | 'sha256'), or a copy failure. */
  copied = $state<string | null>(null);
  /** The action running now (one at a time). */
  action = $state<ReportAction | null>(null);
  /** Why the last action failed. */
  actionError = $state<ApiError | null>(null);
  /** The copy saved with "Save as…" (desktop), if any. */
  saved = $state<ReportCopy | null>(null);
  /** What the last action did, for the status line ("Opened …", "Download started"). */
  notice = $state<string | null>(null);

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
  readonly #links: ReportLinkFn | null;
  readonly #nav: LinkNavigator;
  #caseId: string | null = null;
  #examiner: string | undefined;

  constructor(api: DeepscanClient, opts: { links?: ReportLinkFn | null; navigator?: LinkNavigator } = {}) {
    this.#api = api;
    this.#links = opts.links === undefined ? pageReportLinker() : opts.links;
    this.#nav = opts.navigator ?? pageNavigator;
  }

  /** Desktop app: a native save dialog, Open and Show in folder. */
  get canSaveAs(): boolean {
    return typeof this.#api.saveReportAs === 'function';
  }
  /** Web host: Download and Open in a new tab. */
  get canDownload(): boolean {
    return this.#links !== null;
  }

  clear(): void {
    this.#report.clear();
    this.copied = null;
    this.#resetActions();
  }

  #resetActions(): void {
    this.action = null;
    this.actionError = null;
    this.saved = null;
    this.notice = null;
  }

  async export(caseId: string, examiner?: string): Promise<ReportResult | null> {
    if (this.busy) return null;
    this.#report.error = null;
    this.copied = null;
    this.#resetActions();
    this.#caseId = caseId;
    this.#examiner = examiner;
    return (await this.#report.load(caseId, (c) => this.#api.exportReport(c, examiner))) ?? null;
  }

  async copy(what: 'path' | 'sha256', clipboard: Pick<Clipboard, 'writeText'> | undefined = globalThis.navigator?.clipboard): Promise<void> {
    const r = this.result;
    if (!r) return;
    try {
      if (!clipboard) throw new Error('no clipboard');
      await clipboard.writeText(what === 'path' ? (this.saved?.file ?? r.file) : r.sha256);
      this.copied = what;
    } catch {
      this.copied = `${what}-failed`;
    }
  }

  /** Runs one action on the exported report; its failure lands in `actionError`. */
  async #run<T>(action: ReportAction, call: (caseId: string, r: ReportResult) => Promise<Result<T>> | undefined): Promise<T | null> {
    const r = this.result;
    const caseId = this.#caseId;
    if (!r || !caseId || this.action) return null;
    this.action = action;
    this.actionError = null;
    this.notice = null;
    try {
      const res = await call(caseId, r);
      if (!res) return null;
      if (!res.ok) {
        this.actionError = res.error;
        return null;
      }
      return res.value;
    } finally {
      this.action = null;
    }
  }

  /** Desktop: "Save as…" (null when the dialog was cancelled). */
  async saveAs(): Promise<ReportCopy | null> {
    const copy = await this.#run('save', (c, r) => this.#api.saveReportAs?.(c, r.id, this.#examiner));
    if (copy) {
      this.saved = copy;
      this.notice = `Saved to ${copy.file}`;
    }
    return copy;
  }

  /** Desktop: opens the saved copy (else the workspace file) in the system's PDF viewer. */
  async openFile(): Promise<void> {
    const file = await this.#run('open', (c, r) => this.#api.openReport?.(c, r.id));
    if (file) this.notice = `Opened ${file}`;
  }

  /** Desktop: shows that file in the file manager. */
  async showInFolder(): Promise<void> {
    const file = await this.#run('show', (c, r) => this.#api.showReportInFolder?.(c, r.id));
    if (file) this.notice = `Shown in folder: ${file}`;
  }

  /** Web host: downloads the PDF (attachment). */
  async download(): Promise<void> {
    const url = await this.#run('download', (c, r) => this.#links?.(c, r.id, 'attachment'));
    if (url && this.result) {
      this.#nav.download(url, this.result.downloadName);
      this.notice = `Download of ${this.result.downloadName} started`;
    }
  }

  /** Web host: opens the PDF in a new tab (inline). */
  async openTab(): Promise<void> {
    const url = await this.#run('open-tab', (c, r) => this.#links?.(c, r.id, 'inline'));
    if (url) {
      this.#nav.openTab(url);
      this.notice = 'Opened in a new tab';
    }
  }
}
