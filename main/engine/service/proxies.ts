/**
 * "Make a playback copy": an evidence video in a codec the browser cannot play is transcoded
 * once into the case workspace (`<workspace>/proxies/<evidence sha256>.mp4`, never the evidence
 * folder) and played from there, labelled as a copy. Like analysis, the evidence is hashed
 * against its registered SHA-256 first, its identity is checked just before ffmpeg opens it and
 * it is hashed again afterwards; a file swapped at any point gets no copy (and the failure is
 * recorded). The copy's SHA-256 and the ffmpeg parameters go into the audit log
 * ('playback-copy-made'); a later request for the same bytes reuses the copy once it still
 * hashes to what was recorded.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlaybackCopyInfo } from '../../../common/api.js';
import type { OpenedCase } from '../case/open-case.js';
import { checkAfterDecode, checkBeforeDecode } from '../ingest/decode-guard.js';
import type { FfmpegTools } from '../media/ffmpeg.js';
import { PROXY_MEDIA_TYPE, proxyOutputArgs, transcodeProxy } from '../media/transcode.js';
import { verifyRegisteredHash } from '../pipeline/compare.js';
import type { CaseStore, EvidenceRecord } from '../store/case-store.js';
import { PROXY_ACTION, proxyRecordFor, type ProxyRecord } from '../store/proxies.js';
import { DeepscanError } from '../util/errors.js';

export const PROXY_DIR = 'proxies';

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

function videoEvidence(store: CaseStore, evidenceId: number): EvidenceRecord & { sha256: string } {
  const e = store.getEvidence(evidenceId);
  if (!e) throw new DeepscanError('invalid-argument', `evidence ${evidenceId} is not registered in this case`);
  if (e.kind !== 'video') throw new DeepscanError('invalid-argument', `${e.relPath} is not a video; only videos get a playback copy`, { file: e.relPath });
  if (!e.sha256) throw new DeepscanError('integrity-failed', `${e.relPath} has no registered hash`, { file: e.relPath });
  if (e.integrity !== 'ok') throw new DeepscanError('integrity-failed', `${e.relPath}: integrity is ${e.integrity}; no playback copy is made`, { file: e.relPath });
  return e as EvidenceRecord & { sha256: string };
}

/** The record as the API answers it; `evidenceId` is the one asked about (the same bytes may be registered twice). */
function toInfo({ seq: _seq, ...rec }: ProxyRecord, evidenceId: number, reused: boolean): PlaybackCopyInfo {
  return { ...rec, evidenceId, reused };
}

/**
 * The copy recorded for this evidence's current bytes, when its file is still there with the
 * recorded size (the player re-reads it by range; its hash is checked when it is made or reused).
 */
export async function playbackCopyInfo(store: CaseStore, evidenceId: number): Promise<PlaybackCopyInfo | null> {
  const e = store.getEvidence(evidenceId);
  if (!e?.sha256 || e.kind !== 'video' || e.integrity !== 'ok') return null;
  const rec = proxyRecordFor(store, e.sha256);
  if (!rec) return null;
  const st = await stat(rec.file).catch(() => null);
  return st?.isFile() && st.size === rec.bytes ? toInfo(rec, evidenceId, true) : null;
}

export type CopyProgressFn = (stage: 'verify' | 'transcode', fraction: number) => void;

/**
 * Thins ffmpeg's progress (a report every half second or so) to what a progress bar needs:
 * every change of stage, then steps of at least `step`, and always the end (fraction 1).
 */
export function copyProgressEmitter(send: CopyProgressFn, step = 0.01): CopyProgressFn {
  let last: { stage: string; fraction: number } | null = null;
  return (stage, fraction) => {
    if (last && last.stage === stage && fraction < 1 && fraction - last.fraction < step) return;
    if (last && last.stage === stage && fraction === last.fraction) return;
    last = { stage, fraction };
    send(stage, fraction);
  };
}

export interface MakeCopyOptions {
  signal?: AbortSignal;
  onProgress?: CopyProgressFn;
}

/** Makes (or reuses) the playback copy of evidence `evidenceId`; see the module comment. */
export async function makePlaybackCopy(c: OpenedCase, tools: FfmpegTools, evidenceId: number, opts: MakeCopyOptions = {}): Promise<PlaybackCopyInfo> {
  const e = videoEvidence(c.store, evidenceId);
  const existing = proxyRecordFor(c.store, e.sha256);
  const abs = join(c.folder, ...e.relPath.split('/'));
  if (existing) {
    // The evidence must still be the file that was hashed (a swapped file is refused and recorded).
    const swapped = await checkBeforeDecode(c.store, e, abs, c.actor);
    if (swapped) throw new DeepscanError('evidence-changed', `${e.relPath}: ${swapped.detail}; its playback copy is not offered`, { file: e.relPath });
    const sha = await sha256Of(existing.file).catch(() => null);
    if (sha === existing.sha256) return toInfo(existing, evidenceId, true);
    // Gone or altered: made again below (and recorded again), never served as it is.
  }
  opts.onProgress?.('verify', 0);
  const seen = await verifyRegisteredHash(c.store, e, abs, c.actor);
  const asHashed: EvidenceRecord = { ...e, ...seen.identity };
  const refused = await checkBeforeDecode(c.store, asHashed, abs, c.actor);
  if (refused) throw new DeepscanError('evidence-changed', `${e.relPath}: ${refused.detail}; no playback copy was made`, { file: e.relPath });
  opts.onProgress?.('verify', 1);

  const dir = join(c.workspace, PROXY_DIR);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${e.sha256}.mp4`);
  const tmp = join(dir, `.${e.sha256}.${process.pid}.${Date.now()}.tmp.mp4`);
  const started = new Date();
  try {
    await transcodeProxy(tools, abs, tmp, {
      durationSec: e.durationSec ?? null, signal: opts.signal, displayName: e.relPath,
      onProgress: (f) => opts.onProgress?.('transcode', f),
    });
    // ffmpeg read the evidence by path: keep the copy only if it still hashes as registered.
    const changed = await checkAfterDecode(c.store, asHashed, abs, started, c.actor);
    if (changed) throw new DeepscanError('evidence-changed', `${e.relPath}: ${changed.detail}`, { file: e.relPath });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const sha256 = await sha256Of(file);
  const bytes = (await stat(file)).size;
  const args = proxyOutputArgs(tools);
  c.store.write(() => c.store.audit(c.actor, PROXY_ACTION, {
    evidenceId, path: e.relPath, evidenceSha256: e.sha256, file, sha256, bytes, mediaType: PROXY_MEDIA_TYPE,
    ffmpegVersion: tools.version, ffmpegArgs: args,
    note: 'playback copy (transcoded), not the evidence; analysis always reads the evidence itself',
  }));
  const rec = proxyRecordFor(c.store, e.sha256);
  if (!rec) throw new DeepscanError('internal', `${file}: the playback copy was written but its audit entry is missing`);
  return toInfo(rec, evidenceId, false);
}
