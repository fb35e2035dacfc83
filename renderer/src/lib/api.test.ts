/** The renderer's derived clients: every operation of the table, nothing else. */
import { describe, expect, it, vi } from 'vitest';
import { ENGINE_OPERATIONS } from '../../../common/operations.js';
import { disconnectedApi } from './api.js';
import { createHttpClient } from './http-client.js';
import { fakeApi } from './test-fakes.js';

const engineOps = [...ENGINE_OPERATIONS].sort();

describe('clients derived from the operation table', () => {
  it('the disconnected API answers host-unavailable for every engine operation', async () => {
    expect(Object.keys(disconnectedApi).filter((k) => k !== 'onTaskEvent').sort()).toEqual(engineOps);
    for (const op of ENGINE_OPERATIONS) {
      const r = await (disconnectedApi[op] as () => Promise<{ ok: boolean; error?: { code: string } }>)();
      expect(r.ok, op).toBe(false);
      expect(r.error?.code, op).toBe('host-unavailable');
    }
  });

  it('the HTTP client posts every engine operation to /api/<name> (and offers no pickFolder)', async () => {
    const urls: string[] = [];
    const fetchFn = vi.fn(async (url: RequestInfo | URL) => {
      urls.push(String(url));
      return new Response('{"ok":true,"value":null}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    }) as unknown as typeof fetch;
    const client = createHttpClient({ token: 't', baseUrl: 'http://127.0.0.1:1', fetch: fetchFn });
    expect(Object.keys(client).filter((k) => k !== 'onTaskEvent').sort()).toEqual(engineOps);
    for (const op of ENGINE_OPERATIONS) await (client[op] as (...a: unknown[]) => Promise<unknown>)('x', undefined);
    expect(urls).toEqual(ENGINE_OPERATIONS.map((op) => `http://127.0.0.1:1/api/${op}`));
  });

  it('the test fake has every operation, recording calls it has no script for', async () => {
    const api = fakeApi();
    for (const op of ENGINE_OPERATIONS) expect(typeof api[op], op).toBe('function');
    expect(typeof api.pickFolder).toBe('function');
  });
});
