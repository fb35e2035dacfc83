import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AnalysisRequest, CaseSummary, DeepscanApi, EvidenceRow, OpenCaseRequest, TaskEvent, TaskInfo } from '../../../common/api.js';
import { fail, ok, type Result } from '../../../common/result.js';
import { openCase, type OpenedCase } from '../case/open-case.js';
import { caseDbPath, deepscanHome } from '../case/workspace.js';
import { analyzeCase } from '../pipeline/analyze-case.js';
import { ingestCaseFolder } from '../ingest/ingest.js';
import { locateFfmpeg } from '../media/ffmpeg.js';
import { CaseStore } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';

/**
 * The workstation service behind the Electron IPC handlers and the loopback web host. It keeps
 * no case state of its own beyond the list of running tasks: every answer is read from the
 * case database, so the UI, the CLI and reports always agree.
 */
export function createWorkstationService(opts: { home?: string } = {}): DeepscanApi {
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

  async function withCase<T>(caseId: string, fn: (c: OpenedCase) => T | Promise<T>): Promise<T> {
    const folder = caseFolder(home, caseId);
    const c = await openCase({ folder, home });
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
          return summary(c);
        } finally {
          c.store.close();
        }
      }),

    getCase: (caseId: string) => guard(() => withCase(caseId, summary)),

    listEvidence: (caseId: string) => guard(() => withCase(caseId, (c) => evidenceRows(c.store))),

    startAnalysis: (req: AnalysisRequest) =>
      guard(async () => {
        if (runningByCase.has(req.caseId)) throw new DeepscanError('invalid-argument', 'an analysis of this case is already running');
        const folder = caseFolder(home, req.caseId);
        const taskId = randomUUID();
        const controller = new AbortController();
        const info: TaskInfo = { taskId, caseId: req.caseId, status: 'running' };
        runningByCase.set(req.caseId, taskId);
        const done = (async () => {
          let c: OpenedCase | null = null;
          try {
            c = await openCase({ folder, home });
            const result = await analyzeCase(c, {
              frames: req.frames,
              signal: controller.signal,
              onEvent: (e) => {
                if (e.type === 'run-started') emit({ type: 'task-started', taskId, caseId: req.caseId, total: e.total });
                else if (e.type === 'verify-progress') emit({ type: 'item-progress', taskId, evidencePath: e.path, stage: 'verify', fraction: e.total ? e.done / e.total : 1, done: e.done, total: e.total });
                else if (e.type === 'item-progress') emit({ type: 'item-progress', taskId, evidencePath: e.path, stage: e.stage, fraction: e.fraction, done: e.index, total: e.total });
                else if (e.type === 'item-finished') emit({ type: 'item-finished', taskId, evidencePath: e.path, status: e.status, error: e.error, skipped: e.skipped });
              },
            });
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

    onTaskEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The evidence folder of a case created earlier in this home (read from its database). */
function caseFolder(home: string, caseId: string): string {
  if (!/^[0-9a-f]{16}$/.test(caseId)) throw new DeepscanError('invalid-argument', `not a case id: ${caseId}`);
  const file = caseDbPath(home, caseId);
  if (!existsSync(file)) throw new DeepscanError('case-missing', `no case ${caseId} in ${home}`);
  const store = new CaseStore(file, { readonly: true });
  try {
    const info = store.getCase();
    if (!info) throw new DeepscanError('case-missing', `case database ${file} holds no case`);
    return info.folder;
  } finally {
    store.close();
  }
}

function summary(c: OpenedCase): CaseSummary {
  return {
    id: c.info.id, name: c.info.name, number: c.info.number, examiner: c.info.examiner, folder: c.info.folder,
    createdAt: c.info.createdAt, evidenceCount: c.store.listEvidence().length,
  };
}

function evidenceRows(store: CaseStore): EvidenceRow[] {
  return store.listEvidence().map((e) => ({
    id: e.id, path: e.relPath, size: e.size ?? 0, sha256: e.sha256, kind: e.kind, status: e.status, error: e.error, integrity: e.integrity,
    durationSec: e.durationSec, frameCount: e.frameCount, fps: e.fps, width: e.width, height: e.height,
    sampledFrames: store.listFrames(e.id).length, faces: 0,
  }));
}

async function guard<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (e) {
    if (isDeepscanError(e)) return fail({ code: e.code, message: e.message, ...(e.file ? { file: e.file } : {}) });
    return fail({ code: 'internal', message: errorMessage(e) });
  }
}
