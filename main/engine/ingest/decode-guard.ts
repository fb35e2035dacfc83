import { stat } from 'node:fs/promises';
import type { CaseStore, EvidenceRecord, IntegrityPhase } from '../store/case-store.js';
import { errorMessage } from '../util/errors.js';
import { hashFile, identityDifference, identityOf } from './hash.js';

/**
 * Binds results to the bytes that were hashed. ffmpeg opens evidence by path, so between the
 * hash and the decode the path could name other bytes. Before decoding, the path's identity
 * (device, inode, size, mtime, ctime) must be what the hash saw; after decoding, the file is
 * hashed again and its hash and identity must still be the registered ones. Either failure is
 * recorded as a lasting integrity failure and the caller keeps no result.
 */

export interface GuardFailure {
  phase: IntegrityPhase;
  /** The examiner-facing reason ("changed while it was being analysed, between … and …: …"). */
  detail: string;
}

/** Checks the path's identity just before decoding; records and returns a failure, or null. */
export async function checkBeforeDecode(store: CaseStore, e: EvidenceRecord, absPath: string, actor: string): Promise<GuardFailure | null> {
  const verified = e.lastVerifiedAt ?? e.firstSeenAt;
  const now = new Date().toISOString();
  let detail: string | null = null;
  let missing = false;
  try {
    const st = await stat(absPath);
    if (!st.isFile()) detail = 'is no longer a regular file';
    else {
      const diff = identityDifference(e, identityOf(st));
      if (diff) detail = `was replaced or rewritten (${diff})`;
    }
  } catch (err) {
    missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    detail = missing ? 'vanished' : `cannot be examined (${errorMessage(err)})`;
  }
  if (detail === null) return null;
  const failure: GuardFailure = { phase: 'before-decode', detail: `the file ${detail} between its verification at ${verified} and decoding at ${now}` };
  store.recordIntegrityFailure(e, { kind: missing ? 'missing' : 'changed', observedSha256: null, observedSize: null, observedMtimeMs: null, ...failure }, actor);
  return failure;
}

/**
 * Re-hashes the file after decoding (`since`: when decoding began) and compares hash and
 * identity with the registered ones; records and returns a failure, or null.
 */
export async function checkAfterDecode(store: CaseStore, e: EvidenceRecord, absPath: string, since: Date, actor: string): Promise<GuardFailure | null> {
  let what: string | null = null;
  let observedSha256: string | null = null;
  let observedSize: number | null = null;
  let observedMtimeMs: number | null = null;
  try {
    const h = await hashFile(absPath);
    observedSha256 = h.sha256;
    observedSize = h.identity.size;
    observedMtimeMs = h.identity.mtimeMs;
    // Hash first (other bytes), then identity: the same bytes put back by a rewrite or a rename
    // still moved ctime or the inode, and ffmpeg may have read the other bytes meanwhile.
    if (h.sha256 !== e.sha256) what = `SHA-256 now ${h.sha256}`;
    else {
      const diff = identityDifference(e, h.identity);
      if (diff) what = `same bytes now, but the file was rewritten or replaced meanwhile (${diff})`;
    }
  } catch (err) {
    what = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file vanished' : `it cannot be re-read (${errorMessage(err)})`;
  }
  if (what === null) return null;
  const failure: GuardFailure = {
    phase: 'after-decode',
    detail: `changed while it was being analysed, between ${since.toISOString()} and ${new Date().toISOString()}: ${what}; its results were discarded`,
  };
  store.recordIntegrityFailure(e, { kind: 'changed', observedSha256, observedSize, observedMtimeMs, ...failure }, actor);
  return failure;
}
