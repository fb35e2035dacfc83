/**
 * Builds the preload bundle exactly as `npm run build` does (preload/vite.config.ts), loads it
 * the way a sandboxed renderer does (CommonJS, a `require` that only knows 'electron') against
 * a fake electron, and checks what it exposes.
 */
import { build, type Rollup } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type DeepscanApi, type HostApi, type TaskEvent } from '../common/api.js';

type Listener = (event: unknown, payload: unknown) => void;

let outputText = '';

beforeAll(async () => {
  const out = (await build({
    configFile: new URL('./vite.config.ts', import.meta.url).pathname,
    logLevel: 'silent',
    build: { write: false, sourcemap: false },
  })) as Rollup.RollupOutput[] | Rollup.RollupOutput;
  const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((c) => c.type === 'chunk');
  expect(chunks.map((c) => c.fileName)).toEqual(['index.cjs']);
  outputText = chunks[0].code;
});

function loadPreload() {
  const exposed: Record<string, unknown> = {};
  const invokes: unknown[][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const required: string[] = [];
  const fakeElectron = {
    contextBridge: {
      exposeInMainWorld(key: string, value: unknown) {
        exposed[key] = value;
      },
    },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => (invokes.push(args), { ok: true, value: null }),
      on(channel: string, l: Listener) {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)?.add(l);
      },
      removeListener(channel: string, l: Listener) {
        listeners.get(channel)?.delete(l);
      },
    },
  };
  const sandboxRequire = (id: string): unknown => {
    required.push(id);
    if (id === 'electron') return fakeElectron;
    throw new Error(`module not available in a sandboxed preload: ${id}`);
  };
  const module = { exports: {} };
  new Function('require', 'module', 'exports', outputText)(sandboxRequire, module, module.exports);
  return { exposed, invokes, listeners, required };
}

describe('preload', () => {
  it('requires only electron (sandbox constraint) and exposes only window.deepscan', () => {
    const { exposed, required } = loadPreload();
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['deepscan']);
  });

  it('exposes one function per operation and nothing else (no ipcRenderer)', () => {
    const api = loadPreload().exposed.deepscan as Record<string, unknown>;
    const expected = Object.keys(IPC_CHANNELS)
      .filter((k) => k !== 'taskEvent')
      .concat('onTaskEvent')
      .sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('invokes the channel of IPC_CHANNELS with exactly the given argument', async () => {
    const { exposed, invokes } = loadPreload();
    const api = exposed.deepscan as DeepscanApi & HostApi;
    await api.openCase({ folder: '/e' });
    await api.listEvidence('c1');
    await api.getCase('c1');
    await api.startAnalysis({ caseId: 'c1', frames: 8 });
    await api.cancelAnalysis('t1');
    await api.pickFolder();
    await api.listRecentCases();
    await api.getVideo('c1', 3);
    await api.getFramePreview('c1', 4);
    await api.getFaceCrop('c1', 5);
    await api.getReviewQueue('c1');
    await api.getReviewQueue('c1', 0.75);
    await api.submitReview({ caseId: 'c1', evidenceId: 3, frameIndex: 0, faceNo: 1, decision: 'fake', examiner: 'E' });
    await api.listModels();
    await api.importModel('/m.pth');
    await api.getAudit('c1');
    expect(invokes).toEqual([
      [IPC_CHANNELS.openCase, { folder: '/e' }],
      [IPC_CHANNELS.listEvidence, 'c1'],
      [IPC_CHANNELS.getCase, 'c1'],
      [IPC_CHANNELS.startAnalysis, { caseId: 'c1', frames: 8 }],
      [IPC_CHANNELS.cancelAnalysis, 't1'],
      [IPC_CHANNELS.pickFolder],
      [IPC_CHANNELS.listRecentCases],
      [IPC_CHANNELS.getVideo, 'c1', 3],
      [IPC_CHANNELS.getFramePreview, 'c1', 4],
      [IPC_CHANNELS.getFaceCrop, 'c1', 5],
      [IPC_CHANNELS.getReviewQueue, 'c1'],
      [IPC_CHANNELS.getReviewQueue, 'c1', 0.75],
      [IPC_CHANNELS.submitReview, { caseId: 'c1', evidenceId: 3, frameIndex: 0, faceNo: 1, decision: 'fake', examiner: 'E' }],
      [IPC_CHANNELS.listModels],
      [IPC_CHANNELS.importModel, '/m.pth'],
      [IPC_CHANNELS.getAudit, 'c1'],
    ]);
  });

  it('uses exactly the channel names of IPC_CHANNELS, one per operation', async () => {
    const { exposed, invokes, listeners } = loadPreload();
    const api = exposed.deepscan as Record<string, (...a: unknown[]) => unknown>;
    const channels = IPC_CHANNELS as Record<string, string>;
    for (const [name, fn] of Object.entries(api)) {
      if (name === 'onTaskEvent') {
        fn(() => {});
        continue;
      }
      const before = invokes.length;
      await fn('x', 1);
      expect(invokes.length, name).toBe(before + 1);
      expect(invokes[before][0], name).toBe(channels[name]);
    }
    expect([...listeners.keys()]).toEqual([IPC_CHANNELS.taskEvent]);
    const used = [...invokes.map((c) => c[0] as string), ...listeners.keys()];
    expect(used.sort()).toEqual(Object.values(IPC_CHANNELS).sort());
  });

  it('onTaskEvent passes the payload only (not the IPC event) and unsubscribes', () => {
    const { exposed, listeners } = loadPreload();
    const api = exposed.deepscan as DeepscanApi;
    const got: unknown[][] = [];
    const off = api.onTaskEvent((...args: unknown[]) => got.push(args));
    const ev: TaskEvent = { type: 'task-started', taskId: 't1', caseId: 'c1', total: 3 };
    const subs = listeners.get(IPC_CHANNELS.taskEvent);
    expect(subs?.size).toBe(1);
    for (const l of subs ?? []) l({ sender: 'ipcRenderer!' }, ev);
    expect(got).toEqual([[ev]]);
    off();
    expect(subs?.size).toBe(0);
    expect(() => api.onTaskEvent('nope' as never)).toThrow(TypeError);
  });
});
