/**
 * The workstation API over the loopback web host (`deepscan serve`, main/web/server.ts): each
 * operation is `POST /api/<operation>` with a JSON array of its arguments and answers the same
 * Result as the desktop IPC; task events arrive over Server-Sent Events (`GET /api/events`).
 *
 * The session token comes from the start URL (`/?token=…`). It is read once, kept in
 * sessionStorage (this tab only, so a reload keeps working) and removed from the address bar
 * with history.replaceState, so it is not left in the history, bookmarks or screenshots.
 */
import type { DeepscanApi, DeepscanClient, TaskEvent } from '../../../common/api.js';
import { ENGINE_OPERATIONS, trimArguments, type EngineOperationName } from '../../../common/operations.js';
import { fail, type Result } from '../../../common/result.js';

export const TOKEN_PARAM = 'token';
export const TOKEN_STORAGE_KEY = 'deepscan.session-token';


export interface HttpClientOptions {
  token: string;
  /** Origin of the web host; default: the page's own (the host serves the page). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** EventSource constructor (tests pass a fake). */
  eventSource?: new (url: string) => EventSource;
}

function isResult(v: unknown): v is Result<unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { ok?: unknown; error?: unknown };
  return (r.ok === true && 'value' in r) || (r.ok === false && typeof r.error === 'object' && r.error !== null);
}

export function createHttpClient(opts: HttpClientOptions): DeepscanClient {
  const base = (opts.baseUrl ?? '').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const ES = opts.eventSource ?? (typeof EventSource === 'undefined' ? null : EventSource);

  async function call<T>(op: EngineOperationName, given: unknown[]): Promise<Result<T>> {
    // Trailing undefined arguments (optional parameters) are left out rather than sent as null.
    const args = trimArguments(given);
    let res: Response;
    try {
      res = await doFetch(`${base}/api/${op}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${opts.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      return fail({ code: 'host-unavailable', message: 'The Deepscan web host does not answer (was "deepscan serve" stopped?).' });
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return fail({ code: 'host-unavailable', message: `The Deepscan web host sent an unreadable answer (HTTP ${res.status}).` });
    }
    if (isResult(body)) return body as Result<T>;
    return fail({ code: 'internal', message: `${op}: unexpected answer from the web host (HTTP ${res.status}).` });
  }

  // One event stream shared by every subscriber, opened with the first and closed with the last.
  const listeners = new Set<(e: TaskEvent) => void>();
  let source: EventSource | null = null;

  function openStream(): void {
    if (source || !ES) return;
    source = new ES(`${base}/api/events?${TOKEN_PARAM}=${encodeURIComponent(opts.token)}`);
    source.onmessage = (msg: MessageEvent) => {
      let event: TaskEvent;
      try {
        event = JSON.parse(String(msg.data)) as TaskEvent;
      } catch {
        return;
      }
      for (const l of [...listeners]) {
        try {
          l(event);
        } catch {
          // one faulty subscriber must not starve the others
        }
      }
    };
  }

  function closeStream(): void {
    source?.close();
    source = null;
  }

  // One method per engine operation of the table (pickFolder is desktop-only: not offered here).
  const operations = Object.fromEntries(
    ENGINE_OPERATIONS.map((op) => [op, (...args: unknown[]) => call(op, args)]),
  ) as unknown as Omit<DeepscanApi, 'onTaskEvent'>;

  return {
    ...operations,
    onTaskEvent(listener) {
      if (typeof listener !== 'function') throw new TypeError('onTaskEvent expects a function.');
      listeners.add(listener);
      openStream();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) closeStream();
      };
    },
  };
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null; // storage disabled
  }
}

/**
 * The session token of this page: taken from the address bar once (then removed from it with
 * history.replaceState and kept in sessionStorage), else from sessionStorage. Null when the page
 * was not opened from a "deepscan serve" URL.
 */
export function takeSessionToken(): string | null {
  if (typeof window === 'undefined' || !window.location) return null;
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get(TOKEN_PARAM);
  const store = storage();
  if (fromUrl) {
    try {
      store?.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // quota or privacy mode: the token then lives in memory only
    }
    url.searchParams.delete(TOKEN_PARAM);
    try {
      window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    } catch {
      // not fatal: the token only stays visible in the address bar
    }
    return fromUrl;
  }
  try {
    return store?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

let pageClient: DeepscanClient | null = null;

/** The HTTP client for a page served by "deepscan serve" (same origin), or null when there is no token. */
export function httpClientFromPage(): DeepscanClient | null {
  if (pageClient) return pageClient;
  if (typeof window === 'undefined' || !/^https?:$/.test(window.location?.protocol ?? '')) return null;
  const token = takeSessionToken();
  if (!token) return null;
  pageClient = createHttpClient({ token });
  return pageClient;
}
