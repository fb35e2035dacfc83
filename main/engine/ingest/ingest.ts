import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import type { FfmpegTools } from '../media/ffmpeg.js';
import { externalReferencesError } from '../media/allow-list.js';
import { probeMedia, type MediaProbe } from '../media/probe.js';
import type { CaseStore, EvidenceRecord, ProbeFields } from '../store/case-store.js';
import { guessFromExtension, guessFromMagic, isMediaCandidate, readHead } from './classify.js';
import { hashFile, type HashedFile } from './hash.js';
import { REFERENCE_SNIFF_BYTES, referenceKind } from './references.js';
import { walkEvidenceFolder, type WalkEntry } from './walk.js';

export interface IngestProgress {
  done: number;
  total: number;
  path: string;
}

export interface IngestSummary {
  files: number;
  registered: number;
  verified: number;
  integrityFailures: number;
}

/**
 * Brings the case database in line with the evidence folder: every file is hashed (streaming
 * SHA-256), new files are registered and classified, known files are re-verified against the
 * hash taken at registration. A mismatch or a vanished file becomes a lasting integrity
 * failure; the registered hash is never overwritten. Nothing in the folder is written.
 */
export async function ingestCaseFolder(
  store: CaseStore,
  folder: string,
  tools: FfmpegTools,
  actor: string,
  opts: { signal?: AbortSignal; onProgress?: (p: IngestProgress) => void } = {},
): Promise<IngestSummary> {
  const entries = await walkEvidenceFolder(folder);
  const summary: IngestSummary = { files: entries.length, registered: 0, verified: 0, integrityFailures: 0 };
  const seen = new Set<string>();
  let done = 0;
  for (const entry of entries) {
    if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'evidence verification was cancelled');
    seen.add(entry.relPath);
    opts.onProgress?.({ done, total: entries.length, path: entry.relPath });
    const existing = store.getEvidenceByPath(entry.relPath);
    const outcome = existing ? await reverify(store, existing, entry, tools, actor) : await register(store, entry, tools, actor);
    if (outcome === 'registered') summary.registered++;
    else if (outcome === 'verified') summary.verified++;
    else if (outcome === 'integrity-failure') summary.integrityFailures++;
    done++;
  }
  for (const e of store.listEvidence()) {
    if (seen.has(e.relPath) || e.integrity === 'missing') continue;
    if (e.sha256 !== null) {
      store.recordIntegrityFailure(e, { kind: 'missing', observedSha256: null, observedSize: null, observedMtimeMs: null }, actor);
      summary.integrityFailures++;
    } else {
      store.updateEvidence(e.id, { integrity: 'missing', error: 'the file is no longer in the case folder' }, actor, 'evidence-missing', { path: e.relPath });
    }
  }
  opts.onProgress?.({ done, total: entries.length, path: '' });
  return summary;
}

type Outcome = 'registered' | 'verified' | 'integrity-failure' | 'unreadable';

async function register(store: CaseStore, entry: WalkEntry, tools: FfmpegTools, actor: string): Promise<Outcome> {
  const now = new Date().toISOString();
  const base = {
    relPath: entry.relPath, size: entry.type === 'file' ? entry.size : null, mtimeMs: entry.type === 'file' ? entry.mtimeMs : null,
    sha256: null as string | null, firstSeenAt: now, lastVerifiedAt: null as string | null, integrity: 'unverified' as const, ...emptyProbe(),
  };
  if (entry.type === 'skipped') {
    store.insertEvidence({ ...base, kind: 'other', status: 'unreadable', errorCode: entry.reason, error: `${entry.relPath}: ${entry.detail}` }, actor);
    return 'unreadable';
  }
  let hashed: HashedFile;
  try {
    hashed = await hashFile(entry.absPath);
  } catch (e) {
    const code = isDeepscanError(e) && (e.code === 'not-regular-file' || e.code === 'evidence-changed') ? e.code : 'file-unreadable';
    store.insertEvidence({ ...base, kind: kindGuess(entry.relPath), status: 'unreadable', errorCode: code, error: `${entry.relPath}: cannot read the file (${readErrorText(e)})` }, actor);
    return 'unreadable';
  }
  const classified = await classifyAndProbe(entry, tools);
  // Size and times from the descriptor that was hashed, not from the walk's earlier stat.
  store.insertEvidence({ ...base, sha256: hashed.sha256, lastVerifiedAt: now, integrity: 'ok', ...identityFields(hashed), ...classified }, actor);
  return 'registered';
}

async function reverify(store: CaseStore, e: EvidenceRecord, entry: WalkEntry, tools: FfmpegTools, actor: string): Promise<Outcome> {
  if (e.integrity === 'changed' || e.integrity === 'missing' || e.status === 'integrity-failed') {
    // A lasting failure: the item stays failed whatever the file looks like now; re-check only
    // to record a further change (the history is in integrity_events and the audit log).
    if (entry.type === 'file' && e.sha256) {
      const observed = await hashFile(entry.absPath).then((h) => h.sha256, () => null);
      if (observed !== null && observed !== e.sha256 && e.integrity === 'missing') {
        store.recordIntegrityFailure(e, { kind: 'changed', observedSha256: observed, observedSize: entry.size, observedMtimeMs: entry.mtimeMs }, actor);
      }
    }
    return 'integrity-failure';
  }
  if (entry.type === 'skipped') {
    if (e.sha256) {
      store.recordIntegrityFailure(e, { kind: 'changed', observedSha256: null, observedSize: null, observedMtimeMs: null }, actor);
      return 'integrity-failure';
    }
    store.updateEvidence(e.id, { status: 'unreadable', errorCode: entry.reason, error: `${entry.relPath}: ${entry.detail}` }, actor);
    return 'unreadable';
  }
  let hashed: HashedFile;
  try {
    hashed = await hashFile(entry.absPath);
  } catch (err) {
    if (e.sha256 && isDeepscanError(err) && (err.code === 'not-regular-file' || err.code === 'evidence-changed')) {
      // Swapped for a special file after the walk, or written to while being hashed.
      store.recordIntegrityFailure(e, { kind: 'changed', observedSha256: null, observedSize: null, observedMtimeMs: null, phase: 'ingest', detail: err.message }, actor);
      return 'integrity-failure';
    }
    const error = `${entry.relPath}: cannot read the file (${readErrorText(err)})`;
    if (e.error !== error) store.updateEvidence(e.id, { status: e.sha256 ? e.status : 'unreadable', errorCode: 'file-unreadable', error }, actor, 'evidence-unreadable', { path: e.relPath, error });
    return 'unreadable';
  }
  const observed = hashed.sha256;
  const now = new Date().toISOString();
  if (e.sha256 === null) {
    // First successful read of a file that was unreadable when registered: this is its acquisition hash.
    const classified = await classifyAndProbe(entry, tools);
    store.updateEvidence(e.id, { sha256: observed, integrity: 'ok', lastVerifiedAt: now, ...identityFields(hashed), ...classified }, actor, 'evidence-hashed', { path: e.relPath, sha256: observed });
    return 'registered';
  }
  if (observed !== e.sha256) {
    store.recordIntegrityFailure(e, { kind: 'changed', observedSha256: observed, observedSize: hashed.identity.size, observedMtimeMs: hashed.identity.mtimeMs }, actor);
    return 'integrity-failure';
  }
  // Unchanged: keep the probe unless the item never probed successfully (an ffmpeg upgrade may now read it).
  const reprobe = e.status === 'unreadable' && e.kind !== 'other';
  const classified = reprobe ? await classifyAndProbe(entry, tools) : {};
  // The identity seen now is what decoding is checked against (same bytes; a touch or a copy
  // back in place may have moved mtime or the inode).
  store.updateEvidence(e.id, { integrity: 'ok', lastVerifiedAt: now, ...identityFields(hashed), ...classified }, actor, 'evidence-verified', { path: e.relPath, sha256: observed });
  return 'verified';
}

type Classified = Pick<EvidenceRecord, 'kind' | 'status' | 'errorCode' | 'error'> & ProbeFields;

async function classifyAndProbe(entry: Extract<WalkEntry, { type: 'file' }>, tools: FfmpegTools): Promise<Classified> {
  const head = await readHead(entry.absPath, REFERENCE_SNIFF_BYTES).catch(() => Buffer.alloc(0));
  // A playlist or manifest is never probed: ffmpeg would read the files it points at.
  const reference = referenceKind(entry.relPath, head, guessFromExtension(entry.relPath) !== null);
  if (reference) {
    const err = externalReferencesError(entry.relPath, reference);
    return { kind: kindGuess(entry.relPath), status: 'unreadable', errorCode: err.code, error: err.message, ...emptyProbe() };
  }
  if (!isMediaCandidate(entry.relPath, head)) {
    return { kind: 'other', status: 'not-media', errorCode: null, error: null, ...emptyProbe() };
  }
  try {
    const probe = await probeMedia(tools, entry.absPath, entry.relPath);
    return { kind: probe.kind, status: 'pending', errorCode: null, error: null, ...probeFields(probe) };
  } catch (e) {
    if (isDeepscanError(e) && e.code === 'no-video-stream') {
      return { kind: 'other', status: 'not-media', errorCode: e.code, error: e.message, ...emptyProbe() };
    }
    const code = isDeepscanError(e) ? e.code : 'media-unreadable';
    const guess = guessFromMagic(head) ?? guessFromExtension(entry.relPath);
    return { kind: guess === 'image' ? 'image' : guess === 'audio' ? 'other' : 'video', status: 'unreadable', errorCode: code, error: errorMessage(e), ...emptyProbe() };
  }
}

export function probeFields(p: MediaProbe): ProbeFields {
  return {
    container: p.container, codec: p.codec, pixelFormat: p.pixelFormat, durationSec: p.durationSec, fps: p.fps, width: p.width,
    height: p.height, rotation: p.rotation, frameCount: p.frameCount, frameCountSource: p.frameCountSource,
    containerFrameCount: p.containerFrameCount, audioCodecs: p.audioCodecs, videoStreamIndex: p.videoStreamIndex,
  };
}

/** The probe stored with an evidence item, back in the media layer's shape (the inverse of probeFields). */
export function probeOfEvidence(e: EvidenceRecord): MediaProbe {
  const turned = e.rotation === 90 || e.rotation === 270;
  return {
    kind: e.kind === 'image' ? 'image' : 'video',
    container: e.container ?? '', codec: e.codec ?? '', pixelFormat: e.pixelFormat, durationSec: e.durationSec, fps: e.fps,
    width: e.width ?? 0, height: e.height ?? 0,
    codedWidth: turned ? (e.height ?? 0) : (e.width ?? 0), codedHeight: turned ? (e.width ?? 0) : (e.height ?? 0),
    rotation: (e.rotation ?? 0) as MediaProbe['rotation'], frameCount: e.frameCount ?? 0,
    frameCountSource: (e.frameCountSource ?? 'container') as MediaProbe['frameCountSource'],
    containerFrameCount: e.containerFrameCount, audioCodecs: e.audioCodecs ?? [], videoStreamIndex: e.videoStreamIndex ?? 0,
  };
}

function identityFields(h: HashedFile): Pick<EvidenceRecord, 'size' | 'mtimeMs' | 'dev' | 'ino' | 'ctimeMs'> {
  const { size, mtimeMs, dev, ino, ctimeMs } = h.identity;
  return { size, mtimeMs, dev, ino, ctimeMs };
}

function emptyProbe(): ProbeFields {
  return {
    container: null, codec: null, pixelFormat: null, durationSec: null, fps: null, width: null, height: null, rotation: null,
    frameCount: null, frameCountSource: null, containerFrameCount: null, audioCodecs: null, videoStreamIndex: null,
  };
}

function kindGuess(relPath: string): 'video' | 'image' | 'other' {
  const g = guessFromExtension(relPath);
  return g === 'video' ? 'video' : g === 'image' ? 'image' : 'other';
}

function readErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOENT') return 'it vanished while being read';
  if (isDeepscanError(e)) return e.message;
  return errorMessage(e);
}
