import type { CaseStore } from '../store/case-store.js';
import { verifyAuditChain } from '../store/audit.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { softwareVersion } from '../util/version.js';

/**
 * The JSON contract of `deepscan analyze --json` (documented in the README). Later stages add
 * fields; existing fields are never renamed or repurposed.
 */
export interface CaseJson {
  case: {
    id: string;
    name: string;
    number: string | null;
    examiner: string | null;
    folder: string;
    createdAt: string;
    softwareVersion: string;
    schemaVersion: number;
    audit: { ok: boolean; entries: number; headHash: string };
    lastRun: { id: number; status: string; startedAt: string; endedAt: string | null; params: unknown; stageVersions: Record<string, number>; softwareVersion: string } | null;
  };
  evidence: EvidenceJson[];
}

export interface EvidenceJson {
  path: string;
  sha256: string | null;
  size: number | null;
  kind: 'video' | 'image' | 'other';
  status: 'analyzed' | 'unreadable' | 'not-media' | 'integrity-failed' | 'pending';
  error: string | null;
  errorCode: string | null;
  integrity: 'ok' | 'changed' | 'missing' | 'unverified';
  frameCount: number | null;
  frameCountSource: string | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  durationSec: number | null;
  rotation: number | null;
  codec: string | null;
  container: string | null;
  analysis: { run: number; completedAt: string; params: unknown; stageVersions: Record<string, number> } | null;
  frames: { index: number; pts: number | null; faces: unknown[] }[];
}

export function buildCaseJson(store: CaseStore): CaseJson {
  const info = store.getCase();
  if (!info) throw new Error(`${store.file}: the case database holds no case`);
  const audit = verifyAuditChain(store.db);
  const runs = store.listRuns();
  const last = runs[runs.length - 1];
  return {
    case: {
      id: info.id, name: info.name, number: info.number, examiner: info.examiner, folder: info.folder, createdAt: info.createdAt,
      softwareVersion: softwareVersion(), schemaVersion: SCHEMA_VERSION,
      audit: { ok: audit.ok, entries: audit.entries, headHash: audit.headHash },
      lastRun: last ? { id: last.id, status: last.status, startedAt: last.startedAt, endedAt: last.endedAt, params: last.params, stageVersions: last.stageVersions, softwareVersion: last.softwareVersion } : null,
    },
    evidence: store.listEvidence().map((e) => {
      const analysis = store.getAnalysis(e.id);
      const frames = analysis?.status === 'analyzed' ? store.listFrames(e.id) : [];
      return {
        path: e.relPath, sha256: e.sha256, size: e.size, kind: e.kind, status: e.status, error: e.error, errorCode: e.errorCode,
        integrity: e.integrity, frameCount: e.frameCount, frameCountSource: e.frameCountSource, fps: e.fps, width: e.width, height: e.height,
        durationSec: e.durationSec, rotation: e.rotation, codec: e.codec, container: e.container,
        analysis: analysis ? { run: analysis.runId, completedAt: analysis.completedAt, params: analysis.params, stageVersions: analysis.stageVersions } : null,
        frames: frames.map((f) => ({ index: f.frameIndex, pts: f.ptsSec, faces: [] })),
      };
    }),
  };
}
