import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { fail } from '../../../common/result.js';
import { CaseState, countByStatus } from './case-state.svelte.js';
import { fakeApi, ROWS, SUMMARY } from './test-fakes.js';

const FORM = { folder: ' /cases/2026-0042/evidence ', name: ' Harbour fraud ', number: '', examiner: 'J. Doe' };

async function opened() {
  const api = fakeApi();
  const s = new CaseState(api);
  const off = s.connect();
  expect(await s.open(FORM)).toBe(true);
  return { api, s, off };
}

describe('CaseState', () => {
  it('opens a case with trimmed fields, omits empty ones, then loads the evidence', async () => {
    const { api, s } = await opened();
    expect(api.calls.slice(0, 2)).toEqual([
      ['openCase', { folder: '/cases/2026-0042/evidence', name: 'Harbour fraud', examiner: 'J. Doe' }],
      ['listEvidence', 'case-1'],
    ]);
    expect(s.caseSummary).toEqual(SUMMARY);
    expect(s.evidence.map((r) => r.path)).toEqual(ROWS.map((r) => r.path));
    expect(s.busy).toBe(null);
  });

  it('refuses an empty folder without calling the engine', async () => {
    const api = fakeApi();
    const s = new CaseState(api);
    expect(await s.open({ ...FORM, folder: '  ' })).toBe(false);
    expect(s.error?.code).toBe('invalid-argument');
    expect(api.calls).toEqual([]);
  });

  it('surfaces engine errors (code, message, file) and thrown errors', async () => {
    const api = fakeApi({
      openCase: async () => fail({ code: 'folder-missing', message: 'No folder /x.', file: '/x' }),
    });
    const s = new CaseState(api);
    expect(await s.open(FORM)).toBe(false);
    expect(s.error).toEqual({ code: 'folder-missing', message: 'No folder /x.', file: '/x' });
    expect(s.caseSummary).toBe(null);

    const s2 = new CaseState(
      fakeApi({
        openCase: async () => {
          throw new Error('IPC channel closed');
        },
      }),
    );
    await s2.open(FORM);
    expect(s2.error).toEqual({ code: 'internal', message: 'IPC channel closed' });
  });

  it('validates frames before starting', async () => {
    const { api, s } = await opened();
    for (const bad of [0, 1001, 2.5, Number.NaN]) {
      s.frames = bad;
      await s.start();
      expect(s.error?.code).toBe('invalid-argument');
    }
    expect(api.calls.some(([op]) => op === 'startAnalysis')).toBe(false);
    s.frames = 16;
    await s.start();
    expect(api.calls).toContainEqual(['startAnalysis', { caseId: 'case-1', frames: 16 }]);
    expect(s.error).toBe(null);
  });

  it('starts a queued analysis when a job-queue URL is given (issue 14), trimmed; empty means this machine', async () => {
    const { api, s } = await opened();
    s.queue = '  redis://:secret@lab-queue:6379  ';
    await s.start('E. Examiner');
    expect(api.calls).toContainEqual(['startAnalysis', { caseId: 'case-1', frames: 32, examiner: 'E. Examiner', queue: 'redis://:secret@lab-queue:6379' }]);
  });

  it('follows a task through its events and refreshes the list at the end', async () => {
    const { api, s } = await opened();
    await s.start();
    expect(s.task).toMatchObject({ taskId: 'task-1', status: 'running' });
    expect(s.running).toBe(true);

    api.emit({ type: 'task-started', taskId: 'task-1', caseId: 'case-1', total: 2 });
    api.emit({
      type: 'item-progress',
      taskId: 'task-1',
      evidencePath: 'clips/interview.mp4',
      stage: 'faces',
      fraction: 0.5,
      done: 0,
      total: 2,
    });
    flushSync();
    expect(s.progress['clips/interview.mp4']).toEqual({ phase: 'running', stage: 'faces', fraction: 0.5 });
    expect(s.task).toMatchObject({ total: 2, currentPath: 'clips/interview.mp4', stage: 'faces' });

    // Events of another task are ignored.
    api.emit({ type: 'item-finished', taskId: 'other', evidencePath: 'clips/interview.mp4', status: 'unreadable', error: 'x', skipped: false });
    expect(s.evidence[0].status).toBe('pending');

    api.emit({ type: 'item-finished', taskId: 'task-1', evidencePath: 'clips/interview.mp4', status: 'analyzed', error: null, skipped: false });
    api.emit({ type: 'item-finished', taskId: 'task-1', evidencePath: 'clips/broken.mov', status: 'unreadable', error: 'moov atom not found', skipped: false });
    expect(s.evidence[0].status).toBe('analyzed');
    expect(s.evidence[1]).toMatchObject({ status: 'unreadable', error: 'moov atom not found' });
    expect(s.task).toMatchObject({ finished: 2, done: 2, currentPath: null });

    api.rows[0] = { ...api.rows[0], status: 'analyzed', faces: 3, sampledFrames: 32 };
    const before = api.calls.filter(([op]) => op === 'listEvidence').length;
    api.emit({ type: 'task-finished', taskId: 'task-1', status: 'completed', error: null });
    expect(s.running).toBe(false);
    await new Promise((r) => setTimeout(r, 0));
    expect(api.calls.filter(([op]) => op === 'listEvidence').length).toBe(before + 1);
    expect(s.evidence[0]).toMatchObject({ faces: 3, sampledFrames: 32 });
  });

  it('adopts a task whose events arrive before startAnalysis answers', async () => {
    const api = fakeApi();
    const s = new CaseState(api);
    s.connect();
    await s.open(FORM);
    api.startAnalysis = async (req) => {
      api.emit({ type: 'task-started', taskId: 'early', caseId: req.caseId, total: 5 });
      return { ok: true, value: { taskId: 'early', caseId: req.caseId, status: 'running' } };
    };
    await s.start();
    expect(s.task).toMatchObject({ taskId: 'early', status: 'running', total: 5 });
  });

  it('cancels the running task', async () => {
    const { api, s } = await opened();
    await s.start();
    await s.cancel();
    expect(api.calls).toContainEqual(['cancelAnalysis', 'task-1']);
    expect(s.task?.status).toBe('cancelled');
    expect(s.running).toBe(false);
  });

  it('unsubscribes from task events', async () => {
    const { api, off } = await opened();
    expect(api.listeners.size).toBe(1);
    off();
    expect(api.listeners.size).toBe(0);
  });

  it('offers Browse only when the host has a folder picker', async () => {
    expect(new CaseState(fakeApi({}, false)).canBrowse).toBe(false);
    const s = new CaseState(fakeApi());
    expect(s.canBrowse).toBe(true);
    expect(await s.browse()).toBe('/picked/folder');
  });

  it('counts statuses', () => {
    expect(countByStatus(ROWS)).toEqual({ pending: 2, analyzed: 0, unreadable: 0, 'not-media': 1, 'integrity-failed': 0 });
  });
});

describe('CaseState progress', () => {
  it('keeps one item running: an earlier one goes back to waiting when the next starts', async () => {
    const api = fakeApi();
    const s = new CaseState(api);
    s.connect();
    await s.open(FORM);
    await s.start();
    api.emit({ type: 'task-started', taskId: 'task-1', caseId: 'case-1', total: 2 });
    const progress = (path: string) => ({ type: 'item-progress' as const, taskId: 'task-1', evidencePath: path, stage: 'verify', fraction: 0.5, done: 0, total: 2 });
    api.emit(progress('clips/interview.mp4'));
    api.emit(progress('clips/broken.mov'));
    expect(Object.keys(s.progress)).toEqual(['clips/broken.mov']);
    api.emit({ type: 'item-finished', taskId: 'task-1', evidencePath: 'clips/broken.mov', status: 'analyzed', error: null, skipped: false });
    api.emit(progress('clips/interview.mp4'));
    expect(s.progress['clips/broken.mov'].phase).toBe('finished');
    expect(s.progress['clips/interview.mp4'].phase).toBe('running');
  });
});
