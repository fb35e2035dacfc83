/**
 * Where the renderer gets the workstation API from. In Electron the preload exposes it as
 * `window.deepscan`; in a browser opened from a `deepscan serve` URL (no `window.deepscan`,
 * a session token in the URL or this tab's sessionStorage) it is the HTTP client of
 * http-client.ts; tests install a fake with `setApi()`. Components never touch
 * `window.deepscan` directly: they receive the client (through CaseState), which keeps them
 * testable with a fake.
 */
import type { DeepscanApi, DeepscanClient } from '../../../common/api.js';
import { ENGINE_OPERATIONS } from '../../../common/operations.js';
import { fail, type Result } from '../../../common/result.js';
import { httpClientFromPage } from './http-client.js';

export type { DeepscanClient };

declare global {
  interface Window {
    deepscan?: DeepscanClient;
  }
}

let current: DeepscanClient | null = null;

/** Installs a client (HTTP client for the web host, a fake in tests). */
export function setApi(api: DeepscanClient | null): void {
  current = api;
}

function unavailable<T>(): Promise<Result<T>> {
  return Promise.resolve(
    fail({ code: 'host-unavailable', message: 'The Deepscan engine is not connected to this window.' }),
  );
}

/** A client whose every call fails cleanly: the UI still renders and explains what is wrong (one entry per table operation). */
export const disconnectedApi: DeepscanClient = Object.freeze({
  ...(Object.fromEntries(ENGINE_OPERATIONS.map((name) => [name, unavailable])) as unknown as Omit<DeepscanApi, 'onTaskEvent'>),
  onTaskEvent: () => () => {},
});

/** The installed client, else the preload's `window.deepscan`, else the web host's HTTP client, else the disconnected one. */
export function getApi(): DeepscanClient {
  if (current) return current;
  if (typeof window !== 'undefined' && window.deepscan) return window.deepscan;
  return httpClientFromPage() ?? disconnectedApi;
}

export function isConnected(api: DeepscanClient): boolean {
  return api !== disconnectedApi;
}
