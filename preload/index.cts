/**
 * Preload for the sandboxed renderer. Sandboxed preloads are CommonJS and may only require a
 * handful of modules ('electron' among them), so nothing from common/ is imported at runtime:
 * the channel names are repeated here and preload/index.test.ts checks that they match
 * IPC_CHANNELS exactly.
 *
 * Exposes `window.deepscan`: one function per operation, each a single `ipcRenderer.invoke`
 * with the operation's own arguments. ipcRenderer itself is never exposed.
 */
import type { DeepscanApi, HostApi, TaskEvent } from '../common/api.js';
import type { Result } from '../common/result.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

const CHANNELS = {
  openCase: 'deepscan:open-case',
  listEvidence: 'deepscan:list-evidence',
  startAnalysis: 'deepscan:start-analysis',
  cancelAnalysis: 'deepscan:cancel-analysis',
  getCase: 'deepscan:get-case',
  listRecentCases: 'deepscan:list-recent-cases',
  getVideo: 'deepscan:get-video',
  getFramePreview: 'deepscan:get-frame-preview',
  getFaceCrop: 'deepscan:get-face-crop',
  getReviewQueue: 'deepscan:get-review-queue',
  submitReview: 'deepscan:submit-review',
  listModels: 'deepscan:list-models',
  importModel: 'deepscan:import-model',
  getAudit: 'deepscan:get-audit',
  getFaceOverlays: 'deepscan:get-face-overlays',
  computeHeatmap: 'deepscan:compute-heatmap',
  compareVideos: 'deepscan:compare-videos',
  exportReport: 'deepscan:export-report',
  pickFolder: 'deepscan:pick-folder',
  taskEvent: 'deepscan:task-event',
} as const;

function invoke<T>(channel: string, ...args: unknown[]): Promise<Result<T>> {
  return ipcRenderer.invoke(channel, ...args) as Promise<Result<T>>;
}

const api: DeepscanApi & HostApi = {
  openCase: (req) => invoke(CHANNELS.openCase, req),
  listEvidence: (caseId) => invoke(CHANNELS.listEvidence, caseId),
  getCase: (caseId) => invoke(CHANNELS.getCase, caseId),
  startAnalysis: (req) => invoke(CHANNELS.startAnalysis, req),
  cancelAnalysis: (taskId) => invoke(CHANNELS.cancelAnalysis, taskId),
  listRecentCases: () => invoke(CHANNELS.listRecentCases),
  getVideo: (caseId, evidenceId) => invoke(CHANNELS.getVideo, caseId, evidenceId),
  getFramePreview: (caseId, frameId) => invoke(CHANNELS.getFramePreview, caseId, frameId),
  getFaceCrop: (caseId, faceId) => invoke(CHANNELS.getFaceCrop, caseId, faceId),
  // The threshold is optional: sent only when given, so main applies its default.
  getReviewQueue: (caseId, threshold) =>
    threshold === undefined ? invoke(CHANNELS.getReviewQueue, caseId) : invoke(CHANNELS.getReviewQueue, caseId, threshold),
  submitReview: (req) => invoke(CHANNELS.submitReview, req),
  listModels: () => invoke(CHANNELS.listModels),
  importModel: (path) => invoke(CHANNELS.importModel, path),
  getAudit: (caseId) => invoke(CHANNELS.getAudit, caseId),
  getFaceOverlays: (caseId, faceId) => invoke(CHANNELS.getFaceOverlays, caseId, faceId),
  computeHeatmap: (caseId, faceId) => invoke(CHANNELS.computeHeatmap, caseId, faceId),
  // Optional trailing arguments are sent only when given, so main applies its defaults.
  compareVideos: (caseId, suspectId, referenceId, offset) =>
    offset === undefined ? invoke(CHANNELS.compareVideos, caseId, suspectId, referenceId) : invoke(CHANNELS.compareVideos, caseId, suspectId, referenceId, offset),
  exportReport: (caseId, examiner) => (examiner === undefined ? invoke(CHANNELS.exportReport, caseId) : invoke(CHANNELS.exportReport, caseId, examiner)),
  pickFolder: () => invoke(CHANNELS.pickFolder),
  onTaskEvent(listener: (event: TaskEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onTaskEvent expects a function.');
    // Drop the IpcRendererEvent: it carries `sender` (the ipcRenderer) and must not reach the page.
    const wrapped = (_event: unknown, payload: TaskEvent): void => listener(payload);
    ipcRenderer.on(CHANNELS.taskEvent, wrapped);
    return () => {
      ipcRenderer.removeListener(CHANNELS.taskEvent, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('deepscan', Object.freeze(api));
