/** The case's audit log with the verification of its hash chain. */
import type { AuditView, DeepscanClient } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { AsyncResource } from './resource.svelte.js';

export class AuditState {
  readonly #log = new AsyncResource<AuditView>();
  filter = $state('');

  get view(): AuditView | null {
    return this.#log.value;
  }
  /** The case the shown log belongs to. */
  get loadedFor(): string | null {
    return this.#log.key;
  }
  get loading(): boolean {
    return this.#log.loading;
  }
  get error(): ApiError | null {
    return this.#log.error;
  }

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
    this.#log.clear();
  }

  async load(caseId: string): Promise<void> {
    await this.#log.load(caseId, (c) => this.#api.getAudit(c));
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
