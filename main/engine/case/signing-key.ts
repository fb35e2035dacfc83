import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, makeSigner, rawPublicKey, type AuditSigner, type Keyring } from '../store/audit-signing.js';
import { DeepscanError, errorMessage } from '../util/errors.js';

/**
 * This installation's audit signing key: one Ed25519 key pair per $DEEPSCAN_HOME, created on
 * first use in keys/, mode 0600, never inside a case database. The private key is passed
 * through a KeyProtector before it is written: plain in Node (file permissions only), wrapped
 * with the OS keychain (Electron safeStorage) in the desktop app. Each protector has its own
 * file, so the CLI and the desktop app can both sign; both keys are this installation's.
 */

export interface KeyProtector {
  /** Short name, part of the key file's name ("plain" → audit-signing.key). */
  readonly name: string;
  wrap(bytes: Buffer): Buffer;
  unwrap(bytes: Buffer): Buffer;
}

export const PLAIN_PROTECTOR: KeyProtector = { name: 'plain', wrap: (b) => b, unwrap: (b) => b };

let defaultProtector: KeyProtector = PLAIN_PROTECTOR;

/** The desktop app installs its safeStorage protector here at start-up. */
export function setKeyProtector(p: KeyProtector): void {
  defaultProtector = p;
}

const FORMAT = 'deepscan-audit-signing-key';
const FILE_RE = /^audit-signing(\.[a-z0-9-]+)?\.key$/;

interface KeyFile {
  format: typeof FORMAT;
  version: 1;
  algorithm: 'ed25519';
  protection: string;
  keyId: string;
  /** Raw 32-byte public key, base64 (readable without unwrapping, to recognise this installation's signatures). */
  publicKey: string;
  /** PKCS#8 DER of the private key after KeyProtector.wrap, base64. */
  privateKey: string;
  createdAt: string;
}

export function keysDir(home: string): string {
  return join(home, 'keys');
}

export function keyFileFor(home: string, protector: KeyProtector = defaultProtector): string {
  return join(keysDir(home), protector.name === 'plain' ? 'audit-signing.key' : `audit-signing.${protector.name}.key`);
}

/** Reads a key file, refusing anything but a regular file readable by its owner only. */
function readKeyFile(file: string): KeyFile {
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    throw new DeepscanError('signing-key', `${file}: cannot read the audit signing key (${errorMessage(e)})`, { file, cause: e });
  }
  if (!st.isFile()) throw new DeepscanError('signing-key', `${file}: the audit signing key is not a regular file (a link or device is refused)`, { file });
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new DeepscanError('signing-key', `${file}: the audit signing key is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run "chmod 600 ${file}"`, { file });
  }
  let k: KeyFile;
  try {
    k = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  } catch (e) {
    throw new DeepscanError('signing-key', `${file}: the audit signing key is damaged (${errorMessage(e)})`, { file, cause: e });
  }
  if (k.format !== FORMAT || k.algorithm !== 'ed25519' || typeof k.publicKey !== 'string' || typeof k.privateKey !== 'string') {
    throw new DeepscanError('signing-key', `${file}: not a Deepscan audit signing key`, { file });
  }
  return k;
}

function unwrapKey(file: string, k: KeyFile, protector: KeyProtector): KeyObject {
  if (k.protection !== protector.name) {
    throw new DeepscanError('signing-key', `${file}: the key is protected by "${k.protection}", which this process cannot unwrap (it uses "${protector.name}")`, { file });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: protector.unwrap(Buffer.from(k.privateKey, 'base64')), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new DeepscanError('signing-key', `${file}: cannot unwrap the audit signing key (${errorMessage(e)})`, { file, cause: e });
  }
  const raw = rawPublicKey(key);
  if (key.asymmetricKeyType !== 'ed25519' || raw.toString('base64') !== k.publicKey || keyIdOf(raw) !== k.keyId) {
    throw new DeepscanError('signing-key', `${file}: the private key does not match the public key recorded with it`, { file });
  }
  return key;
}

function createKeyFile(file: string, protector: KeyProtector): void {
  const { privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(privateKey);
  const body: KeyFile = {
    format: FORMAT, version: 1, algorithm: 'ed25519', protection: protector.name, keyId: keyIdOf(raw), publicKey: raw.toString('base64'),
    privateKey: protector.wrap(privateKey.export({ format: 'der', type: 'pkcs8' })).toString('base64'), createdAt: new Date().toISOString(),
  };
  // Written completely to a private temporary file first, then linked into place: link(2)
  // fails when the name exists, so two processes starting at once never overwrite each other's
  // key, and no reader ever sees a half-written key file (the loser reads the winner's).
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    throw new DeepscanError('signing-key', `${file}: cannot create the audit signing key (${errorMessage(e)})`, { file, cause: e });
  }
  try {
    try {
      const text = `${JSON.stringify(body, null, 2)}\n`;
      writeSync(fd, text);
      fsyncSync(fd);
      if (process.platform !== 'win32' && (fstatSync(fd).mode & 0o077) !== 0) throw new Error('the file was created with group/other permissions');
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw new DeepscanError('signing-key', `${file}: cannot create the audit signing key (${errorMessage(e)})`, { file, cause: e });
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** This installation's signer, creating the key pair on first use. */
export function loadSigner(home: string, protector: KeyProtector = defaultProtector): AuditSigner {
  const file = keyFileFor(home, protector);
  mkdirSync(keysDir(home), { recursive: true, mode: 0o700 });
  if (!lstatExists(file)) createKeyFile(file, protector);
  return makeSigner(unwrapKey(file, readKeyFile(file), protector));
}

/** Fingerprints of every key file of this installation (public halves only: nothing is unwrapped). */
export function installationKeyIds(home: string): Set<string> {
  const dir = keysDir(home);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return new Set();
  }
  const out = new Set<string>();
  for (const n of names) {
    if (!FILE_RE.test(n)) continue;
    const k = readKeyFile(join(dir, n));
    out.add(keyIdOf(Buffer.from(k.publicKey, 'base64')));
  }
  return out;
}

/**
 * The keyring a CaseStore is opened with: a signer for read-write opens, and the fingerprints
 * this installation trusts (its own keys plus any given, e.g. `audit verify --trust-key`).
 */
export function installationKeyring(home: string, opts: { write: boolean; trust?: readonly string[] }): Keyring {
  const signer = opts.write ? loadSigner(home) : null;
  const trusted = installationKeyIds(home);
  if (signer) trusted.add(signer.keyId);
  for (const t of opts.trust ?? []) trusted.add(t.toLowerCase());
  return { signer, trustedKeyIds: trusted };
}

function lstatExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
