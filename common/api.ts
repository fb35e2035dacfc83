/**
 * The workstation API: one typed function per operation. The Electron preload exposes it as
 * `window.deepscan`, the loopback web host serves it over HTTP, and the main process
 * implements it on top of the engine. The operations themselves are declared once, in
 * common/operations.ts (name, channel, argument schemas, result type); every input is
 * validated at runtime in main against those schemas because the renderer is untrusted.
 *
 * This file is types and constants: no Node, no Electron, no DOM.
 */
import type { VerdictBand } from './verdict.js';
import { OPERATION_NAMES, OPERATIONS, TASK_EVENT_CHANNEL, type EngineOperationName, type HostOperationName, type OperationFn, type OperationName } from './operations.js';

export type EvidenceKind = 'video' | 'image' | 'other';
export type EvidenceStatus = 'pending' | 'analyzed' | 'unreadable' | 'not-media' | 'integrity-failed';

export interface CaseSummary {
  id: string;
  name: string;
  number: string | null;
  examiner: string | null;
  /** Absolute path of the evidence folder (never written to). */
  folder: string;
  createdAt: string;
  evidenceCount: number;
}

export interface EvidenceRow {
  id: number;
  /** Relative to the case folder, '/'-separated. */
  path: string;
  size: number;
  sha256: string | null;
  kind: EvidenceKind;
  status: EvidenceStatus;
  error: string | null;
  integrity: 'ok' | 'changed' | 'missing' | 'unverified';
  durationSec: number | null;
  frameCount: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  sampledFrames: number;
  faces: number;
  /** Ensemble score of the current analysis; null when not analysed or not scored. */
  score: number | null;
  /** Faces of this item with a current examiner decision. */
  reviewedFaces: number;
  /** Incomplete or damaged media noticed by the current analysis (truncated, decode errors…); [] when none. */
  warnings: MediaWarning[];
}

/** A finding about the media behind a result, e.g. { code: 'truncated', message: 'truncated: 133 of 300 frames decodable; …' }. */
export interface MediaWarning {
  code: string;
  message: string;
}

export interface OpenCaseRequest {
  folder: string;
  name?: string;
  number?: string;
  examiner?: string;
}

export interface AnalysisRequest {
  caseId: string;
  /** Frames sampled per video (default 32, as the reference system). */
  frames?: number;
  /** Who runs it (recorded in the audit log); default: the case's examiner. */
  examiner?: string;
  /** Score with a named ensemble's installed members (dfdc-2020-winner) instead of every installed model. */
  ensemble?: string;
  /**
   * Analyse through a job queue (redis:// or rediss:// URL) with `deepscan worker` processes
   * instead of on this machine; the evidence is still registered and hashed here.
   */
  queue?: string;
}

export type TaskStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface TaskInfo {
  taskId: string;
  caseId: string;
  status: TaskStatus;
}

/** Progress of a running analysis, streamed to subscribers. */
export type TaskEvent =
  | { type: 'task-started'; taskId: string; caseId: string; total: number }
  | {
      type: 'item-progress';
      taskId: string;
      evidencePath: string;
      stage: string;
      /** 0..1 within the current item. */
      fraction: number;
      done: number;
      total: number;
    }
  | { type: 'item-finished'; taskId: string; evidencePath: string; status: EvidenceStatus; error: string | null; skipped: boolean }
  | { type: 'task-finished'; taskId: string; status: TaskStatus; error: string | null }
  /**
   * Progress of a playback copy being made (makePlaybackCopy): 'verify' while the evidence is
   * re-hashed, then 'transcode' with the position ffmpeg has written (0..1 of the duration).
   * taskId is null: it is not an analysis, and analysis listeners filtering by task ignore it.
   */
  | { type: 'copy-progress'; taskId: null; caseId: string; evidenceId: number; stage: 'verify' | 'transcode'; fraction: number }
  /**
   * The engine process died (its running tasks were reported failed just before). taskId is
   * null so that listeners filtering by task ignore it; the next call starts a new engine.
   */
  | { type: 'engine-crashed'; taskId: null; message: string };

export type Box = [number, number, number, number];

/** The examiner's decision on a face (absent: not reviewed). */
export type ReviewDecision = 'fake' | 'real' | 'unsure';

export interface ReviewInfo {
  decision: ReviewDecision | null;
  /** 0–5 category, as in Autopsy's image gallery (0 = uncategorised). */
  category: number | null;
  note: string | null;
  examiner: string;
  at: string;
}

export interface FaceInfo {
  id: number;
  faceNo: number;
  /** Full-resolution integer box. */
  box: Box;
  detector: { box: Box; prob: number };
  /** 5 points: left eye, right eye, nose, mouth left, mouth right (full resolution). */
  landmarks: [number, number][];
  crop: Box;
  track: number | null;
  /** Model id → fake probability. */
  predictions: Record<string, number>;
  /** Mean of the models' probabilities for this face; null without models. */
  ensemble: number | null;
  review: ReviewInfo | null;
  /** Difference energy of this face in the item's latest comparison; null when not compared. */
  energy?: number | null;
  /** 'decided' only with a decision; a note or category alone is 'needs-decision'. */
  reviewState?: ReviewState;
}

/** A face counts as reviewed only when it has a decision; a note or category alone does not. */
export type ReviewState = 'unreviewed' | 'needs-decision' | 'decided';

export interface FrameInfo {
  id: number;
  sampleNo: number;
  index: number;
  pts: number | null;
  width: number;
  height: number;
  faces: FaceInfo[];
}

export interface ModelOutcome {
  id: string;
  name: string;
  onnxSha256: string;
  /** confident_strategy value over the video's faces. */
  value: number | null;
  branch: 'confident-fake' | 'confident-real' | 'mean' | null;
  faces: number;
  /** "test model — not trained, scores meaningless" for a model without the release's card; null otherwise. */
  label?: string | null;
}

export interface TrackOutcome {
  id: number;
  score: number | null;
  faces: number;
  frames: number[];
  /** Mean difference energy of this person in the item's latest comparison (absent: never compared; null: no mask matched). */
  energy?: number | null;
}

export interface SeedOutcome {
  /** The DFDC winner's own number: its first frames × 4 − 1 faces (127 at 32 frames) only. */
  score: number | null;
  /** Faces it used. */
  faces: number;
  note: string | null;
  /** Faces the analysis found (what score uses). */
  totalFaces: number;
}

export interface VideoDetail {
  evidence: EvidenceRow;
  /** Seed-exact score beside the all-faces score; null when not analysed (absent from older engines). */
  seed?: SeedOutcome | null;
  score: number | null;
  scoreNote: string | null;
  models: ModelOutcome[];
  tracks: TrackOutcome[];
  frames: FrameInfo[];
  /** Comparisons with known originals in which this item is the suspect, newest first. */
  comparisons?: ComparisonInfo[];
  analysis: {
    run: number;
    completedAt: string;
    executionProvider: string | null;
    params: unknown;
    stageVersions: Record<string, number>;
  } | null;
}

export interface ReviewQueueItem {
  evidenceId: number;
  path: string;
  frameId: number;
  frameIndex: number;
  /** The frame's place among the item's sampled frames (0-based); absent from older engines. */
  sampleNo?: number;
  faceId: number;
  faceNo: number;
  track: number | null;
  ensemble: number;
  review: ReviewInfo | null;
  /** Verdict band of the face's ensemble probability. */
  band: VerdictBand;
  /** Difference energy in the item's latest comparison; null when not compared. */
  energy: number | null;
  reviewState: ReviewState;
  /** reviewState === 'decided'. */
  reviewed: boolean;
}

/** Filters of the review queue; every field left out matches everything. */
export interface ReviewQueueFilter {
  evidenceId?: number;
  /** Person (track id, 0-based as stored). */
  track?: number;
  bands?: VerdictBand[];
  /** 'none': no decision yet. */
  decisions?: (ReviewDecision | 'none')[];
  /** Inclusive range of difference energy; faces without a mask never match an energy bound. */
  energyMin?: number;
  energyMax?: number;
  states?: ReviewState[];
}

/** Editable case details; a field left out is kept, null clears number or examiner. */
export interface CaseDetailsRequest {
  name?: string;
  number?: string | null;
  examiner?: string | null;
}

/** What an undo did: the decision undone and the state restored (a new audited review row). */
export interface UndoResult {
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  /** The review row undone. */
  undoneReviewId: number;
  /** The face's review state now (null fields when nothing was recorded before). */
  review: ReviewInfo;
}

/** A review category with its label for this case (labels editable per case). */
export interface CategoryLabel {
  category: number;
  label: string;
  /** The label was set for this case (false: the default). */
  custom: boolean;
}

export interface ReviewRequest {
  caseId: string;
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  decision?: ReviewDecision | null;
  category?: number | null;
  note?: string | null;
  examiner: string;
}

export interface ModelInfo {
  id: string;
  name: string;
  architecture: string;
  inputSize: number;
  parameters: number | null;
  onnxSha256: string;
  sources: { fileName: string; sha256: string; format: string }[];
  createdAt: string;
  /** The release's model card (DFDC-winner B7s only); null → a test model, not trained for this. Absent from older engines. */
  card?: ModelCardInfo | null;
}

export interface ModelCardInfo {
  ensemble: string;
  member: { fileName: string; seed: number; epoch: number };
  source: { repository: string; release: string; files: string[] };
  licence: string;
  trainingData: string;
  inputSize: number;
  publishedAccuracy: string;
  knownLimits: string[];
}

export interface AuditItem {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: unknown;
  hash: string;
}

export interface AuditView {
  /** Chain, signatures and result digests all verify. */
  ok: boolean;
  entries: number;
  headHash: string;
  firstBadSeq: number | null;
  problem: string | null;
  /** Fingerprint (SHA-256 hex of the Ed25519 public key) that signed the latest entry; null when unsigned. */
  keyFingerprint?: string | null;
  /** Whether that key is this installation's (null when not checked). */
  installationKey?: boolean | null;
  /** Every failure found (problem is the first). */
  problems?: string[];
  items: AuditItem[];
}

/** What is stored for one face beyond its scores (issue #6): difference mask and model attention. */
export interface FaceOverlays {
  /** 1 − SSIM difference against a known original of the case; null until a comparison is computed. */
  mask: { dataUrl: string; energy: number; crop: Box; referencePath: string; referenceFrameIndex: number } | null;
  /** Occlusion-sensitivity map ("model attention"), covering the face crop; null until computed. */
  /**
   * Model attention. `scale`: the values the colour map's two ends stand for (common/colormap.ts),
   * for the legend — CAM in logit units (positive = towards "fake"), occlusion as a drop of the fake probability.
   */
  heatmap: {
    dataUrl: string; label: string; baseScore: number; models: string[]; createdAt: string;
    method: 'cam' | 'occlusion'; scale: { min: number; max: number; unit: 'logit' | 'probability drop' };
  } | null;
}

export interface ComparisonSummary {
  comparisonId: number;
  suspectPath: string;
  referencePath: string;
  offset: number;
  frames: number;
  faces: number;
  /** Mean difference energy over the compared faces (mean of mask/255). */
  meanEnergy: number | null;
  /** Per person of the suspect (track), highest energy first. */
  tracks?: ComparisonTrack[];
}

/** Difference energy of one person (suspect track) in a comparison. */
export interface ComparisonTrack {
  track: number;
  /** Mean of the person's face energies. */
  energy: number;
  /** Highest single-face energy of the person. */
  maxEnergy: number;
  faces: number;
  /** Distinct frames with a compared face of this person. */
  frames: number;
}

/** A stored comparison with per-video and per-person difference energy (derived from its masks). */
export interface ComparisonInfo {
  comparisonId: number;
  suspectEvidenceId: number;
  referenceEvidenceId: number;
  /** Path of the original, relative to the case folder. */
  reference: string;
  referenceSha256: string;
  suspectSha256: string;
  offset: number;
  /** Frames compared. */
  frames: number;
  faces: number;
  /** Mean energy over all compared faces; null when none. */
  energy: number | null;
  tracks: ComparisonTrack[];
  /** Masks that match no face of the suspect's current analysis (counted in energy, not in tracks). */
  unmatchedFaces: number;
  createdAt: string;
}

export interface ReportResult {
  /** The report's id: the seq of its 'report-generated' audit entry (what hosts serve and open it by). */
  id: number;
  /** Absolute path of the written PDF (in the case workspace, never the evidence folder). */
  file: string;
  sha256: string;
  pages: number;
  generatedAt: string;
  /** A safe file name for a copy: case number (or name) and date, e.g. `deepscan-report-2026-0042-2026-12-02.pdf`. */
  downloadName: string;
}

/**
 * A playback copy of an evidence video (transcoded once into the case workspace for a browser
 * that cannot play its codec): never the evidence, and labelled so wherever it is shown.
 */
export interface PlaybackCopyInfo {
  evidenceId: number;
  /** The evidence bytes it was made from (the copy's key). */
  evidenceSha256: string;
  /** Absolute path of the copy, in the case workspace (never the evidence folder). */
  file: string;
  /** SHA-256 and size of the copy itself (recorded in the audit log). */
  sha256: string;
  bytes: number;
  mediaType: string;
  createdAt: string;
  /** ffmpeg's version and the encoding parameters used. */
  ffmpegVersion: string;
  ffmpegArgs: string[];
  /** True when this request found an existing copy instead of transcoding. */
  reused: boolean;
}

/** A report the engine wrote for a case, as its audit entry records it (getReportFile). */
export interface ReportFileInfo {
  id: number;
  /** Where the engine wrote it (case workspace, or a CLI --pdf path). */
  file: string;
  /** The SHA-256 recorded when it was written; a file that no longer matches is refused ('report-changed'). */
  sha256: string;
  bytes: number | null;
  generatedAt: string;
  downloadName: string;
  /** The case's evidence folder: copies are never written inside it. */
  evidenceFolder: string;
}

/** A verified copy of a report written where the examiner chose ('report-copied' in the audit log). */
export interface ReportCopy {
  reportId: number;
  /** Absolute path of the copy (outside the evidence folder). */
  file: string;
  sha256: string;
}

/**
 * The engine's operations, derived from the operation table (common/operations.ts): one
 * method per engine operation, taking the schemas' argument types and answering a Result of
 * the declared type; plus the task-event subscription.
 */
export type DeepscanApi = { [K in EngineOperationName]: OperationFn<K> } & {
  /** Subscribe to task events; returns an unsubscribe function. */
  onTaskEvent(listener: (event: TaskEvent) => void): () => void;
};

/**
 * Operations only a desktop host can offer (native dialogs). Not part of the engine service:
 * main/ipc implements them with Electron; a browser-hosted variant simply lacks them.
 */
export type HostApi = { [K in HostOperationName]: OperationFn<K> };

/** What the renderer sees as `window.deepscan` (host operations are optional). */
export type DeepscanClient = DeepscanApi & Partial<HostApi>;

/** IPC channel names, one per operation (never a generic "invoke anything" channel), from the table. */
export const IPC_CHANNELS = {
  ...(Object.fromEntries(OPERATION_NAMES.map((n) => [n, OPERATIONS[n].channel])) as { [K in OperationName]: (typeof OPERATIONS)[K]['channel'] }),
  taskEvent: TASK_EVENT_CHANNEL,
} as const;
