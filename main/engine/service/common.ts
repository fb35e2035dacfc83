import { existsSync } from 'node:fs';
import { fail, ok, type Result } from '../../../common/result.js';
import { installationKeyring } from '../case/signing-key.js';
import { caseDbPath } from '../case/workspace.js';
import { CaseStore } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';

/** Case ids are the first 16 hex digits of the SHA-256 of the evidence folder's canonical path. */
export const CASE_ID_RE = /^[0-9a-f]{16}$/;

/** The database file of a case created earlier in this home. */
export function caseDbFile(home: string, caseId: string): string {
  if (!CASE_ID_RE.test(caseId)) throw new DeepscanError('invalid-argument', `not a case id: ${caseId}`);
  const file = caseDbPath(home, caseId);
  if (!existsSync(file)) throw new DeepscanError('case-missing', `no case ${caseId} in ${home}`);
  return file;
}

/**
 * Opens a case database directly (the evidence folder need not be reachable: everything the
 * views show is in the database). Reads use a read-only connection; a database that still
 * needs a schema migration is migrated once by a read-write open first.
 */
export function openCaseStore(home: string, caseId: string, mode: 'read' | 'write'): CaseStore {
  const file = caseDbFile(home, caseId);
  if (mode === 'write') return new CaseStore(file, { keyring: installationKeyring(home, { write: true }) });
  const keyring = installationKeyring(home, { write: false });
  try {
    return new CaseStore(file, { readonly: true, keyring });
  } catch (e) {
    if (!isDeepscanError(e) || e.code !== 'schema-too-new') throw e;
    new CaseStore(file).close(); // migrates forward, or throws when the schema really is newer
    return new CaseStore(file, { readonly: true, keyring });
  }
}

/** Runs an operation and turns what it throws into a Result (coded errors keep code, message, file). */
export async function guard<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (e) {
    if (isDeepscanError(e)) return fail({ code: e.code, message: e.message, ...(e.file ? { file: e.file } : {}) });
    return fail({ code: 'internal', message: errorMessage(e) });
  }
}

export function dataUrl(mime: 'image/jpeg' | 'image/png', bytes: Uint8Array): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
