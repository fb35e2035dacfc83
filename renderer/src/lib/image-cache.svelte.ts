/** data: URLs fetched on demand, a few at a time, remembered by key. */
import type { Result } from '../../../common/result.js';
import { attempt } from './resource.svelte.js';

export class ImageCache {
  urls = $state<Record<string, string>>({});
  failed = $state<Record<string, string>>({});
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not UI state
  readonly #inflight = new Set<string>();
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  readonly #max: number;

  constructor(maxParallel = 4) {
    this.#max = maxParallel;
  }

  /** `urgent` jumps the queue (the image the examiner is looking at). */
  async ensure(key: string, fetch: () => Promise<Result<string>>, urgent = false): Promise<void> {
    if (this.urls[key] || this.#inflight.has(key)) return;
    this.#inflight.add(key);
    if (this.#active >= this.#max) await new Promise<void>((go) => (urgent ? this.#waiting.unshift(go) : this.#waiting.push(go)));
    this.#active++;
    try {
      const r = await attempt(fetch);
      if (r.ok) this.urls[key] = r.value;
      else this.failed[key] = r.error.message;
    } finally {
      this.#active--;
      this.#inflight.delete(key);
      this.#waiting.shift()?.();
    }
  }

  clear(): void {
    this.urls = {};
    this.failed = {};
  }
}
