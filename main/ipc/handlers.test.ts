import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type CaseSummary, type DeepscanApi, type TaskInfo } from '../../common/api.js';
import { fail, ok } from '../../common/result.js';
import { createIpcHandlers, toApiError } from './handlers.js';

const ABS = process.platform === 'win32' ? 'C:\\evidence' : '/evidence';

const summary: CaseSummary = {
  id: 'c1',
  name: 'Case',
  number: null,
  examiner: null,
  folder: ABS,
  createdAt: '2026-11-24T00:00:00Z',
  evidenceCount: 0,
};
const task: TaskInfo = { taskId: 't1', caseId: 'c1', status: 'running' };

/** Records calls; behaviour per operation can be swapped by a test. */
function recorder(overrides: Partial<DeepscanApi> = {}) {
  const calls: [string, unknown][] = [];
  const service: DeepscanApi = {
    openCase: async (req) => (calls.push(['openCase', req]), ok(summary)),
    listEvidence: async (id) => (calls.push(['listEvidence', id]), ok([])),
    getCase: async (id) => (calls.push(['getCase', id]), ok(summary)),
    startAnalysis: async (req) => (calls.push(['startAnalysis', req]), ok(task)),
    cancelAnalysis: async (id) => (calls.push(['cancelAnalysis', id]), ok({ ...task, status: 'cancelled' })),
    onTaskEvent: () => () => {},
    ...overrides,
  };
  return { service, calls };
}

describe('createIpcHandlers', () => {
  it('exposes exactly one handler per invoke channel (no task-event handler, no generic channel)', () => {
    const handlers = createIpcHandlers(recorder().service);
    const expected = Object.entries(IPC_CHANNELS)
      .filter(([op]) => op !== 'taskEvent')
      .map(([, ch]) => ch)
      .sort();
    expect(Object.keys(handlers).sort()).toEqual(expected);
  });

  it('forwards valid requests unchanged and returns the service result', async () => {
    const { service, calls } = recorder();
    const h = createIpcHandlers(service);
    expect(await h[IPC_CHANNELS.openCase]([{ folder: ABS, name: 'N' }])).toEqual(ok(summary));
    expect(await h[IPC_CHANNELS.listEvidence](['c1'])).toEqual(ok([]));
    expect(await h[IPC_CHANNELS.getCase](['c1'])).toEqual(ok(summary));
    expect(await h[IPC_CHANNELS.startAnalysis]([{ caseId: 'c1', frames: 16 }])).toEqual(ok(task));
    expect((await h[IPC_CHANNELS.cancelAnalysis](['t1'])).ok).toBe(true);
    expect(calls).toEqual([
      ['openCase', { folder: ABS, name: 'N' }],
      ['listEvidence', 'c1'],
      ['getCase', 'c1'],
      ['startAnalysis', { caseId: 'c1', frames: 16 }],
      ['cancelAnalysis', 't1'],
    ]);
  });

  it('rejects hostile input before it reaches the service', async () => {
    const { service, calls } = recorder();
    const h = createIpcHandlers(service);
    const hostile: [keyof typeof h, unknown[]][] = [
      [IPC_CHANNELS.openCase, []],
      [IPC_CHANNELS.openCase, [{ folder: 'relative/path' }]],
      [IPC_CHANNELS.openCase, [{ folder: ABS }, 'extra']],
      [IPC_CHANNELS.openCase, [{ folder: ABS, shell: 'rm -rf /' }]],
      [IPC_CHANNELS.openCase, [{ folder: `${ABS}\u0000` }]],
      [IPC_CHANNELS.openCase, [{ folder: ABS, name: 'x'.repeat(10_000) }]],
      [IPC_CHANNELS.openCase, ['__proto__']],
      [IPC_CHANNELS.listEvidence, [{ caseId: 'c1' }]],
      [IPC_CHANNELS.listEvidence, ['../../other-case']],
      [IPC_CHANNELS.getCase, [null]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: 'c1', frames: 0 }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: 'c1', frames: 1001 }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: 'c1', frames: 2.5 }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: 'c1', frames: '32' }]],
      [IPC_CHANNELS.cancelAnalysis, [42]],
      [IPC_CHANNELS.pickFolder, ['/etc']],
    ];
    for (const [channel, args] of hostile) {
      const r = await h[channel](args);
      expect(r.ok, `${channel} ${JSON.stringify(args).slice(0, 80)}`).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid-argument');
    }
    expect(calls).toEqual([]);
  });

  it('turns thrown coded errors into plain {code, message, file}', async () => {
    class DeepscanLikeError extends Error {
      code = 'file-unreadable';
      file = 'clips/a.mp4';
      secret = 'internal detail';
    }
    const { service } = recorder({
      listEvidence: async () => {
        throw new DeepscanLikeError('Cannot read clips/a.mp4: permission denied');
      },
    });
    const r = await createIpcHandlers(service)[IPC_CHANNELS.listEvidence](['c1']);
    expect(r).toEqual({
      ok: false,
      error: { code: 'file-unreadable', message: 'Cannot read clips/a.mp4: permission denied', file: 'clips/a.mp4' },
    });
  });

  it('never leaks stack traces or causes; unknown errors become "internal" and are logged', async () => {
    const logged: string[] = [];
    const boom = new TypeError('x is undefined', { cause: new Error('deep') });
    const { service } = recorder({
      startAnalysis: async () => {
        throw boom;
      },
      cancelAnalysis: () => {
        throw 'plain string';
      },
    });
    const h = createIpcHandlers(service, { log: (m) => logged.push(m) });
    const r = await h[IPC_CHANNELS.startAnalysis]([{ caseId: 'c1' }]);
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'startAnalysis failed: x is undefined' } });
    expect(JSON.stringify(r)).not.toMatch(/at |stack|deep/);
    const r2 = await h[IPC_CHANNELS.cancelAnalysis](['t1']);
    expect(r2).toEqual({ ok: false, error: { code: 'internal', message: 'cancelAnalysis failed: plain string' } });
    expect(logged).toHaveLength(2);
    // Node system errors (upper-case codes) are not passed through as API codes.
    expect(toApiError(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), 'op').code).toBe('internal');
  });

  it('reshapes error results returned by the service (extra fields dropped)', async () => {
    const { service } = recorder({
      getCase: async () =>
        fail({ code: 'case-missing', message: 'No case c9.', stack: 'Error\n at x', file: 'a' } as never),
    });
    const r = await createIpcHandlers(service)[IPC_CHANNELS.getCase](['c9']);
    expect(r).toEqual({ ok: false, error: { code: 'case-missing', message: 'No case c9.', file: 'a' } });
  });

  it('rejects a service value that is not a Result', async () => {
    const { service } = recorder({ listEvidence: async () => [] as never });
    const r = await createIpcHandlers(service)[IPC_CHANNELS.listEvidence](['c1']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('internal');
  });

  it('pickFolder uses the host when there is one, and reports "unsupported" otherwise', async () => {
    const { service } = recorder();
    expect(await createIpcHandlers(service)[IPC_CHANNELS.pickFolder]([])).toMatchObject({
      ok: false,
      error: { code: 'unsupported' },
    });
    const h = createIpcHandlers(service, { host: { pickFolder: async () => ABS } });
    expect(await h[IPC_CHANNELS.pickFolder]([])).toEqual(ok(ABS));
    const cancelled = createIpcHandlers(service, { host: { pickFolder: async () => null } });
    expect(await cancelled[IPC_CHANNELS.pickFolder]([])).toEqual(ok(null));
  });
});
