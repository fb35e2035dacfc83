/**
 * register.ts against a fake `electron` module: which frames may call, what reaches the
 * handlers, how task events are forwarded, and that disposal removes everything.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS, type DeepscanApi, type TaskEvent } from '../../common/api.js';
import { ok } from '../../common/result.js';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;
const handlers = new Map<string, Handler>();
const dialogCalls: unknown[] = [];

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  },
  dialog: {
    showOpenDialog: async (...args: unknown[]) => {
      dialogCalls.push(args);
      return { canceled: false, filePaths: ['/cases/picked'] };
    },
  },
}));

const { registerIpc } = await import('./register.js');

function fakeWindow() {
  const sent: unknown[][] = [];
  const webContents = { send: (...a: unknown[]) => sent.push(a), isDestroyed: () => false };
  const win = { webContents, isDestroyed: () => false, sent };
  return win;
}

function fakeService() {
  const listeners = new Set<(e: TaskEvent) => void>();
  const calls: unknown[] = [];
  const service: DeepscanApi = {
    openCase: async (req) => (calls.push(req), ok({ id: 'c1' } as never)),
    listEvidence: async (id) => (calls.push(id), ok([])),
    getCase: async () => ok({ id: 'c1' } as never),
    startAnalysis: async () => ok({ taskId: 't', caseId: 'c1', status: 'running' }),
    cancelAnalysis: async () => ok({ taskId: 't', caseId: 'c1', status: 'cancelled' }),
    listRecentCases: async () => ok([]),
    getVideo: async () => ok({} as never),
    getFramePreview: async () => ok('data:image/jpeg;base64,'),
    getFaceCrop: async () => ok('data:image/png;base64,'),
    getReviewQueue: async () => ok([]),
    submitReview: async () => ok({} as never),
    listModels: async () => ok([]),
    importModel: async () => ok({} as never),
    getAudit: async () => ok({} as never),
    getFaceOverlays: async () => ok({ mask: null, heatmap: null }),
    computeHeatmap: async () => ok({ mask: null, heatmap: null }),
    compareVideos: async () => ok({} as never),
    exportReport: async () => ok({} as never),
    getReportFile: async () => ok({} as never),
    saveReportCopy: async () => ok({} as never),
    getPlaybackCopy: async () => ok(null),
    makePlaybackCopy: async () => ok({} as never),
    cancelPlaybackCopy: async () => ok({ cancelled: false }),
    listComparisons: async () => ok([]),
    updateCaseDetails: async () => ok({} as never),
    undoLastReview: async () => ok({} as never),
    getCategoryLabels: async () => ok([]),
    setCategoryLabel: async () => ok([]),
    onTaskEvent: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  return { service, listeners, calls };
}

const frame = (url: string, parent: unknown = null) => ({ url, parent });

describe('registerIpc', () => {
  beforeEach(() => {
    handlers.clear();
    dialogCalls.length = 0;
  });

  it('registers one handler per invoke channel and removes them on dispose', () => {
    const { service, listeners } = fakeService();
    const dispose = registerIpc({ service, window: fakeWindow() as never });
    const expected = Object.entries(IPC_CHANNELS)
      .filter(([k]) => k !== 'taskEvent')
      .map(([, v]) => v)
      .sort();
    expect([...handlers.keys()].sort()).toEqual(expected);
    expect(listeners.size).toBe(1);
    dispose();
    expect(handlers.size).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('accepts calls from the top frame of our window at app://deepscan, validated', async () => {
    const { service, calls } = fakeService();
    const win = fakeWindow();
    registerIpc({ service, window: win as never });
    const event = { sender: win.webContents, senderFrame: frame('app://deepscan/index.html') };
    const open = handlers.get(IPC_CHANNELS.openCase);
    expect(await open?.(event, { folder: '/cases/x' })).toEqual(ok({ id: 'c1' }));
    expect(calls).toEqual([{ folder: '/cases/x' }]);
    const bad = (await open?.(event, { folder: 'x' })) as { ok: boolean; error: { code: string } };
    expect(bad.error.code).toBe('invalid-argument');
    expect(calls).toHaveLength(1);
  });

  it('refuses other origins, subframes, other web contents and destroyed frames', async () => {
    const { service, calls } = fakeService();
    const win = fakeWindow();
    registerIpc({ service, window: win as never });
    const list = handlers.get(IPC_CHANNELS.listEvidence);
    const hostile = [
      { sender: win.webContents, senderFrame: frame('https://evil.example/') },
      { sender: win.webContents, senderFrame: frame('file:///tmp/x.html') },
      { sender: win.webContents, senderFrame: frame('app://deepscan/index.html', frame('app://deepscan/')) },
      { sender: win.webContents, senderFrame: null },
      { sender: { other: true }, senderFrame: frame('app://deepscan/index.html') },
    ];
    for (const event of hostile) {
      expect(await list?.(event, '0123456789abcdef')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(calls).toEqual([]);
  });

  it('forwards task events to the window', () => {
    const { service, listeners } = fakeService();
    const win = fakeWindow();
    registerIpc({ service, window: win as never });
    const ev: TaskEvent = { type: 'task-finished', taskId: 't', status: 'completed', error: null };
    for (const l of listeners) l(ev);
    expect(win.sent).toEqual([[IPC_CHANNELS.taskEvent, ev]]);
  });

  it('pickFolder opens the native dialog on our window', async () => {
    const { service } = fakeService();
    const win = fakeWindow();
    registerIpc({ service, window: win as never });
    const event = { sender: win.webContents, senderFrame: frame('app://deepscan/index.html') };
    expect(await handlers.get(IPC_CHANNELS.pickFolder)?.(event)).toEqual(ok('/cases/picked'));
    expect(dialogCalls[0]).toEqual([win, expect.objectContaining({ properties: expect.arrayContaining(['openDirectory']) })]);
  });
});
