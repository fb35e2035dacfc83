import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';
import { DeepscanError } from '../util/errors.js';
import { hasSignatureColumns, signerFor } from './audit-signing.js';
import type { CaseDb } from './db.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: unknown;
  prevHash: string;
  hash: string;
  /** Base64 Ed25519 signature over `hash` (null: written before signing, or by a process without a key). */
  signature?: string | null;
  /** Fingerprint of the signing key (SHA-256 hex of the raw public key). */
  keyId?: string | null;
}

/** The hash of one entry covers its content and the previous entry's hash. */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details });
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}

/**
 * Appends an entry. Must be called inside the caller's write transaction when it records
 * that transaction's change, so the change and its audit entry land (or fail) together.
 */
export function appendAudit(db: CaseDb, actor: string, action: string, details: unknown, at = new Date().toISOString()): AuditEntry {
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  const seq = (last?.seq ?? 0) + 1;
  const prevHash = last?.hash ?? GENESIS_HASH;
  // Round-trip details through canonical JSON so what is hashed is exactly what is stored.
  const detailsJson = canonicalJson(details ?? {});
  const entry = { seq, at, actor, action, details: JSON.parse(detailsJson) as unknown, prevHash };
  const hash = auditEntryHash(entry);
  const signer = signerFor(db);
  if (!signer) {
    // An unsigned entry after signed ones would read as a forgery on every later verification.
    if (hasSignatureColumns(db) && db.prepare('SELECT 1 FROM audit_log WHERE signature IS NOT NULL LIMIT 1').get()) {
      throw new DeepscanError('signing-key', `${db.name}: this case's audit log is signed, but this process has no signing key; open the case with its installation key`, { file: db.name });
    }
    db.prepare('INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      seq, at, actor, action, detailsJson, prevHash, hash,
    );
    return { ...entry, hash, signature: null, keyId: null };
  }
  const signature = signer.sign(hash);
  db.prepare('INSERT OR IGNORE INTO audit_keys (key_id, public_key, first_used_at) VALUES (?, ?, ?)').run(signer.keyId, signer.publicKey, at);
  db.prepare('INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash, signature, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    seq, at, actor, action, detailsJson, prevHash, hash, signature, signer.keyId,
  );
  return { ...entry, hash, signature, keyId: signer.keyId };
}

export function readAudit(db: CaseDb): AuditEntry[] {
  const signed = hasSignatureColumns(db);
  const rows = db.prepare(`SELECT seq, at, actor, action, details, prev_hash, hash${signed ? ', signature, key_id' : ''} FROM audit_log ORDER BY seq`).all() as {
    seq: number; at: string; actor: string; action: string; details: string; prev_hash: string; hash: string; signature?: string | null; key_id?: string | null;
  }[];
  return rows.map((r) => ({
    seq: r.seq, at: r.at, actor: r.actor, action: r.action, details: JSON.parse(r.details) as unknown, prevHash: r.prev_hash, hash: r.hash,
    signature: r.signature ?? null, keyId: r.key_id ?? null,
  }));
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  headHash: string;
  /** The first broken entry, when the chain does not verify. */
  firstBadSeq: number | null;
  problem: string | null;
}

/** Recomputes every hash and link; any edit, insertion or deletion breaks the chain. */
export function verifyAuditChain(db: CaseDb): AuditVerification {
  const entries = readAudit(db);
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const e of entries) {
    const problem =
      e.seq !== expectedSeq ? `entry ${e.seq}: expected sequence number ${expectedSeq} (an entry is missing)`
      : e.prevHash !== prev ? `entry ${e.seq}: previous-hash link does not match entry ${e.seq - 1}`
      : auditEntryHash(e) !== e.hash ? `entry ${e.seq}: content does not match its hash (the entry was altered)`
      : null;
    if (problem) return { ok: false, entries: entries.length, headHash: entries[entries.length - 1].hash, firstBadSeq: e.seq, problem };
    prev = e.hash;
    expectedSeq++;
  }
  return { ok: true, entries: entries.length, headHash: prev, firstBadSeq: null, problem: null };
}
