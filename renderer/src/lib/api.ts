/**
 * Where the renderer gets the workstation API from. In Electron the preload exposes it as
 * `window.deepscan`; a browser-hosted variant will install an HTTP client with `setApi()`
 * before mounting. Components never touch `window.deepscan` directly: they receive the client
 * (through CaseState), which keeps them testable with a fake.
 */
import type { DeepscanClient } from '../../../common/api.js';
import { fail, type Result } from '../../../common/result.js';

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

/** A client whose every call fails cleanly: the UI still renders and explains what is wrong. */
export const disconnectedApi: DeepscanClient = {
  openCase: unavailable,
  listEvidence: unavailable,
  getCase: unavailable,
  startAnalysis: unavailable,
  cancelAnalysis: unavailable,
  onTaskEvent: () => () => {},
};

/** The installed client, else the preload's `window.deepscan`, else the disconnected one. */
export function getApi(): DeepscanClient {
  if (current) return current;
  if (typeof window !== 'undefined' && window.deepscan) return window.deepscan;
  return disconnectedApi;
}

export function isConnected(api: DeepscanClient): boolean {
  return api !== disconnectedApi;
}
