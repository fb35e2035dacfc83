/**
 * The reports the engine wrote for a case, as its audit log records them: each
 * 'report-generated' entry carries the file's path and SHA-256, and its sequence number is the
 * report's id. Nothing else names a report: the web host and the desktop host serve or open a
 * report only through this record, never a path sent by a client.
 */
import type { CaseStore } from './case-store.js';

export interface ReportRecord {
  /** The 'report-generated' audit entry's seq. */
  id: number;
  /** Absolute path the report was written to. */
  path: string;
  sha256: string;
  bytes: number | null;
  generatedAt: string;
}

interface Row {
  seq: number;
  at: string;
  details: string;
}

function toRecord(r: Row | undefined): ReportRecord | null {
  if (!r) return null;
  const d = JSON.parse(r.details) as { path?: unknown; sha256?: unknown; bytes?: unknown; generatedAt?: unknown };
  if (typeof d.path !== 'string' || typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) return null;
  return {
    id: r.seq,
    path: d.path,
    sha256: d.sha256,
    bytes: typeof d.bytes === 'number' ? d.bytes : null,
    generatedAt: typeof d.generatedAt === 'string' ? d.generatedAt : r.at,
  };
}

/** The report recorded under audit entry `id`; null when that entry is not a report. */
export function reportRecord(store: CaseStore, id: number): ReportRecord | null {
  const r = store.prepare("SELECT seq, at, details FROM audit_log WHERE seq = ? AND action = 'report-generated'").get(id) as Row | undefined;
  return toRecord(r);
}

/** The newest report recorded for this path and hash (the entry an export just appended). */
export function reportRecordFor(store: CaseStore, path: string, sha256: string): ReportRecord | null {
  const r = store.prepare(
    "SELECT seq, at, details FROM audit_log WHERE action = 'report-generated' AND json_extract(details, '$.path') = ? AND json_extract(details, '$.sha256') = ? ORDER BY seq DESC LIMIT 1",
  ).get(path, sha256) as Row | undefined;
  return toRecord(r);
}
