/** A scriptable fake of the workstation API for renderer tests (records calls, emits events). */
import type {
  CaseSummary,
  DeepscanClient,
  EvidenceRow,
  TaskEvent,
  TaskInfo,
} from '../../../common/api.js';
import { ok, type Result } from '../../../common/result.js';

export const SUMMARY: CaseSummary = {
  id: 'case-1',
  name: 'Harbour fraud',
  number: '2026-0042',
  examiner: 'J. Doe',
  folder: '/cases/2026-0042/evidence',
  createdAt: '2026-11-24T09:00:00Z',
  evidenceCount: 3,
};

export function row(partial: Partial<EvidenceRow> & Pick<EvidenceRow, 'id' | 'path'>): EvidenceRow {
  return {
    size: 1_048_576,
    sha256: 'a'.repeat(64),
    kind: 'video',
    status: 'pending',
    error: null,
    integrity: 'unverified',
    durationSec: 12,
    frameCount: 360,
    fps: 30,
    width: 1280,
    height: 720,
    sampledFrames: 0,
    faces: 0,
    ...partial,
  };
}

export const ROWS: EvidenceRow[] = [
  row({ id: 1, path: 'clips/interview.mp4', sha256: '3f9a1c0b7d2e'.padEnd(64, '0') }),
  row({ id: 2, path: 'clips/broken.mov', sha256: '77aa00bb11cc'.padEnd(64, '1') }),
  row({ id: 3, path: 'notes.txt', kind: 'other', status: 'not-media', width: null, height: null, durationSec: null, frameCount: null }),
];

export interface FakeApi extends DeepscanClient {
  calls: [string, unknown][];
  emit(ev: TaskEvent): void;
  listeners: Set<(ev: TaskEvent) => void>;
  rows: EvidenceRow[];
}

export function fakeApi(overrides: Partial<DeepscanClient> = {}, withPicker = true): FakeApi {
  const listeners = new Set<(ev: TaskEvent) => void>();
  const calls: [string, unknown][] = [];
  const api: FakeApi = {
    calls,
    listeners,
    rows: ROWS.map((r) => ({ ...r })),
    emit(ev) {
      for (const l of listeners) l(ev);
    },
    async openCase(req) {
      calls.push(['openCase', req]);
      return ok(SUMMARY);
    },
    async listEvidence(caseId) {
      calls.push(['listEvidence', caseId]);
      return ok(api.rows.map((r) => ({ ...r })));
    },
    async getCase(caseId) {
      calls.push(['getCase', caseId]);
      return ok(SUMMARY);
    },
    async startAnalysis(req): Promise<Result<TaskInfo>> {
      calls.push(['startAnalysis', req]);
      return ok({ taskId: 'task-1', caseId: req.caseId, status: 'running' });
    },
    async cancelAnalysis(taskId): Promise<Result<TaskInfo>> {
      calls.push(['cancelAnalysis', taskId]);
      return ok({ taskId, caseId: SUMMARY.id, status: 'cancelled' });
    },
    onTaskEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ...overrides,
  };
  if (withPicker && !('pickFolder' in overrides)) {
    api.pickFolder = async () => (calls.push(['pickFolder', null]), ok('/picked/folder'));
  }
  return api;
}
