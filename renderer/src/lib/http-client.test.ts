import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TaskEvent } from '../../../common/api.js';
import { createHttpClient, takeSessionToken, TOKEN_STORAGE_KEY } from './http-client.js';

class FakeEventSource {
  static instances: FakeEventSource[] = [];
  onmessage: ((m: MessageEvent) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  close() {
    this.closed = true;
  }
  emit(data: string) {
    this.onmessage?.({ data } as MessageEvent);
  }
}

beforeEach(() => {
  FakeEventSource.instances = [];
  sessionStorage.clear();
});

afterEach(() => {
  history.replaceState(null, '', '/');
});

function recorder(answer: unknown = { ok: true, value: 'v' }, status = 200) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchFn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return { calls, fetchFn: fetchFn as unknown as typeof fetch };
}

describe('createHttpClient', () => {
  it('posts each operation with its arguments as a JSON array and the bearer token', async () => {
    const { calls, fetchFn } = recorder();
    const api = createHttpClient({ token: 'tok', baseUrl: 'http://127.0.0.1:9/', fetch: fetchFn });
    expect(await api.getVideo('0123456789abcdef', 3)).toEqual({ ok: true, value: 'v' });
    await api.getReviewQueue('0123456789abcdef');
    await api.getReviewQueue('0123456789abcdef', 0.7);
    await api.listModels();
    await api.submitReview({ caseId: '0123456789abcdef', evidenceId: 1, frameIndex: 0, faceNo: 0, decision: null, examiner: 'E' });
    expect(calls.map((c) => [c.url, c.init.body])).toEqual([
      ['http://127.0.0.1:9/api/getVideo', '["0123456789abcdef",3]'],
      ['http://127.0.0.1:9/api/getReviewQueue', '["0123456789abcdef"]'],
      ['http://127.0.0.1:9/api/getReviewQueue', '["0123456789abcdef",0.7]'],
      ['http://127.0.0.1:9/api/listModels', '[]'],
      ['http://127.0.0.1:9/api/submitReview', '[{"caseId":"0123456789abcdef","evidenceId":1,"frameIndex":0,"faceNo":0,"decision":null,"examiner":"E"}]'],
    ]);
    expect(calls[0].init).toMatchObject({ method: 'POST', headers: { Authorization: 'Bearer tok', 'Content-Type': 'application/json' }, credentials: 'omit' });
    expect('pickFolder' in api).toBe(false);
  });

  it('passes error Results through and turns transport failures into host-unavailable', async () => {
    const err = { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong session token' } };
    expect(await createHttpClient({ token: 't', fetch: recorder(err, 401).fetchFn }).listRecentCases()).toEqual(err);
    const down = createHttpClient({ token: 't', fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof fetch });
    expect(await down.getCase('0123456789abcdef')).toMatchObject({ ok: false, error: { code: 'host-unavailable' } });
    const html = createHttpClient({ token: 't', fetch: (async () => new Response('<html>', { status: 502 })) as typeof fetch });
    expect(await html.getCase('0123456789abcdef')).toMatchObject({ ok: false, error: { code: 'host-unavailable' } });
    expect(await createHttpClient({ token: 't', fetch: recorder({ nope: 1 }).fetchFn }).listModels()).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('shares one event stream among subscribers and closes it with the last', () => {
    const api = createHttpClient({ token: 'a b', fetch: recorder().fetchFn, eventSource: FakeEventSource as never });
    const got: TaskEvent[][] = [[], []];
    const off1 = api.onTaskEvent((e) => got[0].push(e));
    const off2 = api.onTaskEvent((e) => got[1].push(e));
    expect(FakeEventSource.instances.map((s) => s.url)).toEqual(['/api/events?token=a%20b']);
    const ev: TaskEvent = { type: 'task-finished', taskId: 't', status: 'completed', error: null };
    const [source] = FakeEventSource.instances;
    source.emit(JSON.stringify(ev));
    source.emit('not json');
    expect(got).toEqual([[ev], [ev]]);
    off1();
    expect(source.closed).toBe(false);
    off2();
    expect(source.closed).toBe(true);
    api.onTaskEvent(() => {});
    expect(FakeEventSource.instances).toHaveLength(2);
  });
});

describe('takeSessionToken', () => {
  it('takes the token from the URL once, drops it from the address bar and keeps it for this tab', () => {
    history.replaceState(null, '', '/?token=secret-123&x=1#view=evidence&case=0123456789abcdef');
    expect(takeSessionToken()).toBe('secret-123');
    expect(location.search).toBe('?x=1');
    expect(location.hash).toBe('#view=evidence&case=0123456789abcdef');
    expect(sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('secret-123');
    // After a reload the address bar has no token: sessionStorage does.
    expect(takeSessionToken()).toBe('secret-123');
  });

  it('is null when the page was not opened from a serve URL', () => {
    expect(takeSessionToken()).toBeNull();
  });
});

describe('getApi in a browser without window.deepscan', () => {
  it('uses the HTTP client when the page has a session token, the disconnected client otherwise', async () => {
    vi.resetModules();
    const plain = await import('./api.js');
    expect(plain.isConnected(plain.getApi())).toBe(false);
    vi.resetModules();
    history.replaceState(null, '', '/?token=abc');
    const served = await import('./api.js');
    const api = served.getApi();
    expect(served.isConnected(api)).toBe(true);
    expect(typeof api.getVideo).toBe('function');
    expect(location.search).toBe('');
  });
});
