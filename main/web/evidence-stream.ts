/**
 * Read-only streaming of a registered evidence file for in-browser playback, shared by the web
 * host (GET /api/evidence/<caseId>/<evidenceId>) and the desktop app's app:// protocol.
 *
 * The file is never trusted by name alone:
 * - only evidence the case registered, and only while its integrity reads 'ok';
 * - the path is resolved (symlinks included) and must stay inside the case folder;
 * - it is opened O_RDONLY and the open descriptor's size must equal the registered size, so a
 *   file swapped or grown after registration is refused rather than played as evidence.
 * One byte range per request (what media elements ask for); 206 with Content-Range.
 */
import { constants, type ReadStream } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { DeepscanApi } from '../../common/api.js';

const TYPES: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

export function mediaTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export class StreamRefused extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export interface EvidenceStream {
  status: 200 | 206;
  headers: Record<string, string>;
  /** Null for HEAD. */
  body: ReadStream | null;
}

/** Parses a single `bytes=` range against `size`; null when there is no (usable) Range header. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw new StreamRefused(416, 'range-not-satisfiable', 'Only one byte range is served.', { 'Content-Range': `bytes */${size}` });
  let start: number;
  let end: number;
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) {
    throw new StreamRefused(416, 'range-not-satisfiable', `Range outside the file (${size} bytes).`, { 'Content-Range': `bytes */${size}` });
  }
  return { start, end };
}

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Opens evidence `evidenceId` of `caseId` for reading, after every check above. */
export async function openEvidenceStream(
  service: Pick<DeepscanApi, 'getCase' | 'listEvidence'>,
  caseId: string,
  evidenceId: number,
  range: string | undefined,
  head = false,
): Promise<EvidenceStream> {
  const c = await service.getCase(caseId);
  if (!c.ok) throw new StreamRefused(404, c.error.code, c.error.message);
  const list = await service.listEvidence(caseId);
  if (!list.ok) throw new StreamRefused(404, list.error.code, list.error.message);
  const row = list.value.find((e) => e.id === evidenceId);
  if (!row) throw new StreamRefused(404, 'not-found', `Evidence ${evidenceId} is not registered in this case.`);
  if (row.integrity !== 'ok') throw new StreamRefused(409, 'integrity-failed', `${row.path}: integrity is ${row.integrity}; it is not played.`);
  let root: string;
  let file: string;
  try {
    root = await realpath(c.value.folder);
    file = await realpath(path.resolve(root, ...row.path.split('/')));
  } catch {
    throw new StreamRefused(404, 'not-found', `${row.path} cannot be found.`);
  }
  if (!inside(root, file)) throw new StreamRefused(403, 'forbidden', `${row.path} resolves outside the case folder.`);
  const fh = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => {
    throw new StreamRefused(404, 'not-found', `${row.path} cannot be opened.`);
  });
  return rangeOf(fh, row.size, mediaTypeOf(file), range, head, `${row.path} is not the registered file`);
}

/**
 * Opens the playback copy of evidence `evidenceId` (transcoded into the case workspace, see
 * main/engine/service/proxies.ts): only the copy the engine recorded for the evidence's current
 * bytes, read-only, and only while its size is the recorded one.
 */
export async function openPlaybackCopyStream(
  service: Pick<DeepscanApi, 'getPlaybackCopy'>,
  caseId: string,
  evidenceId: number,
  range: string | undefined,
  head = false,
): Promise<EvidenceStream> {
  const copy = await service.getPlaybackCopy(caseId, evidenceId);
  if (!copy.ok) throw new StreamRefused(404, copy.error.code, copy.error.message);
  if (!copy.value) throw new StreamRefused(404, 'not-found', `Evidence ${evidenceId} has no playback copy.`);
  const info = copy.value;
  const fh = await open(info.file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => {
    throw new StreamRefused(404, 'not-found', 'The playback copy cannot be opened.');
  });
  return rangeOf(fh, info.bytes, info.mediaType, range, head, 'The playback copy is not the recorded one');
}

/** Answers `range` of an open file whose size must be `expected`; closes it on every refusal. */
async function rangeOf(fh: FileHandle, expected: number, type: string, range: string | undefined, head: boolean, mismatch: string): Promise<EvidenceStream> {
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size !== expected) {
      throw new StreamRefused(409, 'integrity-failed', `${mismatch} (size ${st.size}, recorded ${expected}).`);
    }
    const size = st.size;
    const r = parseRange(range, size);
    const start = r?.start ?? 0;
    const end = r?.end ?? size - 1;
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(size === 0 ? 0 : end - start + 1),
      'Cache-Control': 'no-store',
    };
    if (r) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    if (head || size === 0) {
      await fh.close();
      return { status: r ? 206 : 200, headers, body: null };
    }
    // The stream owns the descriptor from here and closes it at the end (or on destroy).
    return { status: r ? 206 : 200, headers, body: fh.createReadStream({ start, end, autoClose: true }) };
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
}
