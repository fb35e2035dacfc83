/**
 * The workstation API: one typed function per operation. The Electron preload exposes it as
 * `window.deepscan`, the loopback web host serves it over HTTP, and the main process
 * implements it on top of the engine. Every input is validated at runtime in main
 * (see main/ipc/validate.ts) because the renderer is untrusted.
 *
 * This file is pure types and constants: no Node, no Electron, no DOM.
 */
import type { Result } from './result.js';

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
  | { type: 'task-finished'; taskId: string; status: TaskStatus; error: string | null };

export interface DeepscanApi {
  openCase(req: OpenCaseRequest): Promise<Result<CaseSummary>>;
  listEvidence(caseId: string): Promise<Result<EvidenceRow[]>>;
  startAnalysis(req: AnalysisRequest): Promise<Result<TaskInfo>>;
  cancelAnalysis(taskId: string): Promise<Result<TaskInfo>>;
  /** Summary of a case opened earlier in this workstation home (e.g. after a renderer reload). */
  getCase(caseId: string): Promise<Result<CaseSummary>>;
  /** Subscribe to task events; returns an unsubscribe function. */
  onTaskEvent(listener: (event: TaskEvent) => void): () => void;
}

/**
 * Operations only a desktop host can offer (native dialogs). Not part of the engine service:
 * main/ipc implements them with Electron; a browser-hosted variant simply lacks them.
 */
export interface HostApi {
  /** Native "choose folder" dialog; `null` when the user cancelled. */
  pickFolder(): Promise<Result<string | null>>;
}

/** What the renderer sees as `window.deepscan` (host operations are optional). */
export type DeepscanClient = DeepscanApi & Partial<HostApi>;

/** IPC channel names, one per operation (never a generic "invoke anything" channel). */
export const IPC_CHANNELS = {
  openCase: 'deepscan:open-case',
  listEvidence: 'deepscan:list-evidence',
  startAnalysis: 'deepscan:start-analysis',
  cancelAnalysis: 'deepscan:cancel-analysis',
  getCase: 'deepscan:get-case',
  pickFolder: 'deepscan:pick-folder',
  taskEvent: 'deepscan:task-event',
} as const;
