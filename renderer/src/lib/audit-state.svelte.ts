/** The case's audit log with the verification of its hash chain. */
import type { AuditView, DeepscanClient } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';

export class AuditState {
  view = $state<AuditView | null>(null);
  loadedFor = $state<string | null>(null);
  loading = $state(false);
  error = $state<ApiError | null>(null);
  filter = $state('');

  readonly items = $derived.by(() => {
    const items = this.view?.items ?? [];
    const q = this.filter.trim().toLowerCase();
    const list = q
      ? items.filter((i) => i.action.toLowerCase().includes(q) || i.actor.toLowerCase().includes(q) || JSON.stringify(i.details ?? '').toLowerCase().includes(q))
      : items;
    return [...list].sort((a, b) => b.seq - a.seq);
  });

  readonly #api: DeepscanClient;
  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.view = null;
    this.loadedFor = null;
    this.error = null;
  }

  async load(caseId: string): Promise<void> {
    this.loading = true;
    try {
      const r = await this.#api.getAudit(caseId);
      if (r.ok) {
        this.view = r.value;
        this.loadedFor = caseId;
        this.error = null;
      } else this.error = r.error;
    } catch (e) {
      this.error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
    } finally {
      this.loading = false;
    }
  }
}

/** Short, readable summary of an audit entry's details. */
export function detailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}
