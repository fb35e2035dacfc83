/**
 * Application state of the workstation window: the open case, its evidence list and the
 * running analysis, fed by API results and task events. Components only read this and call
 * its methods; every API call goes through the client given to the constructor.
 */
import { RELEASE_ENSEMBLE } from '../../../common/model-card.js';
import type {
  CaseSummary,
  DeepscanClient,
  EvidenceRow,
  EvidenceStatus,
  OpenCaseRequest,
  TaskEvent,
  TaskStatus,
} from '../../../common/api.js';
import type { ApiError, Result } from '../../../common/result.js';
import { attempt } from './resource.svelte.js';

export const FRAMES_DEFAULT = 32;
export const FRAMES_MIN = 1;
export const FRAMES_MAX = 1000;

export type ItemPhase = 'running' | 'finished' | 'skipped';

export interface ItemProgress {
  phase: ItemPhase;
  stage: string;
  /** 0..1 within the item. */
  fraction: number;
}

export interface TaskView {
  /** Null between the click and the engine's answer. */
  taskId: string | null;
  caseId: string;
  status: TaskStatus | 'starting';
  total: number;
  done: number;
  finished: number;
  currentPath: string | null;
  stage: string | null;
  fraction: number;
  error: string | null;
  /** Date.now() when the task started (for elapsed time and the estimate). */
  startedAt: number;
  /** Date.now() when it ended; null while it runs (elapsed time stops there). */
  endedAt: number | null;
}

/**
 * Elapsed time and an estimate of what remains, from the items done so far (the current one
 * counted by its fraction). No estimate until some work is measured: a guess would mislead.
 */
export function taskTiming(t: Pick<TaskView, 'startedAt' | 'total' | 'finished' | 'fraction' | 'currentPath'>, now: number): { elapsedSec: number; remainingSec: number | null } {
  const elapsedSec = Math.max(0, (now - t.startedAt) / 1000);
  const done = t.finished + (t.currentPath ? t.fraction : 0);
  if (done <= 0 || t.total <= 0 || elapsedSec < 1) return { elapsedSec, remainingSec: null };
  return { elapsedSec, remainingSec: Math.max(0, (elapsedSec / done) * (t.total - done)) };
}

export type Busy = 'opening' | 'loading' | 'starting' | 'cancelling' | 'browsing' | null;

export interface OpenCaseForm {
  folder: string;
  name: string;
  number: string;
  examiner: string;
}

export class CaseState {
  caseSummary = $state<CaseSummary | null>(null);
  evidence = $state<EvidenceRow[]>([]);
  task = $state<TaskView | null>(null);
  /** Per evidence path, for the current task only. */
  progress = $state<Record<string, ItemProgress>>({});
  busy = $state<Busy>(null);
  error = $state<ApiError | null>(null);
  frames = $state(FRAMES_DEFAULT);
  /** '' → every installed model; a name → that ensemble's installed members (issue 12). */
  ensemble = $state<'' | typeof RELEASE_ENSEMBLE>('');
  /** '' → analyse on this machine; a redis:// URL → through the lab's job queue (issue 14). */
  queue = $state('');

  readonly running = $derived(this.task !== null && (this.task.status === 'running' || this.task.status === 'starting'));
  readonly counts = $derived(countByStatus(this.evidence));

  readonly #api: DeepscanClient;
  readonly #onRefresh: ((rows: EvidenceRow[]) => void) | undefined;

  /** `onRefresh` runs after every successful read of the evidence list (e.g. to load scores). */
  constructor(api: DeepscanClient, opts: { onRefresh?: (rows: EvidenceRow[]) => void } = {}) {
    this.#api = api;
    this.#onRefresh = opts.onRefresh;
  }

  /** Shows a case already known to the engine (recent case, reload) without re-opening it. */
  async attach(summary: CaseSummary): Promise<void> {
    this.caseSummary = summary;
    this.evidence = [];
    this.task = null;
    this.progress = {};
    this.error = null;
    await this.refresh();
  }

  /** Re-reads a case by id (after a reload); false when the engine no longer knows it. */
  async restore(caseId: string): Promise<boolean> {
    const summary = await this.#call('loading', () => this.#api.getCase(caseId));
    if (!summary) return false;
    await this.attach(summary);
    return true;
  }

  /** Whether the host offers a native folder dialog (Electron does, a browser does not). */
  get canBrowse(): boolean {
    return typeof this.#api.pickFolder === 'function';
  }

  /** Subscribes to task events; returns the unsubscribe function. */
  connect(): () => void {
    return this.#api.onTaskEvent((ev) => this.handleEvent(ev));
  }

  dismissError(): void {
    this.error = null;
  }

  async #call<T>(busy: Exclude<Busy, null>, fn: () => Promise<Result<T>>): Promise<T | undefined> {
    this.busy = busy;
    const r = await attempt(fn);
    this.busy = null;
    if (!r.ok) {
      this.error = r.error;
      return undefined;
    }
    return r.value;
  }

  async browse(): Promise<string | null> {
    const pick = this.#api.pickFolder;
    if (!pick) return null;
    return (await this.#call('browsing', () => pick())) ?? null;
  }

  async open(form: OpenCaseForm): Promise<boolean> {
    const folder = form.folder.trim();
    if (folder === '') {
      this.error = { code: 'invalid-argument', message: 'Choose the evidence folder first.' };
      return false;
    }
    const req: OpenCaseRequest = { folder };
    const name = form.name.trim();
    const number = form.number.trim();
    const examiner = form.examiner.trim();
    if (name) req.name = name;
    if (number) req.number = number;
    if (examiner) req.examiner = examiner;
    this.error = null;
    const summary = await this.#call('opening', () => this.#api.openCase(req));
    if (!summary) return false;
    this.caseSummary = summary;
    this.evidence = [];
    this.task = null;
    this.progress = {};
    await this.refresh();
    return true;
  }

  /** Re-reads the evidence list (and the case summary) from the engine. */
  async refresh(): Promise<void> {
    const c = this.caseSummary;
    if (!c) return;
    const rows = await this.#call('loading', () => this.#api.listEvidence(c.id));
    if (rows && this.caseSummary?.id === c.id) {
      this.evidence = rows;
      this.#onRefresh?.(rows);
    }
    const summary = await this.#api.getCase(c.id).catch(() => null);
    if (summary?.ok && this.caseSummary?.id === c.id) this.caseSummary = summary.value;
  }

  /** Re-reads the evidence rows quietly (no busy state: buttons stay as they are mid-run). */
  async #reloadRows(): Promise<void> {
    const c = this.caseSummary;
    if (!c) return;
    const r = await attempt(() => this.#api.listEvidence(c.id));
    if (!r.ok || this.caseSummary?.id !== c.id) return;
    // A read that raced the item's write still says 'pending': the event's status stands.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- local to this merge
    const told = new Map(this.evidence.map((e) => [e.path, e]));
    const rows = r.value.map((row) => {
      const before = told.get(row.path);
      const finished = this.progress[row.path]?.phase === 'finished';
      return finished && before && row.status === 'pending' ? { ...row, status: before.status, error: before.error } : row;
    });
    this.evidence = rows;
    this.#onRefresh?.(rows);
  }

  closeCase(): void {
    if (this.running) return;
    this.caseSummary = null;
    this.evidence = [];
    this.task = null;
    this.progress = {};
    this.error = null;
  }

  /** Starts an analysis; `examiner` is who runs it (the audit log records it). */
  async start(examiner?: string): Promise<void> {
    const c = this.caseSummary;
    if (!c || this.running) return;
    const frames = Number(this.frames);
    if (!Number.isInteger(frames) || frames < FRAMES_MIN || frames > FRAMES_MAX) {
      this.error = {
        code: 'invalid-argument',
        message: `Frames per video must be a whole number from ${FRAMES_MIN} to ${FRAMES_MAX}.`,
      };
      return;
    }
    this.error = null;
    this.progress = {};
    this.task = newTask(null, c.id, 'starting', 0);
    const info = await this.#call('starting', () => this.#api.startAnalysis({ caseId: c.id, frames, ...(examiner ? { examiner } : {}), ...(this.ensemble ? { ensemble: this.ensemble } : {}), ...(this.queue.trim() ? { queue: this.queue.trim() } : {}) }));
    if (!info) {
      this.task = null;
      return;
    }
    // Events may have arrived before the answer; keep what they told us.
    if (this.task === null || this.task.taskId === null || this.task.taskId === info.taskId) {
      const t = this.task ?? newTask(info.taskId, c.id, info.status, 0);
      t.taskId = info.taskId;
      if (t.status === 'starting') t.status = info.status;
      this.task = t;
    }
  }

  async cancel(): Promise<void> {
    const t = this.task;
    if (!t || !t.taskId || !this.running) return;
    const taskId = t.taskId;
    const info = await this.#call('cancelling', () => this.#api.cancelAnalysis(taskId));
    if (info && this.task?.taskId === taskId && info.status !== 'running') this.task.status = info.status;
  }

  handleEvent(ev: TaskEvent): void {
    if (ev.type === 'task-started') {
      const c = this.caseSummary;
      if (!c || ev.caseId !== c.id) return;
      if (this.task && this.task.taskId !== null && this.task.taskId !== ev.taskId) return;
      const t = this.task ?? newTask(ev.taskId, ev.caseId, 'running', ev.total);
      t.taskId = ev.taskId;
      t.status = 'running';
      t.total = ev.total;
      this.task = t;
      return;
    }
    const t = this.task;
    if (!t || t.taskId !== ev.taskId) return;
    switch (ev.type) {
      case 'item-progress': {
        t.total = ev.total;
        t.done = Math.max(t.done, ev.done);
        t.currentPath = ev.evidencePath;
        t.stage = ev.stage;
        t.fraction = ev.fraction;
        // One item runs at a time: another item still marked running (e.g. after its
        // verification pass) goes back to waiting.
        for (const [path, p] of Object.entries(this.progress)) {
          if (path !== ev.evidencePath && p.phase === 'running') delete this.progress[path];
        }
        this.progress[ev.evidencePath] = { phase: 'running', stage: ev.stage, fraction: ev.fraction };
        break;
      }
      case 'item-finished': {
        t.finished += 1;
        t.done = Math.max(t.done, t.finished);
        this.progress[ev.evidencePath] = { phase: ev.skipped ? 'skipped' : 'finished', stage: '', fraction: 1 };
        if (t.currentPath === ev.evidencePath) {
          t.currentPath = null;
          t.stage = null;
          t.fraction = 0;
        }
        const row = this.evidence.find((r) => r.path === ev.evidencePath);
        if (row) {
          row.status = ev.status;
          row.error = ev.error;
        }
        // The event carries no counts: re-read the list (a query, answered while the task
        // runs) so the finished item shows its real faces and score, not zeros.
        void this.#reloadRows();
        break;
      }
      case 'task-finished': {
        t.endedAt = Date.now();
        t.status = ev.status;
        t.error = ev.error;
        t.currentPath = null;
        t.stage = null;
        void this.refresh();
        break;
      }
    }
  }
}

function newTask(taskId: string | null, caseId: string, status: TaskView['status'], total: number): TaskView {
  return { taskId, caseId, status, total, done: 0, finished: 0, currentPath: null, stage: null, fraction: 0, error: null, startedAt: Date.now(), endedAt: null };
}

export function countByStatus(rows: readonly EvidenceRow[]): Record<EvidenceStatus, number> {
  const counts: Record<EvidenceStatus, number> = {
    pending: 0,
    analyzed: 0,
    unreadable: 0,
    'not-media': 0,
    'integrity-failed': 0,
  };
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
