/**
 * One handler per IPC channel. Each takes the raw argument list exactly as it arrived from the
 * renderer, validates it, calls the service and always resolves to a Result: thrown errors
 * become `{ ok: false, error: { code, message, file? } }` and nothing else (no stack, no
 * cause chain, no extra properties) crosses the boundary.
 *
 * No Electron here: register.ts binds these to ipcMain; tests call them directly.
 */
import {
  IPC_CHANNELS,
  type AuditView,
  type CaseSummary,
  type ComparisonSummary,
  type FaceOverlays,
  type ReportResult,
  type DeepscanApi,
  type EvidenceRow,
  type ModelInfo,
  type ReviewInfo,
  type ReviewQueueItem,
  type TaskInfo,
  type VideoDetail,
} from '../../common/api.js';
import { fail, ok, type ApiError, type Result } from '../../common/result.js';
import {
  validateAbsolutePath,
  validateAnalysisRequest,
  validateArity,
  validateArityRange,
  validateCaseId,
  validateId,
  validateOpenCaseRequest,
  validateReviewRequest,
  validateRowId,
  validateThreshold,
  validateOffset,
  validateExaminer,
} from './validate.js';

/** Host capabilities that need the window (native dialogs); absent in headless use. */
export interface IpcHost {
  /** Shows a folder chooser; resolves to the absolute path, or null when cancelled. */
  pickFolder(): Promise<string | null>;
}

interface InvokeResults {
  openCase: CaseSummary;
  listEvidence: EvidenceRow[];
  getCase: CaseSummary;
  startAnalysis: TaskInfo;
  cancelAnalysis: TaskInfo;
  listRecentCases: CaseSummary[];
  getVideo: VideoDetail;
  getFramePreview: string;
  getFaceCrop: string;
  getReviewQueue: ReviewQueueItem[];
  submitReview: ReviewInfo;
  listModels: ModelInfo[];
  importModel: ModelInfo;
  getAudit: AuditView;
  getFaceOverlays: FaceOverlays;
  computeHeatmap: FaceOverlays;
  compareVideos: ComparisonSummary;
  exportReport: ReportResult;
  pickFolder: string | null;
}

export type InvokeOperation = keyof InvokeResults;
export type InvokeChannel = (typeof IPC_CHANNELS)[InvokeOperation];
export type IpcHandler<T> = (args: unknown[]) => Promise<Result<T>>;
export type IpcHandlers = {
  [K in InvokeOperation as (typeof IPC_CHANNELS)[K]]: IpcHandler<InvokeResults[K]>;
};

export interface IpcHandlerOptions {
  host?: IpcHost;
  /** Receives unexpected errors with their stacks (main-process log); never sent to the renderer. */
  log?: (message: string, error: unknown) => void;
}

const MAX_MESSAGE = 2000;
const MAX_FILE = 4096;
const CODE_RE = /^[a-z][a-z0-9-]{0,63}$/;

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Shapes any thrown value or service error into a plain ApiError. Errors that carry a stable
 * lower-case code (the engine's DeepscanError) keep code, message and file; anything else is
 * reported as `internal` with its message only.
 */
export function toApiError(e: unknown, op: string): ApiError {
  if (typeof e === 'object' && e !== null) {
    const rec = e as { code?: unknown; message?: unknown; file?: unknown };
    const message = typeof rec.message === 'string' && rec.message.length > 0 ? rec.message : `${op} failed.`;
    if (typeof rec.code === 'string' && CODE_RE.test(rec.code)) {
      const err: ApiError = { code: rec.code, message: clip(message, MAX_MESSAGE) };
      if (typeof rec.file === 'string' && rec.file.length > 0) err.file = clip(rec.file, MAX_FILE);
      return err;
    }
    return { code: 'internal', message: clip(`${op} failed: ${message}`, MAX_MESSAGE) };
  }
  if (typeof e === 'string' && e.length > 0) return { code: 'internal', message: clip(`${op} failed: ${e}`, MAX_MESSAGE) };
  return { code: 'internal', message: `${op} failed.` };
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true ? 'value' in v : v.ok === false && typeof v.error === 'object' && v.error !== null;
}

/** Runs a service call; passes its Result through (error re-shaped) and catches anything thrown. */
async function guard<T>(op: string, call: () => Promise<Result<T>>, log: IpcHandlerOptions['log']): Promise<Result<T>> {
  try {
    const result: unknown = await call();
    if (!isResult(result)) {
      log?.(`${op}: service returned a value that is not a Result`, result);
      return fail({ code: 'internal', message: `${op} failed: the service returned an invalid result.` });
    }
    if (result.ok) return result as Result<T>;
    return fail(toApiError(result.error, op));
  } catch (e) {
    const error = toApiError(e, op);
    if (error.code === 'internal') log?.(`${op} threw`, e);
    return fail(error);
  }
}

export function createIpcHandlers(service: DeepscanApi, options: IpcHandlerOptions = {}): IpcHandlers {
  const { host, log } = options;
  return {
    [IPC_CHANNELS.openCase]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'openCase');
      if (!arity.ok) return arity;
      const req = validateOpenCaseRequest(args[0]);
      if (!req.ok) return req;
      return guard('openCase', () => service.openCase(req.value), log);
    },
    [IPC_CHANNELS.listEvidence]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'listEvidence');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      return guard('listEvidence', () => service.listEvidence(caseId.value), log);
    },
    [IPC_CHANNELS.getCase]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'getCase');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      return guard('getCase', () => service.getCase(caseId.value), log);
    },
    [IPC_CHANNELS.startAnalysis]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'startAnalysis');
      if (!arity.ok) return arity;
      const req = validateAnalysisRequest(args[0]);
      if (!req.ok) return req;
      return guard('startAnalysis', () => service.startAnalysis(req.value), log);
    },
    [IPC_CHANNELS.cancelAnalysis]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'cancelAnalysis');
      if (!arity.ok) return arity;
      const taskId = validateId(args[0], 'taskId');
      if (!taskId.ok) return taskId;
      return guard('cancelAnalysis', () => service.cancelAnalysis(taskId.value), log);
    },
    [IPC_CHANNELS.listRecentCases]: async (args: unknown[]) => {
      const arity = validateArity(args, 0, 'listRecentCases');
      if (!arity.ok) return arity;
      return guard('listRecentCases', () => service.listRecentCases(), log);
    },
    [IPC_CHANNELS.getVideo]: async (args: unknown[]) => {
      const arity = validateArity(args, 2, 'getVideo');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      const evidenceId = validateRowId(args[1], 'evidenceId');
      if (!evidenceId.ok) return evidenceId;
      return guard('getVideo', () => service.getVideo(caseId.value, evidenceId.value), log);
    },
    [IPC_CHANNELS.getFramePreview]: async (args: unknown[]) => {
      const arity = validateArity(args, 2, 'getFramePreview');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      const frameId = validateRowId(args[1], 'frameId');
      if (!frameId.ok) return frameId;
      return guard('getFramePreview', () => service.getFramePreview(caseId.value, frameId.value), log);
    },
    [IPC_CHANNELS.getFaceCrop]: async (args: unknown[]) => {
      const arity = validateArity(args, 2, 'getFaceCrop');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      const faceId = validateRowId(args[1], 'faceId');
      if (!faceId.ok) return faceId;
      return guard('getFaceCrop', () => service.getFaceCrop(caseId.value, faceId.value), log);
    },
    [IPC_CHANNELS.getReviewQueue]: async (args: unknown[]) => {
      const arity = validateArityRange(args, 1, 2, 'getReviewQueue');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      // The threshold is optional: absent (or sent as undefined) means the default, 0.5.
      if (args[1] === undefined) return guard('getReviewQueue', () => service.getReviewQueue(caseId.value), log);
      const threshold = validateThreshold(args[1]);
      if (!threshold.ok) return threshold;
      return guard('getReviewQueue', () => service.getReviewQueue(caseId.value, threshold.value), log);
    },
    [IPC_CHANNELS.submitReview]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'submitReview');
      if (!arity.ok) return arity;
      const req = validateReviewRequest(args[0]);
      if (!req.ok) return req;
      return guard('submitReview', () => service.submitReview(req.value), log);
    },
    [IPC_CHANNELS.listModels]: async (args: unknown[]) => {
      const arity = validateArity(args, 0, 'listModels');
      if (!arity.ok) return arity;
      return guard('listModels', () => service.listModels(), log);
    },
    [IPC_CHANNELS.importModel]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'importModel');
      if (!arity.ok) return arity;
      const file = validateAbsolutePath(args[0], 'path');
      if (!file.ok) return file;
      return guard('importModel', () => service.importModel(file.value), log);
    },
    [IPC_CHANNELS.getAudit]: async (args: unknown[]) => {
      const arity = validateArity(args, 1, 'getAudit');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      return guard('getAudit', () => service.getAudit(caseId.value), log);
    },
    [IPC_CHANNELS.getFaceOverlays]: async (args: unknown[]) => {
      const arity = validateArity(args, 2, 'getFaceOverlays');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      const faceId = validateRowId(args[1], 'faceId');
      if (!faceId.ok) return faceId;
      return guard('getFaceOverlays', () => service.getFaceOverlays(caseId.value, faceId.value), log);
    },
    [IPC_CHANNELS.computeHeatmap]: async (args: unknown[]) => {
      const arity = validateArity(args, 2, 'computeHeatmap');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      const faceId = validateRowId(args[1], 'faceId');
      if (!faceId.ok) return faceId;
      return guard('computeHeatmap', () => service.computeHeatmap(caseId.value, faceId.value), log);
    },
    [IPC_CHANNELS.compareVideos]: async (args: unknown[]) => {
      const arity = validateArityRange(args, 3, 4, 'compareVideos');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      const suspect = validateRowId(args[1], 'suspectEvidenceId');
      if (!suspect.ok) return suspect;
      const reference = validateRowId(args[2], 'referenceEvidenceId');
      if (!reference.ok) return reference;
      if (args[3] === undefined) return guard('compareVideos', () => service.compareVideos(caseId.value, suspect.value, reference.value), log);
      const offset = validateOffset(args[3]);
      if (!offset.ok) return offset;
      return guard('compareVideos', () => service.compareVideos(caseId.value, suspect.value, reference.value, offset.value), log);
    },
    [IPC_CHANNELS.exportReport]: async (args: unknown[]) => {
      const arity = validateArityRange(args, 1, 2, 'exportReport');
      if (!arity.ok) return arity;
      const caseId = validateCaseId(args[0]);
      if (!caseId.ok) return caseId;
      if (args[1] === undefined) return guard('exportReport', () => service.exportReport(caseId.value), log);
      const examiner = validateExaminer(args[1]);
      if (!examiner.ok) return examiner;
      return guard('exportReport', () => service.exportReport(caseId.value, examiner.value), log);
    },
    [IPC_CHANNELS.pickFolder]: async (args: unknown[]) => {
      const arity = validateArity(args, 0, 'pickFolder');
      if (!arity.ok) return arity;
      if (!host) return fail({ code: 'unsupported', message: 'Folder dialogs are not available in this host.' });
      return guard('pickFolder', async () => ok(await host.pickFolder()), log);
    },
  };
}
