/**
 * Playback copies (proxies) of evidence, as the audit log records them: each
 * 'playback-copy-made' entry carries the evidence's SHA-256, the copy's path in the case
 * workspace, its SHA-256 and size, and the ffmpeg parameters. A copy is keyed by the evidence
 * hash, so the same bytes get one copy however often it is asked for. No table of its own: the
 * signed audit entry is the record (and so cannot be changed unnoticed).
 */
import type { PlaybackCopyInfo } from '../../../common/api.js';
import type { CaseStore } from './case-store.js';

/** What the audit entry records: the API's PlaybackCopyInfo without the per-request `reused`, plus the entry's seq. */
export interface ProxyRecord extends Omit<PlaybackCopyInfo, 'reused'> {
  /** The audit entry's seq. */
  seq: number;
}

export const PROXY_ACTION = 'playback-copy-made';

/** The newest copy recorded for these evidence bytes; null when none. */
export function proxyRecordFor(store: CaseStore, evidenceSha256: string): ProxyRecord | null {
  const r = store.prepare(
    `SELECT seq, at, details FROM audit_log WHERE action = '${PROXY_ACTION}' AND json_extract(details, '$.evidenceSha256') = ? ORDER BY seq DESC LIMIT 1`,
  ).get(evidenceSha256) as { seq: number; at: string; details: string } | undefined;
  if (!r) return null;
  const d = JSON.parse(r.details) as Partial<Record<keyof ProxyRecord, unknown>>;
  if (typeof d.file !== 'string' || typeof d.sha256 !== 'string' || typeof d.bytes !== 'number') return null;
  return {
    seq: r.seq,
    evidenceId: typeof d.evidenceId === 'number' ? d.evidenceId : 0,
    evidenceSha256,
    file: d.file,
    sha256: d.sha256,
    bytes: d.bytes,
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : 'video/mp4',
    createdAt: r.at,
    ffmpegVersion: typeof d.ffmpegVersion === 'string' ? d.ffmpegVersion : '',
    ffmpegArgs: Array.isArray(d.ffmpegArgs) ? d.ffmpegArgs.filter((a): a is string => typeof a === 'string') : [],
  };
}
