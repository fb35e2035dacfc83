/**
 * The engine protocol over a plain MessageChannel (what Electron's MessagePortMain carries
 * too), crash and shutdown handling of the client, the real worker thread, and the signing
 * key handoff of the desktop app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../../common/api.js';
import { ENGINE_OPERATIONS } from '../../../common/operations.js';
import { fail, ok } from '../../../common/result.js';
import { loadSigner, type KeyProtector } from '../case/signing-key.js';
import type { WorkstationService } from '../service/index.js';
import { createEngineClient, type EngineConnection, type EngineHost } from './client.js';
import { handedOverProtector, keyHandoff } from './key-handoff.js';
import { nodePortChannel, type EngineMessage, type HostMessage, type NodePortLike } from './protocol.js';
import { serveEngine } from './serve-engine.js';
import { startWorkerEngine } from './worker.js';

const CASE = '0123456789abcdef';

/** A service that answers getCase, runs a task that only ends when cancelled, and records calls. */
function fakeService() {
  const calls: [string, unknown[]][] = [];
  const listeners = new Set<(e: TaskEvent) => void>();
  const emit = (e: TaskEvent) => listeners.forEach((l) => l(e));
  let finish: (() => void) | null = null;
  const base = Object.fromEntries(ENGINE_OPERATIONS.map((op) => [op, async (...args: unknown[]) => (calls.push([op, args]), fail({ code: 'internal', message: `no ${op}` }))]));
  const service = {
    ...base,
    getCase: async (id: string) => (calls.push(['getCase', [id]]), ok({ id, name: 'n', number: null, examiner: null, folder: '/f', createdAt: 't', evidenceCount: 0 })),
    startAnalysis: async (req: { caseId: string }) => {
      calls.push(['startAnalysis', [req]]);
      emit({ type: 'task-started', taskId: 't1', caseId: req.caseId, total: 1 });
      finish = () => emit({ type: 'task-finished', taskId: 't1', status: 'cancelled', error: null });
      return ok({ taskId: 't1', caseId: req.caseId, status: 'running' as const });
    },
    cancelAll: async () => {
      calls.push(['cancelAll', []]);
      finish?.();
      finish = null;
    },
    onTaskEvent: (l: (e: TaskEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
  } as unknown as WorkstationService;
  return { service, calls };
}

/** An engine on the far end of a MessageChannel; `crash()` simulates the process dying. */
function channelEngine() {
  const { service, calls } = fakeService();
  let connects = 0;
  let crash: (reason: string) => void = () => {};
  const lanes: string[] = [];
  const connect = (lane: string): EngineConnection => {
    connects++;
    lanes.push(lane);
    const { port1, port2 } = new MessageChannel();
    const stop = serveEngine(nodePortChannel<HostMessage, EngineMessage>(port2 as unknown as NodePortLike), service);
    let onExit: (reason: string) => void = () => {};
    if (lane === 'tasks') crash = (reason) => {
      stop();
      port1.close();
      onExit(reason);
    };
    return {
      channel: nodePortChannel(port1 as unknown as NodePortLike),
      onExit: (l) => (onExit = l),
      terminate: async () => {
        stop();
        port1.close();
      },
    };
  };
  const client = createEngineClient(connect);
  return { client, calls, lanes, connects: () => connects, crash: (r: string) => crash(r) };
}

const opened: EngineHost[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

describe('engine protocol over a MessageChannel', () => {
  it('forwards operations by name with their arguments and answers their Results, each on its lane', async () => {
    const { client, calls, lanes } = channelEngine();
    opened.push(client);
    const r = await client.getCase(CASE);
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ id: CASE }) });
    expect(await client.listModels()).toEqual({ ok: false, error: { code: 'internal', message: 'no listModels' } });
    expect(calls).toEqual([['getCase', [CASE]], ['listModels', []]]);
    expect(lanes).toEqual(['queries']);
    await client.startAnalysis({ caseId: CASE });
    expect(lanes).toEqual(['queries', 'tasks']);
  });

  it('refuses names that are not engine operations of the table', async () => {
    const { service } = fakeService();
    const { port1, port2 } = new MessageChannel();
    serveEngine(nodePortChannel(port2 as unknown as NodePortLike), service);
    const answers: EngineMessage[] = [];
    port1.on('message', (m: EngineMessage) => answers.push(m));
    for (const op of ['pickFolder', 'cancelAll', 'constructor', '__proto__']) port1.postMessage({ t: 'call', id: 1, op, args: [] });
    await new Promise((r) => setTimeout(r, 50));
    port1.close();
    const results = answers.filter((m) => m.t === 'result');
    expect(results).toHaveLength(4);
    for (const m of results) expect(m.t === 'result' && !m.result.ok && m.result.error.code).toBe('invalid-argument');
  });

  it('streams task events and cancels everything on cancelAll', async () => {
    const { client, calls } = channelEngine();
    opened.push(client);
    const events: TaskEvent[] = [];
    client.onTaskEvent((e) => events.push(e));
    await client.startAnalysis({ caseId: CASE });
    await client.cancelAll();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.map((c) => c[0])).toEqual(['startAnalysis', 'cancelAll']);
    expect(events.map((e) => e.type)).toEqual(['task-started', 'task-finished']);
  });

  it('on a crash: pending calls reject with engine-crashed, running tasks fail, listeners hear it, the next call restarts', async () => {
    const { client, connects, crash } = channelEngine();
    opened.push(client);
    const events: TaskEvent[] = [];
    client.onTaskEvent((e) => events.push(e));
    await client.startAnalysis({ caseId: CASE });
    const pending = client.openCase({ folder: '/f' });
    crash('exit code 134');
    await expect(pending).rejects.toMatchObject({ code: 'engine-crashed' });
    expect(events.slice(1)).toEqual([
      { type: 'task-finished', taskId: 't1', status: 'failed', error: expect.stringMatching(/exit code 134/) },
      { type: 'engine-crashed', taskId: null, message: expect.stringMatching(/restarts with the next request/) },
    ]);
    expect(connects()).toBe(1);
    expect((await client.startAnalysis({ caseId: CASE })).ok).toBe(true);
    expect(connects()).toBe(2);
  });

  it('close() cancels running work, then refuses calls with engine-stopped', async () => {
    const { client, calls } = channelEngine();
    await client.startAnalysis({ caseId: CASE });
    await client.close();
    expect(calls.map((c) => c[0])).toEqual(['startAnalysis', 'cancelAll']);
    await expect(client.getCase(CASE)).rejects.toMatchObject({ code: 'engine-stopped' });
  });
});

describe('startWorkerEngine', () => {
  it('runs the real workstation service in a worker thread', async () => {
    const home = mkdtempSync(join(tmpdir(), 'deepscan-host-'));
    const engine = startWorkerEngine({ home });
    opened.push(engine);
    try {
      await engine.start();
      expect(await engine.listRecentCases()).toEqual({ ok: true, value: [] });
      const missing = await engine.getCase(CASE);
      expect(missing.ok || missing.error.code).toBe('case-missing');
      await engine.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('signing key handoff (desktop app)', () => {
  it('gives the engine a protector that unwraps to the installation key and cannot create one', () => {
    const home = mkdtempSync(join(tmpdir(), 'deepscan-key-'));
    try {
      const flip = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
      const keychain: KeyProtector = { name: 'test-keychain', wrap: flip, unwrap: flip };
      const handoff = keyHandoff(home, keychain);
      const inEngine = handedOverProtector(handoff);
      expect(inEngine.name).toBe('test-keychain');
      expect(loadSigner(home, inEngine).keyId).toBe(loadSigner(home, keychain).keyId);
      expect(() => inEngine.wrap(Buffer.alloc(1))).toThrow(/cannot create a signing key/);
      const wrong = handedOverProtector({ name: 'test-keychain', privateKey: Buffer.from('nope').toString('base64') });
      expect(() => loadSigner(home, wrong)).toThrow(/signing key/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the operation table and the service', () => {
  it('the workstation service implements every engine operation of the table', async () => {
    const { createWorkstationService } = await import('../service/index.js');
    const service = createWorkstationService({ home: join(tmpdir(), 'deepscan-never-created') }) as unknown as Record<string, unknown>;
    for (const op of ENGINE_OPERATIONS) expect(typeof service[op], op).toBe('function');
  });
});
