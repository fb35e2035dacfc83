/**
 * The operation table: every workstation operation declared once — its name (the service
 * method it calls), IPC channel, argument schemas (required, then optional trailing ones)
 * and result type. Everything else is derived from it:
 *
 * - the `DeepscanApi` type (common/api.ts) and `IPC_CHANNELS`;
 * - main's IPC handlers (validation + the service call, main/ipc/handlers.ts), which the
 *   Electron bridge and the web host's routes (`POST /api/<name>`) both run;
 * - the engine-process protocol (main/engine/host/), which forwards exactly these names;
 * - the preload's `window.deepscan`, the HTTP client, the disconnected API and the test fakes.
 *
 * Adding an operation: one entry here, one service method, and its test.
 */
import * as v from 'valibot';
import type {
  AuditView,
  CaseSummary,
  CategoryLabel,
  ComparisonInfo,
  ComparisonSummary,
  EvidenceRow,
  FaceOverlays,
  ModelInfo,
  PlaybackCopyInfo,
  ReportCopy,
  ReportFileInfo,
  ReportResult,
  ReviewInfo,
  ReviewQueueItem,
  TaskInfo,
  UndoResult,
  VideoDetail,
} from './api.js';
import { fail, ok, type Result } from './result.js';
import * as s from './schemas.js';

type Schema = v.GenericSchema;
export type Lane = 'tasks' | 'queries';

export interface OperationDef<R = unknown, A extends readonly Schema[] = readonly Schema[], O extends readonly Schema[] = readonly Schema[], H extends boolean = boolean> {
  channel: `deepscan:${string}`;
  /** Schemas of the required positional arguments. */
  args: A;
  /** Schemas of optional trailing arguments (left out, or sent as undefined: the service's default). */
  optional: O;
  /** Offered only by a desktop host (native dialogs), not by the engine service. */
  host: H;
  /**
   * Which engine thread runs it: 'tasks' for long or CPU-heavy work (analyses, hashing,
   * checkpoint conversion, comparisons, heatmaps, reports), 'queries' for reads of the case
   * database, so that reads are answered while an analysis keeps the tasks thread busy.
   */
  lane: Lane;
  /** Phantom: the type of the Result's value (never set at runtime). */
  readonly result?: R;
}

/** Declares an operation returning `Result<R>`; `R` is given, the schemas are inferred. */
function op<R>() {
  return <const A extends readonly Schema[], const O extends readonly Schema[] = [], const H extends boolean = false>(def: {
    channel: `deepscan:${string}`;
    args: A;
    optional?: O;
    host?: H;
    lane?: Lane;
  }): OperationDef<R, A, O, H> => ({
    channel: def.channel,
    args: def.args,
    optional: (def.optional ?? []) as unknown as O,
    host: (def.host ?? false) as H,
    lane: def.lane ?? 'queries',
  });
}

export const OPERATIONS = {
  openCase: op<CaseSummary>()({ channel: 'deepscan:open-case', args: [s.openCaseRequest], lane: 'tasks' }),
  listEvidence: op<EvidenceRow[]>()({ channel: 'deepscan:list-evidence', args: [s.caseId()] }),
  startAnalysis: op<TaskInfo>()({ channel: 'deepscan:start-analysis', args: [s.analysisRequest], lane: 'tasks' }),
  cancelAnalysis: op<TaskInfo>()({ channel: 'deepscan:cancel-analysis', args: [s.identifier('taskId')], lane: 'tasks' }),
  /** Summary of a case opened earlier in this workstation home (e.g. after a renderer reload). */
  getCase: op<CaseSummary>()({ channel: 'deepscan:get-case', args: [s.caseId()] }),
  /** Cases in this workstation home, most recently created first. */
  listRecentCases: op<CaseSummary[]>()({ channel: 'deepscan:list-recent-cases', args: [] }),
  /** Frames, faces, per-model and per-person outcomes of one analysed video or image. */
  getVideo: op<VideoDetail>()({ channel: 'deepscan:get-video', args: [s.caseId(), s.rowId('evidenceId')] }),
  /** JPEG preview of a sampled frame, as a data: URL. */
  getFramePreview: op<string>()({ channel: 'deepscan:get-frame-preview', args: [s.caseId(), s.rowId('frameId')] }),
  /** Lossless face crop (PNG), as a data: URL. */
  getFaceCrop: op<string>()({ channel: 'deepscan:get-face-crop', args: [s.caseId(), s.rowId('faceId')] }),
  /** Faces whose ensemble probability is at least `threshold` (default 0.5), highest first. */
  getReviewQueue: op<ReviewQueueItem[]>()({ channel: 'deepscan:get-review-queue', args: [s.caseId()], optional: [s.threshold, s.reviewQueueFilter] }),
  /** Records an examiner's decision (stored with examiner and time, and in the audit log). */
  submitReview: op<ReviewInfo>()({ channel: 'deepscan:submit-review', args: [s.reviewRequest] }),
  listModels: op<ModelInfo[]>()({ channel: 'deepscan:list-models', args: [] }),
  /** Imports a checkpoint (.pth) or ONNX file from a path on this machine. */
  importModel: op<ModelInfo>()({ channel: 'deepscan:import-model', args: [s.absolutePath('path')], lane: 'tasks' }),
  /** The case's audit log with the chain's verification. */
  getAudit: op<AuditView>()({ channel: 'deepscan:get-audit', args: [s.caseId()] }),
  /** The difference mask and attention map stored for a face. */
  getFaceOverlays: op<FaceOverlays>()({ channel: 'deepscan:get-face-overlays', args: [s.caseId(), s.rowId('faceId')] }),
  /** Computes (or returns the cached) model-attention map of a face; returns the face's overlays. */
  computeHeatmap: op<FaceOverlays>()({ channel: 'deepscan:compute-heatmap', args: [s.caseId(), s.rowId('faceId')], optional: [s.examiner()], lane: 'tasks' }),
  /** Compares a suspect video with a known original of the case (difference masks per face). */
  compareVideos: op<ComparisonSummary>()({
    channel: 'deepscan:compare-videos',
    args: [s.caseId(), s.rowId('suspectEvidenceId'), s.rowId('referenceEvidenceId')],
    optional: [s.offset, s.examiner()],
    lane: 'tasks',
  }),
  /** Comparisons in which an item is the suspect, newest first, with per-video and per-person difference energy. */
  listComparisons: op<ComparisonInfo[]>()({ channel: 'deepscan:list-comparisons', args: [s.caseId(), s.rowId('evidenceId')] }),
  /** Changes the case's name, number or examiner (audited as 'case-details-changed' by the examiner given). */
  updateCaseDetails: op<CaseSummary>()({ channel: 'deepscan:update-case-details', args: [s.caseId(), s.caseDetailsRequest, s.examiner()] }),
  /** Undoes the last decision (of the case, or of one face) with a new review row restoring the state before it ('review-undone'). */
  undoLastReview: op<UndoResult>()({ channel: 'deepscan:undo-last-review', args: [s.caseId(), s.examiner()], optional: [s.faceKey] }),
  /** The review categories 0–5 with this case's labels. */
  getCategoryLabels: op<CategoryLabel[]>()({ channel: 'deepscan:get-category-labels', args: [s.caseId()] }),
  /** Sets (or, with null, resets) one category's label for this case (audited); returns all labels. */
  setCategoryLabel: op<CategoryLabel[]>()({ channel: 'deepscan:set-category-label', args: [s.caseId(), s.category, s.categoryLabel, s.examiner()] }),
  /** Writes the case report (PDF) into the case workspace and records its SHA-256 in the audit log. */
  exportReport: op<ReportResult>()({
    channel: 'deepscan:export-report',
    args: [s.caseId()],
    optional: [s.text('examiner', { max: s.LIMITS.examiner, nonEmpty: true, singleLine: true })],
    lane: 'tasks',
  }),
  /** The playback copy of an evidence video made earlier (for its current bytes), or null. */
  getPlaybackCopy: op<PlaybackCopyInfo | null>()({ channel: 'deepscan:get-playback-copy', args: [s.caseId(), s.rowId('evidenceId')] }),
  /**
   * Makes (or reuses) the playback copy of an evidence video the browser cannot play (H.264/AAC
   * MP4 in the case workspace, once per evidence hash; the evidence is re-hashed before and after
   * ffmpeg reads it); audited as 'playback-copy-made'. Answers when the copy is there.
   */
  makePlaybackCopy: op<PlaybackCopyInfo>()({ channel: 'deepscan:make-playback-copy', args: [s.caseId(), s.rowId('evidenceId')], optional: [s.examiner()], lane: 'tasks' }),
  /** Stops a playback copy being made (its makePlaybackCopy answers 'cancelled'); cancelled: false when none was running. */
  cancelPlaybackCopy: op<{ cancelled: boolean }>()({ channel: 'deepscan:cancel-playback-copy', args: [s.caseId(), s.rowId('evidenceId')], lane: 'tasks' }),
  /** The report recorded under audit entry `reportId` (path, recorded SHA-256, a safe name for copies); reads no file. */
  getReportFile: op<ReportFileInfo>()({ channel: 'deepscan:get-report-file', args: [s.caseId(), s.rowId('reportId')] }),
  /**
   * Copies a report, verified against its recorded SHA-256, to a .pdf path outside the evidence
   * folder ('output-inside-evidence' otherwise); audited as 'report-copied'.
   */
  saveReportCopy: op<ReportCopy>()({
    channel: 'deepscan:save-report-copy',
    args: [s.caseId(), s.rowId('reportId'), s.absolutePath('destination')],
    optional: [s.examiner()],
    lane: 'tasks',
  }),
  /** Native save dialog for a report, then saveReportCopy; `null` when cancelled (desktop host only). */
  saveReportAs: op<ReportCopy | null>()({ channel: 'deepscan:save-report-as', args: [s.caseId(), s.rowId('reportId')], optional: [s.examiner()], host: true }),
  /** Opens the report (the copy saved in this session, else the workspace file) in the system's PDF viewer; answers the path (desktop host only). */
  openReport: op<string>()({ channel: 'deepscan:open-report', args: [s.caseId(), s.rowId('reportId')], host: true }),
  /** Shows that file in the system's file manager; answers the path (desktop host only). */
  showReportInFolder: op<string>()({ channel: 'deepscan:show-report-in-folder', args: [s.caseId(), s.rowId('reportId')], host: true }),
  /** Native "choose folder" dialog; `null` when the user cancelled (desktop host only). */
  pickFolder: op<string | null>()({ channel: 'deepscan:pick-folder', args: [], host: true }),
} as const;

/** The channel task events are pushed on (main → renderer); not an operation. */
export const TASK_EVENT_CHANNEL = 'deepscan:task-event';

type Table = typeof OPERATIONS;
export type OperationName = keyof Table;
/** Operations the engine service implements. */
export type EngineOperationName = { [K in OperationName]: Table[K]['host'] extends true ? never : K }[OperationName];
/** Operations only a desktop host offers. */
export type HostOperationName = Exclude<OperationName, EngineOperationName>;

type Outputs<T extends readonly Schema[]> = { -readonly [K in keyof T]: v.InferOutput<T[K]> };
export type ArgsOf<K extends OperationName> = Table[K] extends OperationDef<unknown, infer A, infer O>
  ? [...Outputs<A>, ...Partial<Outputs<O>>]
  : never;
export type ResultOf<K extends OperationName> = Table[K] extends OperationDef<infer R> ? R : never;
export type OperationFn<K extends OperationName> = (...args: ArgsOf<K>) => Promise<Result<ResultOf<K>>>;

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];
export const ENGINE_OPERATIONS = OPERATION_NAMES.filter((n): n is EngineOperationName => !OPERATIONS[n].host);

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(OPERATIONS, name);
}

function invalid<T = never>(message: string): Result<T> {
  return fail({ code: 'invalid-argument', message });
}

/**
 * Checks a raw argument list against the table: arity first (IPC callers can send any number),
 * then each argument, first failure reported. Trailing optional arguments that are absent or
 * undefined are dropped, so the service applies its own defaults.
 */
export function parseArguments<K extends OperationName>(name: K, args: unknown): Result<ArgsOf<K>> {
  const def: OperationDef = OPERATIONS[name];
  if (!Array.isArray(args)) return invalid(`${name}: arguments must be a list.`);
  const min = def.args.length;
  const max = min + def.optional.length;
  if (args.length < min || args.length > max) {
    return invalid(min === max
      ? `${name} takes ${min} argument${min === 1 ? '' : 's'}, got ${args.length}.`
      : `${name} takes ${min} to ${max} arguments, got ${args.length}.`);
  }
  let given = args.length;
  while (given > min && args[given - 1] === undefined) given--;
  const schemas = [...def.args, ...def.optional];
  const out: unknown[] = [];
  for (let i = 0; i < given; i++) {
    const parsed = s.check(schemas[i], args[i]);
    if (!parsed.ok) return parsed;
    out.push(parsed.value);
  }
  return ok(out as ArgsOf<K>);
}

/** Drops trailing undefined arguments (optional parameters left out), as every client sends them. */
export function trimArguments(args: readonly unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.slice(0, n);
}
