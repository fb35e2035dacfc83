/**
 * The loopback web host, started in-process on port 0 over the real workstation service (a
 * temporary DEEPSCAN_HOME, a small synthetic video, real ffmpeg and SQLite), hit with fetch
 * and, where a browser's requests cannot be forged with fetch (Host, raw paths), node:http.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary, EvidenceRow, TaskEvent } from '../../common/api.js';
import { CONTENT_SECURITY_POLICY } from '../security.js';
import { createWorkstationService, type WorkstationService } from '../engine/service/index.js';
import { makeTestVideo } from '../../test/helpers/make-media.js';
import { tempDir } from '../../test/helpers/paths.js';
import { createHttpClient } from '../../renderer/src/lib/http-client.js';
import { defaultRendererDir, startWebHost, tokenMatches, type WebHost } from './server.js';

let work: string;
let folder: string;
let service: WorkstationService;
let host: WebHost;

beforeAll(async () => {
  work = tempDir('deepscan-web-');
  folder = join(work, 'evidence');
  mkdirSync(folder);
  makeTestVideo(join(folder, 'clip.mp4'), { width: 96, height: 64, frames: 6 });
  const renderer = join(work, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Deepscan</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log("app");');
  writeFileSync(join(work, 'secret.txt'), 'TOP SECRET');
  service = createWorkstationService({ home: join(work, 'home') });
  host = await startWebHost({ service, rendererDir: renderer });
});

afterAll(async () => {
  await host?.close();
  await service?.cancelAll();
  rmSync(work, { recursive: true, force: true });
});

function api(op: string, args: unknown[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${host.origin}/api/${op}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
}

async function call<T>(op: string, ...args: unknown[]): Promise<T> {
  const res = await api(op, args);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { ok: boolean; value: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${op}: ${body.error?.message}`);
  return body.value;
}

/** A raw request: exact path and headers (Host included), as no browser-side fetch allows. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, method, path, headers: { Host: `127.0.0.1:${host.port}`, ...headers }, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('static files', () => {
  it('serves the renderer with the desktop CSP and the hardening headers', async () => {
    const res = await fetch(`${host.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('<title>Deepscan</title>');
    const js = await fetch(`${host.origin}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('refuses directory traversal, encoded or not', async () => {
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..\\secret.txt', '/%00', '/assets/']) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('TOP SECRET');
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    }
    expect((await raw('GET', 'http://127.0.0.1/secret.txt')).status).toBe(400);
    expect((await raw('POST', '/index.html')).status).toBe(405);
  });
});

describe('access control', () => {
  it('requires the session token on every API request (401 as JSON)', async () => {
    const none = await fetch(`${host.origin}/api/listRecentCases`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect((await api('listRecentCases', [], { Authorization: `Bearer ${host.token}x` })).status).toBe(401);
    expect((await api('listRecentCases', [], { Authorization: host.token })).status).toBe(401);
    // The query token is for the event stream only (EventSource cannot set headers).
    const query = await fetch(`${host.origin}/api/listRecentCases?token=${host.token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    expect(query.status).toBe(401);
    expect((await fetch(`${host.origin}/api/events`)).status).toBe(401);
    expect((await fetch(`${host.origin}/api/events?token=wrong`)).status).toBe(401);
    expect(tokenMatches(host.token, host.token)).toBe(true);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses foreign Host headers (DNS rebinding), also with the right token', async () => {
    const auth = { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' };
    for (const h of ['evil.example', `evil.example:${host.port}`, `127.0.0.1:${host.port + 1}`, '127.0.0.1', `0.0.0.0:${host.port}`]) {
      const res = await raw('POST', '/api/listRecentCases', { ...auth, Host: h }, '[]');
      expect(res.status, h).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect((await raw('GET', '/', { Host: h })).status, h).toBe(403);
    }
    expect((await raw('POST', '/api/listRecentCases', { ...auth, Host: `localhost:${host.port}` }, '[]')).status).toBe(200);
  });

  it('refuses cross-origin requests', async () => {
    expect((await api('listRecentCases', [], { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await api('listRecentCases', [], { Origin: 'null' })).status).toBe(403);
    expect((await api('listRecentCases', [], { Origin: `http://127.0.0.1:${host.port + 1}` })).status).toBe(403);
    expect((await api('listRecentCases', [], { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await api('listRecentCases', [], { Origin: host.origin, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
  });
});

describe('operations', () => {
  it('validates arguments exactly as the IPC does', async () => {
    const bad = await api('getVideo', ['../../etc', 1]);
    expect(bad.status).toBe(200);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await (await api('openCase', [{ folder: 'relative' }])).json()).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await (await api('getReviewQueue', ['0123456789abcdef', 2])).json()).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await (await api('pickFolder', [])).json()).toMatchObject({ ok: false, error: { code: 'unsupported' } });
  });

  it('answers malformed requests with JSON errors', async () => {
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${host.origin}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': type }, body });
    const cases: [Response, number, string][] = [
      [await post('/api/listEvidence', '{not json'), 400, 'invalid-argument'],
      [await post('/api/listEvidence', '{"caseId":"x"}'), 400, 'invalid-argument'],
      [await post('/api/listEvidence', '["0123456789abcdef"]', 'text/plain'), 415, 'unsupported-media-type'],
      [await post('/api/nope', '[]'), 404, 'not-found'],
      [await post('/api/taskEvent', '[]'), 404, 'not-found'],
      [await post('/api/__proto__', '[]'), 404, 'not-found'],
      [await post('/api/constructor', '[]'), 404, 'not-found'],
      [await post('/api/openCase', JSON.stringify([{ folder: `/${'x'.repeat(300_000)}` }])), 413, 'payload-too-large'],
      [await fetch(`${host.origin}/api/listRecentCases`, { headers: { Authorization: `Bearer ${host.token}` } }), 405, 'method-not-allowed'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status, code).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toMatchObject({ ok: false, error: { code } });
    }
  });

  it('opens a case and lists its evidence (real round trip)', async () => {
    const summary = await call<CaseSummary>('openCase', { folder, name: 'Web case' });
    expect(summary).toMatchObject({ name: 'Web case', evidenceCount: 1 });
    expect(summary.id).toMatch(/^[0-9a-f]{16}$/);
    const rows = await call<EvidenceRow[]>('listEvidence', summary.id);
    expect(rows).toMatchObject([{ path: 'clip.mp4', kind: 'video', status: 'pending', faces: 0, sampledFrames: 0 }]);
    expect(await call<CaseSummary[]>('listRecentCases')).toEqual([summary]);
  });
});

describe('task events', () => {
  it('streams task events over Server-Sent Events', async () => {
    const summary = await call<CaseSummary>('openCase', { folder });
    const events: TaskEvent[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${encodeURIComponent(host.token)}`, headers: { Accept: 'text/event-stream' } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as TaskEvent);
            if (events.some((e) => e.type === 'task-finished')) {
              req.destroy();
              resolve();
            }
          }
        });
      });
      req.on('error', (e) => (events.some((x) => x.type === 'task-finished') ? resolve() : reject(e)));
      req.end();
    });
    await waitFor(() => host.eventStreams() === 1);
    const task = await call<{ taskId: string; status: string }>('startAnalysis', { caseId: summary.id, frames: 1, examiner: 'E. Examiner' });
    expect(task.status).toBe('running');
    await finished;
    expect(events[0]).toMatchObject({ taskId: task.taskId });
    expect(events.find((e) => e.type === 'task-started')).toMatchObject({ caseId: summary.id, total: 1 });
    expect(events[events.length - 1]).toMatchObject({ type: 'task-finished', status: 'completed' });
    await waitFor(() => host.eventStreams() === 0);
    expect(await call<EvidenceRow[]>('listEvidence', summary.id)).toMatchObject([{ status: 'analyzed', sampledFrames: 1 }]);
  });
});

/** Just enough of EventSource over node:http for the renderer's client (Node 20 has none). */
class NodeEventSource {
  onmessage: ((m: MessageEvent) => void) | null = null;
  private readonly req;
  constructor(url: string) {
    this.req = request(url, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of block.split('\n')) if (line.startsWith('data: ')) this.onmessage?.({ data: line.slice(6) } as MessageEvent);
        }
      });
    });
    this.req.on('error', () => {});
    this.req.end();
  }
  close() {
    this.req.destroy();
  }
}

describe('the renderer\'s HTTP client', () => {
  it('drives the host: operations, validation errors and task events', async () => {
    const client = createHttpClient({ token: host.token, baseUrl: host.origin, eventSource: NodeEventSource as never });
    const opened = await client.openCase({ folder });
    expect(opened).toMatchObject({ ok: true, value: { evidenceCount: 1 } });
    if (!opened.ok) return;
    expect(await client.getReviewQueue(opened.value.id)).toEqual({ ok: true, value: [] });
    expect(await client.getVideo(opened.value.id, 0)).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect((await client.getAudit(opened.value.id)).ok).toBe(true);
    const events: TaskEvent[] = [];
    const off = client.onTaskEvent((e) => events.push(e));
    await waitFor(() => host.eventStreams() === 1);
    const started = await client.startAnalysis({ caseId: opened.value.id, frames: 1, examiner: 'E. Examiner' });
    expect(started.ok).toBe(true);
    await waitFor(() => events.some((e) => e.type === 'task-finished'), 60_000);
    off();
    await waitFor(() => host.eventStreams() === 0);
    const bad = createHttpClient({ token: 'wrong', baseUrl: host.origin });
    expect(await bad.listModels()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });
});

describe('defaultRendererDir', () => {
  it('finds the built renderer, never the renderer source folder', () => {
    const root = join(work, 'layout');
    mkdirSync(join(root, 'renderer'), { recursive: true });
    writeFileSync(join(root, 'renderer', 'index.html'), '<script src="./src/main.ts"></script>'); // source, not a build
    mkdirSync(join(root, 'main', 'web'), { recursive: true });
    expect(defaultRendererDir(join(root, 'main', 'web'))).toBeNull();
    mkdirSync(join(root, 'dist', 'renderer'), { recursive: true });
    writeFileSync(join(root, 'dist', 'renderer', 'index.html'), '<!doctype html>');
    expect(defaultRendererDir(join(root, 'main', 'web'))).toBe(join(root, 'dist', 'renderer'));
    expect(defaultRendererDir(join(root, 'dist', 'main', 'web'))).toBe(join(root, 'dist', 'renderer'));
  });
});

describe('event stream cap', () => {
  it('refuses streams beyond the cap with 503 and a JSON error, and frees a slot when one closes', async () => {
    const capped = await startWebHost({ service, rendererDir: null, maxEventStreams: 2 });
    try {
      const url = `${capped.origin}/api/events?token=${capped.token}`;
      const first = new AbortController();
      const a = await fetch(url, { signal: first.signal });
      const b = await fetch(url);
      expect([a.status, b.status]).toEqual([200, 200]);
      await waitFor(() => capped.eventStreams() === 2);
      const refused = await fetch(url);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/application\/json/);
      expect(await refused.json()).toMatchObject({ ok: false, error: { code: 'too-many-streams' } });
      expect(capped.eventStreams()).toBe(2);
      first.abort(); // the browser goes away: its slot is released
      await a.text().catch(() => undefined);
      await waitFor(() => capped.eventStreams() === 1);
      const again = await fetch(url);
      expect(again.status).toBe(200);
      await waitFor(() => capped.eventStreams() === 2);
    } finally {
      await capped.close();
    }
    expect(capped.eventStreams()).toBe(0);
  });
});

describe('shutdown', () => {
  it('ends open event streams and stops listening', async () => {
    const other = await startWebHost({ service, rendererDir: null });
    const res = await fetch(`${other.origin}/api/events?token=${other.token}`);
    expect(res.status).toBe(200);
    expect((await fetch(`${other.origin}/`)).status).toBe(404);
    await waitFor(() => other.eventStreams() === 1);
    await other.close();
    expect(other.eventStreams()).toBe(0);
    await res.text(); // the stream ended
    await expect(fetch(`${other.origin}/`)).rejects.toThrow();
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
