import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type AuditView, type CaseSummary, type DeepscanApi, type ModelInfo, type ReviewInfo, type TaskInfo, type VideoDetail } from '../../common/api.js';
import { fail, ok } from '../../common/result.js';
import { createIpcHandlers, toApiError } from './handlers.js';

const ABS = process.platform === 'win32' ? 'C:\\evidence' : '/evidence';
const CASE = '0123456789abcdef';

const summary: CaseSummary = {
  id: CASE,
  name: 'Case',
  number: null,
  examiner: null,
  folder: ABS,
  createdAt: '2026-11-24T00:00:00Z',
  evidenceCount: 0,
};
const task: TaskInfo = { taskId: 't1', caseId: CASE, status: 'running' };
const video = { evidence: {}, frames: [] } as unknown as VideoDetail;
const review: ReviewInfo = { decision: 'fake', category: 2, note: null, examiner: 'E', at: '2026-11-24T00:00:00Z' };
const model = { id: 'efficientnet-b0-0123' } as ModelInfo;
const audit: AuditView = { ok: true, entries: 0, headHash: '0'.repeat(64), firstBadSeq: null, problem: null, items: [] };

/** Records calls; behaviour per operation can be swapped by a test. */
function recorder(overrides: Partial<DeepscanApi> = {}) {
  const calls: [string, unknown][] = [];
  const service: DeepscanApi = {
    openCase: async (req) => (calls.push(['openCase', req]), ok(summary)),
    listEvidence: async (id) => (calls.push(['listEvidence', id]), ok([])),
    getCase: async (id) => (calls.push(['getCase', id]), ok(summary)),
    startAnalysis: async (req) => (calls.push(['startAnalysis', req]), ok(task)),
    cancelAnalysis: async (id) => (calls.push(['cancelAnalysis', id]), ok({ ...task, status: 'cancelled' })),
    listRecentCases: async () => (calls.push(['listRecentCases', null]), ok([summary])),
    getVideo: async (id, ev) => (calls.push(['getVideo', [id, ev]]), ok(video)),
    getFramePreview: async (id, fr) => (calls.push(['getFramePreview', [id, fr]]), ok('data:image/jpeg;base64,AA==')),
    getFaceCrop: async (id, f) => (calls.push(['getFaceCrop', [id, f]]), ok('data:image/png;base64,AA==')),
    getReviewQueue: async (id, t) => (calls.push(['getReviewQueue', [id, t]]), ok([])),
    submitReview: async (req) => (calls.push(['submitReview', req]), ok(review)),
    listModels: async () => (calls.push(['listModels', null]), ok([model])),
    importModel: async (path) => (calls.push(['importModel', path]), ok(model)),
    listComparisons: async (id, ev) => (calls.push(['listComparisons', [id, ev]]), ok([])),
    updateCaseDetails: async (id, d, ex) => (calls.push(['updateCaseDetails', [id, d, ex]]), ok(summary)),
    undoLastReview: async (id, ex, face) => (calls.push(['undoLastReview', [id, ex, face]]), ok({ evidenceId: 1, frameIndex: 0, faceNo: 0, undoneReviewId: 1, review })),
    getCategoryLabels: async (id) => (calls.push(['getCategoryLabels', id]), ok([])),
    setCategoryLabel: async (id, c, l, ex) => (calls.push(['setCategoryLabel', [id, c, l, ex]]), ok([])),
    getAudit: async (id) => (calls.push(['getAudit', id]), ok(audit)),
    getFaceOverlays: async (id, f) => (calls.push(['getFaceOverlays', [id, f]]), ok({ mask: null, heatmap: null })),
    computeHeatmap: async (id, f) => (calls.push(['computeHeatmap', [id, f]]), ok({ mask: null, heatmap: null })),
    compareVideos: async (id, s, r, o) => (calls.push(['compareVideos', [id, s, r, o]]), ok({ comparisonId: 1, suspectPath: 's', referencePath: 'r', offset: o ?? 0, frames: 0, faces: 0, meanEnergy: null })),
    exportReport: async (id, ex) => (calls.push(['exportReport', [id, ex]]), ok({ id: 5, file: '/r.pdf', sha256: '0'.repeat(64), pages: 1, generatedAt: '2026-11-24T00:00:00Z', downloadName: 'deepscan-report-x-2026-11-24.pdf' })),
    getReportFile: async (id, r) => (calls.push(['getReportFile', [id, r]]), ok({ id: r, file: '/r.pdf', sha256: '0'.repeat(64), bytes: 1, generatedAt: '2026-11-24T00:00:00Z', downloadName: 'deepscan-report-x-2026-11-24.pdf', evidenceFolder: '/ev' })),
    getPlaybackCopy: async (id, ev) => (calls.push(['getPlaybackCopy', [id, ev]]), ok(null)),
    makePlaybackCopy: async (id, ev, ex) => (calls.push(['makePlaybackCopy', [id, ev, ex]]), ok({} as never)),
    cancelPlaybackCopy: async (id, ev) => (calls.push(['cancelPlaybackCopy', [id, ev]]), ok({ cancelled: false })),
    saveReportCopy: async (id, r, d, ex) => (calls.push(['saveReportCopy', [id, r, d, ex]]), ok({ reportId: r, file: d, sha256: '0'.repeat(64) })),
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
    expect(await h[IPC_CHANNELS.listEvidence]([CASE])).toEqual(ok([]));
    expect(await h[IPC_CHANNELS.getCase]([CASE])).toEqual(ok(summary));
    expect(await h[IPC_CHANNELS.startAnalysis]([{ caseId: CASE, frames: 16 }])).toEqual(ok(task));
    expect((await h[IPC_CHANNELS.cancelAnalysis](['t1'])).ok).toBe(true);
    expect(await h[IPC_CHANNELS.listRecentCases]([])).toEqual(ok([summary]));
    expect(await h[IPC_CHANNELS.getVideo]([CASE, 3])).toEqual(ok(video));
    expect(await h[IPC_CHANNELS.getFramePreview]([CASE, 7])).toEqual(ok('data:image/jpeg;base64,AA=='));
    expect(await h[IPC_CHANNELS.getFaceCrop]([CASE, 9])).toEqual(ok('data:image/png;base64,AA=='));
    expect(await h[IPC_CHANNELS.getReviewQueue]([CASE])).toEqual(ok([]));
    expect(await h[IPC_CHANNELS.getReviewQueue]([CASE, undefined])).toEqual(ok([]));
    expect(await h[IPC_CHANNELS.getReviewQueue]([CASE, 0.8])).toEqual(ok([]));
    const req = { caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 2, decision: 'fake', category: 2, note: 'two\nlines', examiner: 'E' };
    expect(await h[IPC_CHANNELS.submitReview]([req])).toEqual(ok(review));
    expect(await h[IPC_CHANNELS.submitReview]([{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, decision: null, examiner: 'E' }])).toEqual(ok(review));
    expect(await h[IPC_CHANNELS.listModels]([])).toEqual(ok([model]));
    expect(await h[IPC_CHANNELS.importModel]([`${ABS}/model.pth`])).toEqual(ok(model));
    expect(await h[IPC_CHANNELS.getAudit]([CASE])).toEqual(ok(audit));
    expect(calls).toEqual([
      ['openCase', { folder: ABS, name: 'N' }],
      ['listEvidence', CASE],
      ['getCase', CASE],
      ['startAnalysis', { caseId: CASE, frames: 16 }],
      ['cancelAnalysis', 't1'],
      ['listRecentCases', null],
      ['getVideo', [CASE, 3]],
      ['getFramePreview', [CASE, 7]],
      ['getFaceCrop', [CASE, 9]],
      ['getReviewQueue', [CASE, undefined]],
      ['getReviewQueue', [CASE, undefined]],
      ['getReviewQueue', [CASE, 0.8]],
      ['submitReview', req],
      ['submitReview', { caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, decision: null, examiner: 'E' }],
      ['listModels', null],
      ['importModel', `${ABS}/model.pth`],
      ['getAudit', CASE],
    ]);
  });

  it('rejects hostile input before it reaches the service', async () => {
    const { service, calls } = recorder();
    const h = createIpcHandlers(service);
    const hostile: [keyof typeof h, unknown[]][] = [
      [IPC_CHANNELS.openCase, []],
      [IPC_CHANNELS.getFaceOverlays, [CASE, 0]],
      [IPC_CHANNELS.getFaceOverlays, [CASE, '7']],
      [IPC_CHANNELS.computeHeatmap, [CASE, -1]],
      [IPC_CHANNELS.compareVideos, [CASE, 1]],
      [IPC_CHANNELS.compareVideos, [CASE, 1, 2, 0.5]],
      [IPC_CHANNELS.compareVideos, [CASE, 1, 2, 10_000_000]],
      [IPC_CHANNELS.compareVideos, [CASE, 1, '2']],
      [IPC_CHANNELS.exportReport, [CASE, '']],
      [IPC_CHANNELS.exportReport, [CASE, 'line one\nline two']],
      [IPC_CHANNELS.exportReport, [CASE, 'E', '/etc/passwd']],
      [IPC_CHANNELS.openCase, [{ folder: 'relative/path' }]],
      [IPC_CHANNELS.openCase, [{ folder: ABS }, 'extra']],
      [IPC_CHANNELS.openCase, [{ folder: ABS, shell: 'rm -rf /' }]],
      [IPC_CHANNELS.openCase, [{ folder: `${ABS}\u0000` }]],
      [IPC_CHANNELS.openCase, [{ folder: ABS, name: 'x'.repeat(10_000) }]],
      [IPC_CHANNELS.openCase, ['__proto__']],
      [IPC_CHANNELS.listEvidence, [{ caseId: CASE }]],
      [IPC_CHANNELS.listEvidence, ['../../other-case']],
      [IPC_CHANNELS.listEvidence, ['c1']],
      [IPC_CHANNELS.listEvidence, [CASE.toUpperCase()]],
      [IPC_CHANNELS.getCase, [null]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: CASE, frames: 0 }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: CASE, frames: 1001 }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: CASE, frames: 2.5 }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: CASE, frames: '32' }]],
      [IPC_CHANNELS.startAnalysis, [{ caseId: 'c1' }]],
      [IPC_CHANNELS.cancelAnalysis, [42]],
      [IPC_CHANNELS.pickFolder, ['/etc']],
      [IPC_CHANNELS.listRecentCases, [CASE]],
      [IPC_CHANNELS.getVideo, [CASE]],
      [IPC_CHANNELS.getVideo, [CASE, 0]],
      [IPC_CHANNELS.getVideo, [CASE, -1]],
      [IPC_CHANNELS.getVideo, [CASE, 1.5]],
      [IPC_CHANNELS.getVideo, [CASE, '1']],
      [IPC_CHANNELS.getVideo, [CASE, 2 ** 53]],
      [IPC_CHANNELS.getVideo, ['../x', 1]],
      [IPC_CHANNELS.getFramePreview, [CASE, null]],
      [IPC_CHANNELS.getFramePreview, [CASE, 1, 2]],
      [IPC_CHANNELS.getFaceCrop, [CASE, Number.NaN]],
      [IPC_CHANNELS.getFaceCrop, [1, 1]],
      [IPC_CHANNELS.getReviewQueue, []],
      [IPC_CHANNELS.getReviewQueue, [CASE, 1.5]],
      [IPC_CHANNELS.getReviewQueue, [CASE, -0.1]],
      [IPC_CHANNELS.getReviewQueue, [CASE, null]],
      [IPC_CHANNELS.getReviewQueue, [CASE, '0.5']],
      [IPC_CHANNELS.getReviewQueue, [CASE, Number.NaN]],
      [IPC_CHANNELS.getReviewQueue, [CASE, 0.5, 'x']],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0 }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: '' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: '   ' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'x'.repeat(201) }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E\nF' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', decision: 'deepfake' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', category: 6 }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', category: -1 }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', category: 2.5 }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', note: 'x'.repeat(4001) }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', note: 'a\u0000b' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', note: 5 }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 0, frameIndex: 0, faceNo: 0, examiner: 'E' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: -1, faceNo: 0, examiner: 'E' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0.5, examiner: 'E' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: CASE, evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E', at: 'yesterday' }]],
      [IPC_CHANNELS.submitReview, [{ caseId: 'c1', evidenceId: 1, frameIndex: 0, faceNo: 0, examiner: 'E' }]],
      [IPC_CHANNELS.listModels, [true]],
      [IPC_CHANNELS.importModel, ['model.pth']],
      [IPC_CHANNELS.importModel, ['../../model.pth']],
      [IPC_CHANNELS.importModel, [`${ABS}/m.pth\u0000`]],
      [IPC_CHANNELS.importModel, [{ path: `${ABS}/m.pth` }]],
      [IPC_CHANNELS.getAudit, []],
      [IPC_CHANNELS.getAudit, ['0123456789abcdeg']],
    ];
    for (const [channel, args] of hostile) {
      const r = await h[channel](args);
      expect(r.ok, `${channel} ${JSON.stringify(args).slice(0, 80)}`).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('invalid-argument');
    }
    expect(calls).toEqual([]);
  });

  it('forwards the overlay, comparison and report operations with their optional arguments', async () => {
    const { service, calls } = recorder();
    const h = createIpcHandlers(service);
    for (const [ch, args] of [
      [IPC_CHANNELS.getFaceOverlays, [CASE, 7]],
      [IPC_CHANNELS.computeHeatmap, [CASE, 7]],
      [IPC_CHANNELS.compareVideos, [CASE, 2, 1]],
      [IPC_CHANNELS.compareVideos, [CASE, 2, 1, -3]],
      [IPC_CHANNELS.exportReport, [CASE]],
      [IPC_CHANNELS.exportReport, [CASE, 'E. Examiner']],
    ] as const) {
      expect((await h[ch]([...args])).ok).toBe(true);
    }
    expect(calls).toEqual([
      ['getFaceOverlays', [CASE, 7]],
      ['computeHeatmap', [CASE, 7]],
      ['compareVideos', [CASE, 2, 1, undefined]],
      ['compareVideos', [CASE, 2, 1, -3]],
      ['exportReport', [CASE, undefined]],
      ['exportReport', [CASE, 'E. Examiner']],
    ]);
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
    const r = await createIpcHandlers(service)[IPC_CHANNELS.listEvidence]([CASE]);
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
    const r = await h[IPC_CHANNELS.startAnalysis]([{ caseId: CASE }]);
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
    const r = await createIpcHandlers(service)[IPC_CHANNELS.getCase]([CASE]);
    expect(r).toEqual({ ok: false, error: { code: 'case-missing', message: 'No case c9.', file: 'a' } });
  });

  it('rejects a service value that is not a Result', async () => {
    const { service } = recorder({ listEvidence: async () => [] as never });
    const r = await createIpcHandlers(service)[IPC_CHANNELS.listEvidence]([CASE]);
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

describe('engine process failures', () => {
  it('a call rejected by a crashed engine answers the named error as a Result', async () => {
    const { DeepscanError } = await import('../engine/util/errors.js');
    const { service } = recorder({ getCase: () => Promise.reject(new DeepscanError('engine-crashed', 'The analysis engine stopped unexpectedly (exit code 134).')) });
    const handlers = createIpcHandlers(service);
    expect(await handlers[IPC_CHANNELS.getCase](['0123456789abcdef'])).toEqual({
      ok: false,
      error: { code: 'engine-crashed', message: 'The analysis engine stopped unexpectedly (exit code 134).' },
    });
  });
});
