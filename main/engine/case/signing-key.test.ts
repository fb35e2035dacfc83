import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { verifyEntrySignature } from '../store/audit-signing.js';
import { DeepscanError } from '../util/errors.js';
import { openCase } from './open-case.js';
import { installationKeyIds, keyFileFor, loadSigner, PLAIN_PROTECTOR, type KeyProtector } from './signing-key.js';

let home: string;
beforeEach(() => {
  home = tempDir('deepscan-key-');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function expectRefused(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DeepscanError);
    expect((e as DeepscanError).code).toBe('signing-key');
    expect((e as DeepscanError).message).toMatch(message);
    return;
  }
  throw new Error('expected the key to be refused');
}

describe('installation signing key', () => {
  it('is created once, mode 0600, and its fingerprint is the SHA-256 of the raw public key', () => {
    const a = loadSigner(home);
    const file = keyFileFor(home);
    expect(file).toBe(join(home, 'keys', 'audit-signing.key'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = loadSigner(home);
    expect(b.keyId).toBe(a.keyId);
    expect(a.keyId).toBe(createHash('sha256').update(Buffer.from(a.publicKey, 'base64')).digest('hex'));
    expect(Buffer.from(a.publicKey, 'base64')).toHaveLength(32);
    const h = 'ab'.repeat(32);
    expect(a.sign(h)).toBe(b.sign(h)); // Ed25519 is deterministic
    expect(verifyEntrySignature(Buffer.from(a.publicKey, 'base64'), h, a.sign(h))).toBe(true);
    expect(verifyEntrySignature(Buffer.from(a.publicKey, 'base64'), 'cd'.repeat(32), a.sign(h))).toBe(false);
    expect([...installationKeyIds(home)]).toEqual([a.keyId]);
  });

  it('refuses a key file readable by group or others (mode 0644), also when opening a case', async () => {
    loadSigner(home);
    chmodSync(keyFileFor(home), 0o644);
    expectRefused(() => loadSigner(home), /audit-signing\.key: the audit signing key is readable by others \(mode 0644\); run "chmod 600/);
    const folder = join(home, '..', `${home.split('/').pop()}-evidence`);
    mkdirSync(folder, { recursive: true });
    try {
      await expect(openCase({ folder, home: join(home) })).rejects.toMatchObject({ code: 'signing-key' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses a key file that is a symbolic link', () => {
    const real = join(home, 'elsewhere.key');
    writeFileSync(real, '{}', { mode: 0o600 });
    mkdirSync(join(home, 'keys'), { recursive: true });
    symlinkSync(real, keyFileFor(home));
    expectRefused(() => loadSigner(home), /not a regular file/);
  });

  it('wraps the private key with the protector (safeStorage in the desktop app), in its own file', () => {
    const mask = 0x5a;
    const xor: KeyProtector = { name: 'test-xor', wrap: (b) => Buffer.from(b.map((x) => x ^ mask)), unwrap: (b) => Buffer.from(b.map((x) => x ^ mask)) };
    const wrapped = loadSigner(home, xor);
    const plain = loadSigner(home, PLAIN_PROTECTOR);
    expect(keyFileFor(home, xor)).toBe(join(home, 'keys', 'audit-signing.test-xor.key'));
    expect(wrapped.keyId).not.toBe(plain.keyId);
    const stored = JSON.parse(readFileSync(keyFileFor(home, xor), 'utf8')) as { protection: string; privateKey: string };
    expect(stored.protection).toBe('test-xor');
    // The stored bytes are not a PKCS#8 DER (which starts 0x30): they were wrapped.
    expect(Buffer.from(stored.privateKey, 'base64')[0]).not.toBe(0x30);
    expect(installationKeyIds(home)).toEqual(new Set([wrapped.keyId, plain.keyId]));
    // A wrong unwrap is refused by name, never used as a key.
    const wrong: KeyProtector = { name: 'test-xor', wrap: (b) => b, unwrap: (b) => b };
    expectRefused(() => loadSigner(home, wrong), /cannot unwrap the audit signing key/);
  });
});
