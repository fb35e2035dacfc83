import { keyIdOf, verifyEntrySignature } from './audit-signing.js';
import { readAudit, verifyAuditChain, type AuditEntry, type AuditVerification } from './audit.js';
import type { CaseDb } from './db.js';
import { checkRecordedTables } from './record-check.js';
import { currentResults, describeDifference, entryResults, type ResultDigest } from './result-digest.js';

/**
 * Full verification of a case's audit log: the hash chain, every entry's signature, every
 * result row against the digest of the entry that wrote it, and the case details, runs and
 * integrity history against the entries that describe them (record-check.ts). Reports the first failure by name
 * and keeps the others (problems) for the examiner.
 */
export interface CaseAuditVerification extends AuditVerification {
  /** Entries with a valid signature. */
  signedEntries: number;
  /** Unsigned entries written before signing existed (pre-migration-6 databases). */
  legacyEntries: number;
  /** Fingerprint (SHA-256 hex of the raw public key) of the key that signed the latest signed entry. */
  keyFingerprint: string | null;
  keyIds: string[];
  /** Whether every signing key is one of this installation's (null: not checked). */
  installationKey: boolean | null;
  /** Result sets whose rows match the digest of the entry that wrote them. */
  resultsChecked: number;
  /** Result sets with no digest, in a database that has legacy entries (not verifiable). */
  legacyResults: number;
  problems: string[];
}

export interface VerifyOptions {
  /** This installation's key fingerprints; omitted: keys are not checked against an installation. */
  trustedKeyIds?: ReadonlySet<string>;
}

const MAX_PROBLEMS = 50;

export function verifyCaseAudit(db: CaseDb, opts: VerifyOptions = {}): CaseAuditVerification {
  const chain = verifyAuditChain(db);
  const entries = readAudit(db);
  const problems: { seq: number | null; text: string }[] = [];
  if (!chain.ok) problems.push({ seq: chain.firstBadSeq, text: chain.problem! });
  const sig = checkSignatures(db, entries, opts.trustedKeyIds, problems);
  const results = checkResults(db, entries, sig.legacy > 0, problems);
  // Case details, runs and integrity history against the entries that describe them.
  checkRecordedTables(db, entries, sig.legacy > 0, problems);
  const first = problems[0] ?? null;
  return {
    ok: problems.length === 0, entries: chain.entries, headHash: chain.headHash,
    firstBadSeq: first?.seq ?? null, problem: first?.text ?? null,
    signedEntries: sig.signed, legacyEntries: sig.legacy, keyFingerprint: sig.lastKey, keyIds: sig.keyIds, installationKey: sig.installation,
    resultsChecked: results.checked, legacyResults: results.legacy,
    problems: problems.slice(0, MAX_PROBLEMS).map((p) => p.text),
  };
}

function readKeys(db: CaseDb): Map<string, Buffer> {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_keys'").get();
  if (!exists) return new Map();
  const rows = db.prepare('SELECT key_id, public_key FROM audit_keys').all() as { key_id: string; public_key: string }[];
  return new Map(rows.map((r) => [r.key_id, Buffer.from(r.public_key, 'base64')]));
}

function checkSignatures(db: CaseDb, entries: AuditEntry[], trusted: ReadonlySet<string> | undefined, problems: { seq: number | null; text: string }[]) {
  const keys = readKeys(db);
  let signed = 0;
  let legacy = 0;
  let lastKey: string | null = null;
  const firstUse = new Map<string, number>();
  for (const e of entries) {
    if (!e.signature) {
      // Once signing began, every entry is signed: an unsigned one was written (or rewritten) without the key.
      if (lastKey !== null) problems.push({ seq: e.seq, text: `entry ${e.seq}: unsigned, but it follows signed entries (written or rewritten without the signing key)` });
      // Entries from before signing were written by code that recorded no result digests either.
      else if (entryResults(e.details)) problems.push({ seq: e.seq, text: `entry ${e.seq}: unsigned, but it records a result digest, which only signed entries do (its signature was removed)` });
      else legacy++;
      continue;
    }
    const keyId = e.keyId ?? '';
    lastKey = keyId;
    const raw = keys.get(keyId);
    const problem = !raw ? `entry ${e.seq}: signed by key ${short(keyId)}, which is not in the case's key table`
      : keyIdOf(raw) !== keyId ? `entry ${e.seq}: the stored public key does not match its fingerprint ${short(keyId)}`
      : !verifyEntrySignature(raw, e.hash, e.signature) ? `entry ${e.seq}: signature does not verify with key ${short(keyId)} (the entry was altered or re-hashed without the private key)`
      : null;
    if (problem) {
      problems.push({ seq: e.seq, text: problem });
      continue;
    }
    signed++;
    if (!firstUse.has(keyId)) firstUse.set(keyId, e.seq);
  }
  let installation: boolean | null = null;
  if (trusted) {
    installation = true;
    for (const [keyId, seq] of firstUse) {
      if (trusted.has(keyId)) continue;
      installation = false;
      problems.push({ seq, text: `entry ${seq}: signed by key ${short(keyId)}, which is not this installation's key (a foreign key re-signed the log, or the case comes from another installation)` });
    }
  }
  return { signed, legacy, lastKey, keyIds: [...firstUse.keys()], installation };
}

function checkResults(db: CaseDb, entries: AuditEntry[], hasLegacy: boolean, problems: { seq: number | null; text: string }[]) {
  // The latest entry that wrote each result set; later entries replace earlier ones.
  const latest = new Map<string, { seq: number; r: ResultDigest }>();
  for (const e of entries) {
    const r = entryResults(e.details);
    if (r) latest.set(r.scope, { seq: e.seq, r });
    const removed = (e.details as { removedResults?: unknown } | null)?.removedResults;
    if (Array.isArray(removed)) for (const s of removed) if (typeof s === 'string') latest.delete(s);
  }
  let checked = 0;
  let legacy = 0;
  const current = currentResults(db);
  for (const now of current) {
    const rec = latest.get(now.scope);
    if (!rec) {
      // In a database signed from its first entry, every result was written with a digest.
      if (hasLegacy) legacy++;
      else problems.push({ seq: null, text: `${now.scope}: no audit entry records these results (rows inserted by hand)` });
      continue;
    }
    if (rec.r.digest !== now.digest) problems.push({ seq: rec.seq, text: `${now.scope}: ${describeDifference(rec.r.rows, now.rows, rec.seq)}` });
    else checked++;
  }
  const present = new Set(current.map((d) => d.scope));
  for (const [scope, rec] of latest) {
    if (!present.has(scope)) problems.push({ seq: rec.seq, text: `${scope}: recorded by audit entry ${rec.seq} but no longer in the database (deleted)` });
  }
  return { checked, legacy };
}

export interface AuditAnchor {
  entries: number;
  headHash: string;
  keyFingerprint?: string | null;
  /** Where the anchor came from (a JSON export, a PDF report), for messages. */
  source?: string;
}

/** Null when the chain still extends the anchor's head; otherwise what was cut or rewritten. */
export function checkAnchor(db: CaseDb, anchor: AuditAnchor): string | null {
  const entries = readAudit(db);
  const from = anchor.source ? ` (anchor ${anchor.source})` : '';
  if (entries.length < anchor.entries) {
    return `entry ${anchor.entries} missing: the log has ${entries.length} entries, but ${anchor.entries} existed when the anchor was taken${from}; entries were cut from the end`;
  }
  const e = entries[anchor.entries - 1];
  if (anchor.entries > 0 && e.hash !== anchor.headHash) {
    return `entry ${anchor.entries}: hash ${e.hash.slice(0, 16)}… differs from the anchor's head ${anchor.headHash.slice(0, 16)}…${from}; the log was rewritten`;
  }
  return null;
}

function short(keyId: string): string {
  return keyId ? `${keyId.slice(0, 16)}…` : '(none)';
}
