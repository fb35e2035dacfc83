import { randomUUID } from 'node:crypto';
import type { AnalysisRequest, CaseDetailsRequest, DeepscanApi, OpenCaseRequest, ReviewQueueFilter, ReviewRequest, TaskEvent, TaskInfo } from '../../../common/api.js';
import { openCase, resolveEvidenceFolder, type OpenedCase } from '../case/open-case.js';
import { deepscanHome } from '../case/workspace.js';
import { analyzeCase, type AnalysisEvent } from '../pipeline/analyze-case.js';
import { parseQueueUrl } from '../queue/connection.js';
import { analyzeCaseQueued, type QueueEvent } from '../queue/coordinator.js';
import { ingestCaseFolder } from '../ingest/ingest.js';
import { locateFfmpeg } from '../media/ffmpeg.js';
import type { CaseStore } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { auditView } from './audit.js';
import { caseSummary, listRecentCases } from './cases.js';
import { guard } from './common.js';
import { caseConnections } from './connections.js';
import { evidenceRows } from './evidence.js';
import { importModelInfo, listModelInfos } from './models.js';
import { ensembleModels } from '../classify/model-folder.js';
import { getCategoryLabels, reviewQueue, submitReview, undoLastReview, updateCategoryLabel } from './reviews.js';
import { listComparisonInfos } from './comparisons.js';
import { examinerFor, updateCaseDetails } from './examiner.js';
import { faceCropUrl, framePreviewUrl, videoDetail } from './video.js';
import { compareVideos, computeFaceHeatmap, faceOverlays } from './overlays.js';
import { exportCaseReport, reportFileInfo, saveReportCopy } from './report.js';
import { copyProgressEmitter, makePlaybackCopy as makeCopy, playbackCopyInfo } from './proxies.js';

export interface WorkstationService extends DeepscanApi {
  /** Cancels every running analysis, waits until each has stopped and closes the cached case connections (clean shutdown). */
  cancelAll(): Promise<void>;
}

/**
 * The workstation service behind the Electron IPC handlers and the loopback web host. It keeps
 * no case state of its own beyond the list of running tasks: every answer is read from the
 * case database, so the UI, the CLI and reports always agree. Operations that show a case
 * read its database directly (read-only), so a case stays viewable when its evidence folder
 * is not reachable; only opening and analysing need the folder.
 */
export function createWorkstationService(opts: { home?: string } = {}): WorkstationService {
  const home = opts.home ?? deepscanHome();
  const listeners = new Set<(e: TaskEvent) => void>();
  const tasks = new Map<string, { info: TaskInfo; controller: AbortController; done: Promise<void> }>();
  const runningByCase = new Map<string, string>();

  const emit = (e: TaskEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // a faulty subscriber must not break the analysis
      }
    }
  };

  // One read-only connection and one writer per case, kept open (see connections.ts).
  const connections = caseConnections(home);
  const read = <T>(caseId: string, fn: (store: CaseStore) => T) => guard(() => fn(connections.reader(caseId)));
  const caseFolder = (caseId: string): string => {
    const store = connections.reader(caseId);
    const info = store.getCase();
    if (!info) throw new DeepscanError('case-missing', `case database ${store.file} holds no case`);
    return info.folder;
  };

  /**
   * Operations that need the evidence folder (they verify hashes, decode or re-hash). They
   * write, so they act as the examiner given, else the case's, and are refused without one.
   */
  /** Playback copies being made, by "caseId:evidenceId" (cancelPlaybackCopy aborts one). */
  const copying = new Map<string, AbortController>();

  async function withOpenCase<T>(caseId: string, fn: (c: OpenedCase) => Promise<T>, examiner?: string): Promise<T> {
    if (runningByCase.has(caseId)) throw new DeepscanError('invalid-argument', 'wait until the running analysis of this case has finished');
    const actor = examinerFor(connections.writer(caseId), examiner);
    const c = await openCase({ folder: caseFolder(caseId), home, mustExist: true, actor });
    try {
      return await fn(c);
    } finally {
      c.store.close();
    }
  }

  return {
    openCase: (req: OpenCaseRequest) =>
      guard(async () => {
        const c = await openCase({ folder: req.folder, home, name: req.name, number: req.number, examiner: req.examiner });
        try {
          // Opening a case registers and verifies its evidence (hashes), so the examiner sees
          // what the folder holds before any analysis runs.
          await ingestCaseFolder(c.store, c.folder, await locateFfmpeg(), c.actor);
          return caseSummary(c.info, c.store);
        } finally {
          c.store.close();
          connections.refreshReaders(); // this open may have created the installation key the readers trust
        }
      }),

    getCase: (caseId: string) =>
      read(caseId, (store) => {
        const info = store.getCase();
        if (!info) throw new DeepscanError('case-missing', `case database ${store.file} holds no case`);
        return caseSummary(info, store);
      }),

    listEvidence: (caseId: string) => read(caseId, evidenceRows),

    listRecentCases: () => guard(() => listRecentCases(home)),

    getVideo: (caseId: string, evidenceId: number) => read(caseId, (store) => videoDetail(store, evidenceId)),

    getFramePreview: (caseId: string, frameId: number) => read(caseId, (store) => framePreviewUrl(store, frameId)),

    getFaceCrop: (caseId: string, faceId: number) => read(caseId, (store) => faceCropUrl(store, faceId)),

    getReviewQueue: (caseId: string, threshold?: number, filter?: ReviewQueueFilter) => read(caseId, (store) => reviewQueue(store, threshold ?? 0.5, filter ?? {})),

    submitReview: (req: ReviewRequest) => guard(() => {
      const store = connections.writer(req.caseId);
      examinerFor(store, req.examiner); // a case without an examiner remembers this one
      return submitReview(store, req);
    }),

    listModels: () => guard(() => listModelInfos(home)),

    importModel: (path: string) => guard(() => importModelInfo(home, path)),

    getAudit: (caseId: string) => read(caseId, auditView),

    getFaceOverlays: (caseId: string, faceId: number) => read(caseId, (store) => faceOverlays(store, faceId)),

    computeHeatmap: (caseId: string, faceId: number, examiner?: string) =>
      guard(() => withOpenCase(caseId, async (c) => {
        await computeFaceHeatmap(c, faceId);
        return faceOverlays(c.store, faceId);
      }, examiner)),

    compareVideos: (caseId: string, suspectEvidenceId: number, referenceEvidenceId: number, offset?: number, examiner?: string) =>
      guard(() => withOpenCase(caseId, (c) => compareVideos(c, suspectEvidenceId, referenceEvidenceId, offset ?? 0), examiner)),

    listComparisons: (caseId: string, evidenceId: number) => read(caseId, (store) => listComparisonInfos(store, evidenceId)),

    exportReport: (caseId: string, examiner?: string) => guard(() => withOpenCase(caseId, (c) => exportCaseReport(c, examiner), examiner)),

    getPlaybackCopy: (caseId: string, evidenceId: number) => guard(() => playbackCopyInfo(connections.reader(caseId), evidenceId)),

    makePlaybackCopy: (caseId: string, evidenceId: number, examiner?: string) =>
      guard(async () => {
        // Awaited like a comparison; its progress goes out as 'copy-progress' events (taskId
        // null, so the evidence list's analysis progress ignores them). withOpenCase refuses
        // while the case's analysis runs.
        const key = `${caseId}:${evidenceId}`;
        if (copying.has(key)) throw new DeepscanError('invalid-argument', `a playback copy of evidence ${evidenceId} is already being made`);
        const tools = await locateFfmpeg();
        const controller = new AbortController();
        copying.set(key, controller);
        try {
          const onProgress = copyProgressEmitter((stage, fraction) => emit({ type: 'copy-progress', taskId: null, caseId, evidenceId, stage, fraction }));
          return await withOpenCase(caseId, (c) => makeCopy(c, tools, evidenceId, { signal: controller.signal, onProgress }), examiner);
        } finally {
          copying.delete(key);
        }
      }),

    cancelPlaybackCopy: (caseId: string, evidenceId: number) =>
      guard(async () => {
        const controller = copying.get(`${caseId}:${evidenceId}`);
        // ffmpeg is killed; makePlaybackCopy then answers 'cancelled' and leaves no partial file.
        controller?.abort();
        return { cancelled: controller !== undefined };
      }),

    getReportFile: (caseId: string, reportId: number) => read(caseId, (store) => reportFileInfo(store, reportId)),

    saveReportCopy: (caseId: string, reportId: number, destination: string, examiner?: string) =>
      guard(() => {
        const store = connections.writer(caseId);
        return saveReportCopy(store, reportId, destination, examinerFor(store, examiner));
      }),

    updateCaseDetails: (caseId: string, details: CaseDetailsRequest, examiner: string) =>
      guard(() => updateCaseDetails(connections.writer(caseId), details, examiner)),

    undoLastReview: (caseId: string, examiner: string, face?: { evidenceId: number; frameIndex: number; faceNo: number }) =>
      guard(() => {
        const store = connections.writer(caseId);
        return undoLastReview(store, examinerFor(store, examiner), face);
      }),

    getCategoryLabels: (caseId: string) => read(caseId, getCategoryLabels),

    setCategoryLabel: (caseId: string, category: number, label: string | null, examiner: string) =>
      guard(() => {
        const store = connections.writer(caseId);
        return updateCategoryLabel(store, category, label, examinerFor(store, examiner));
      }),

    startAnalysis: (req: AnalysisRequest) =>
      guard(async () => {
        if (runningByCase.has(req.caseId)) throw new DeepscanError('invalid-argument', 'an analysis of this case is already running');
        // A missing evidence folder is reported now rather than as a failed task.
        const folder = await resolveEvidenceFolder(caseFolder(req.caseId));
        const actor = examinerFor(connections.writer(req.caseId), req.examiner);
        // A named ensemble with no installed member is refused now, not as a failed task.
        const models = req.ensemble ? (await ensembleModels(home, req.ensemble)).models.map((m) => m.id) : undefined;
        // A queue URL that is malformed or insecure (no password off loopback) is refused now.
        const queue = req.queue ? parseQueueUrl(req.queue) : null;
        if (runningByCase.has(req.caseId)) throw new DeepscanError('invalid-argument', 'an analysis of this case is already running');
        const taskId = randomUUID();
        const controller = new AbortController();
        const info: TaskInfo = { taskId, caseId: req.caseId, status: 'running' };
        runningByCase.set(req.caseId, taskId);
        const done = (async () => {
          let c: OpenedCase | null = null;
          try {
            c = await openCase({ folder, home, actor });
            // Queue events name no index: count what the run said and what finished.
            let total = 0;
            let finished = 0;
            const onEvent = (e: AnalysisEvent | QueueEvent) => {
              if (e.type === 'run-started') total = e.total;
              if (e.type === 'item-finished' || e.type === 'item-failed') finished++;
              if (e.type === 'run-started') emit({ type: 'task-started', taskId, caseId: req.caseId, total: e.total });
              else if (e.type === 'verify-progress') emit({ type: 'item-progress', taskId, evidencePath: e.path, stage: 'verify', fraction: e.total ? e.done / e.total : 1, done: e.done, total: e.total });
              else if (e.type === 'item-progress') emit({ type: 'item-progress', taskId, evidencePath: e.path, stage: e.stage, fraction: e.fraction, done: e.index, total: e.total });
              else if (e.type === 'item-finished') emit({ type: 'item-finished', taskId, evidencePath: e.path, status: e.status, error: e.error, skipped: e.skipped });
              // Queued runs: which worker holds the item, and items whose job failed every attempt.
              else if (e.type === 'item-held') emit({ type: 'item-progress', taskId, evidencePath: e.path, stage: `${e.stage} on ${e.worker}`, fraction: e.fraction, done: finished, total });
              else if (e.type === 'item-failed') emit({ type: 'item-finished', taskId, evidencePath: e.path, status: 'pending', error: `${e.code}: ${e.error}`, skipped: false });
            };
            const result = queue
              ? await analyzeCaseQueued(c, { target: queue, frames: req.frames, models, signal: controller.signal, onEvent })
              : await analyzeCase(c, { frames: req.frames, models, signal: controller.signal, onEvent });
            info.status = result.status;
            emit({ type: 'task-finished', taskId, status: result.status, error: result.error });
          } catch (e) {
            info.status = isDeepscanError(e) && e.code === 'cancelled' ? 'cancelled' : 'failed';
            emit({ type: 'task-finished', taskId, status: info.status, error: errorMessage(e) });
          } finally {
            c?.store.close();
            runningByCase.delete(req.caseId);
          }
        })();
        tasks.set(taskId, { info, controller, done });
        return { ...info };
      }),

    cancelAnalysis: (taskId: string) =>
      guard(async () => {
        const task = tasks.get(taskId);
        if (!task) throw new DeepscanError('invalid-argument', `no analysis task ${taskId}`);
        task.controller.abort();
        await task.done;
        return { ...task.info };
      }),

    async cancelAll() {
      const running = [...tasks.values()].filter((t) => t.info.status === 'running');
      for (const t of running) t.controller.abort();
      await Promise.all(running.map((t) => t.done));
      connections.closeAll(); // shutdown: release the cached case connections (reopened on demand)
    },

    onTaskEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
