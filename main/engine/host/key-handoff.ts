/**
 * The desktop app keeps the audit signing key wrapped by Electron's safeStorage, which only
 * the main process can call. The engine runs in a utility process, so main unwraps the key
 * once and hands the private key (PKCS#8 DER) to the engine at start; the engine's protector
 * "unwraps" to those bytes (signing-key.ts still checks them against the key file's public
 * key) and refuses to create a key itself, which main has already done.
 */
import { readFileSync } from 'node:fs';
import { keyFileFor, loadSigner, type KeyProtector } from '../case/signing-key.js';
import { DeepscanError } from '../util/errors.js';

export interface KeyHandoff {
  /** The protector's name, as in the key file (e.g. "safe-storage"). */
  name: string;
  /** The unwrapped private key, PKCS#8 DER, base64. */
  privateKey: string;
}

export function handedOverProtector(k: KeyHandoff): KeyProtector {
  const der = Buffer.from(k.privateKey, 'base64');
  return {
    name: k.name,
    wrap: () => {
      throw new DeepscanError('signing-key', 'the engine process cannot create a signing key: the desktop app creates it before starting the engine');
    },
    unwrap: () => Buffer.from(der),
  };
}

/** Main's side: makes sure the installation key exists (and is valid), then unwraps it for the engine. */
export function keyHandoff(home: string, protector: KeyProtector): KeyHandoff {
  loadSigner(home, protector); // creates the key on first use and checks it
  const file = JSON.parse(readFileSync(keyFileFor(home, protector), 'utf8')) as { privateKey: string };
  return { name: protector.name, privateKey: protector.unwrap(Buffer.from(file.privateKey, 'base64')).toString('base64') };
}
