/**
 * The one async-resource primitive of the renderer: a value read from the engine with its
 * loading flag and last error. Every state class that reads something goes through it, so the
 * rules are written once:
 *   - a newer load supersedes an older one: the older one's answer is dropped (never overwrites
 *     what the newer one brought) and its AbortSignal fires;
 *   - clear() supersedes everything in flight and forgets the value;
 *   - a failed load keeps the last good value (the view stays readable) and sets `error`;
 *   - a thrown exception becomes an 'internal' ApiError, like a failed Result.
 */
import type { ApiError, Result } from '../../../common/result.js';

export type Fetch<T, K> = (key: K, signal: AbortSignal) => Promise<Result<T>>;

/** A thrown value as the ApiError the views show. */
export function asApiError(e: unknown): ApiError {
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** Runs an engine call; a throw becomes a failed Result (one place for the try/catch). */
export async function attempt<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await fn();
  } catch (e) {
    return { ok: false, error: asApiError(e) };
  }
}

/**
 * Generation counter: a token taken before an await is still current afterwards only if
 * nothing bumped it meanwhile. For state that is not one value (image caches, per-face maps).
 */
export class Generation {
  #n = 0;
  get current(): number {
    return this.#n;
  }
  bump(): number {
    return ++this.#n;
  }
  isCurrent(token: number): boolean {
    return token === this.#n;
  }
}

export class AsyncResource<T, K = string> {
  /** The last value loaded (kept when a later load fails). */
  value = $state<T | null>(null);
  /** The key `value` was loaded for. */
  key = $state<K | null>(null);
  /** The key of the load in flight (null when idle). */
  pending = $state<K | null>(null);
  error = $state<ApiError | null>(null);
  loading = $state(false);
  /** Whether any load has finished (well or not) since construction or clear(). */
  done = $state(false);

  readonly #gen = new Generation();
  #abort: AbortController | null = null;
  #last: { key: K; fetch: Fetch<T, K> } | null = null;

  /** Token of the newest load (or clear); see isCurrent. */
  get generation(): number {
    return this.#gen.current;
  }
  isCurrent(token: number): boolean {
    return this.#gen.isCurrent(token);
  }

  /**
   * Loads the value for `key`, superseding any load in flight. Resolves to the value, or to
   * undefined when the load failed (error set) or was superseded (nothing changed).
   */
  async load(key: K, fetch: Fetch<T, K>): Promise<T | undefined> {
    this.#abort?.abort();
    const ctrl = new AbortController();
    this.#abort = ctrl;
    this.#last = { key, fetch };
    const gen = this.#gen.bump();
    this.loading = true;
    this.pending = key;
    const r = await attempt(() => fetch(key, ctrl.signal));
    if (!this.#gen.isCurrent(gen)) return undefined;
    this.#abort = null;
    this.loading = false;
    this.pending = null;
    this.done = true;
    if (!r.ok) {
      this.error = r.error;
      return undefined;
    }
    this.value = r.value;
    this.key = key;
    this.error = null;
    return r.value;
  }

  /** Loads the last key again with the last fetch (nothing to do before the first load). */
  reload(): Promise<T | undefined> {
    const l = this.#last;
    return l ? this.load(l.key, l.fetch) : Promise.resolve(undefined);
  }

  /** Supersedes whatever is in flight and forgets the value and error. */
  clear(): void {
    this.#abort?.abort();
    this.#abort = null;
    this.#last = null;
    this.#gen.bump();
    this.value = null;
    this.key = null;
    this.pending = null;
    this.error = null;
    this.loading = false;
    this.done = false;
  }
}
