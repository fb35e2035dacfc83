import { createHash, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import type { CaseDb } from './db.js';

/**
 * Ed25519 signatures over audit entry hashes. The private key lives outside the case
 * database (see case/signing-key.ts); only public keys are stored in the case (audit_keys),
 * so whoever edits the database cannot re-sign a recomputed chain.
 */

export interface AuditSigner {
  /** SHA-256 hex of the raw 32-byte public key. */
  keyId: string;
  /** The raw 32-byte public key, base64. */
  publicKey: string;
  /** Base64 Ed25519 signature of one entry hash. */
  sign(entryHash: string): string;
}

/** What a CaseStore knows about this installation's keys. */
export interface Keyring {
  /** Signs new entries; null for a read-only open. */
  signer: AuditSigner | null;
  /** Fingerprints of this installation's keys (and any the examiner chose to trust). */
  trustedKeyIds: ReadonlySet<string>;
}

/** Domain-separated message: a signature made here cannot be replayed as some other statement. */
function message(entryHash: string): Buffer {
  return Buffer.from(`deepscan audit entry v1\n${entryHash}`, 'utf8');
}

export function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex');
}

export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' }) as { x?: string };
  if (!jwk.x) throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function makeSigner(privateKey: KeyObject): AuditSigner {
  const raw = rawPublicKey(createPublicKey(privateKey));
  return {
    keyId: keyIdOf(raw),
    publicKey: raw.toString('base64'),
    sign: (entryHash) => edSign(null, message(entryHash), privateKey).toString('base64'),
  };
}

export function verifyEntrySignature(rawPublic: Buffer, entryHash: string, signature: string): boolean {
  try {
    return edVerify(null, message(entryHash), publicKeyFromRaw(rawPublic), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

// The signer travels with the connection, so every appendAudit(db, …) call (in any store
// module) signs without each call site having to pass it.
const signers = new WeakMap<CaseDb, AuditSigner>();

export function attachSigner(db: CaseDb, signer: AuditSigner): void {
  signers.set(db, signer);
}

export function signerFor(db: CaseDb): AuditSigner | null {
  return signers.get(db) ?? null;
}

const signedSchema = new WeakMap<CaseDb, boolean>();

/** Whether the database has migration 6's columns (tests open older schemas on purpose). */
export function hasSignatureColumns(db: CaseDb): boolean {
  let v = signedSchema.get(db);
  if (v === undefined) {
    v = (db.prepare("SELECT COUNT(*) FROM pragma_table_info('audit_log') WHERE name = 'signature'").pluck().get() as number) > 0;
    signedSchema.set(db, v);
  }
  return v;
}
