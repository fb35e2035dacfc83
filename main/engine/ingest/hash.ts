import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DeepscanError } from '../util/errors.js';

/**
 * What a file was when it was hashed: the identity the kernel gives it (device and inode),
 * its size and its modification and status-change times. ctime cannot be set back by a user
 * (utimes sets mtime and atime only), so an in-place rewrite shows in ctime even when size and
 * mtime were restored, and a file put in place by rename shows in the inode number.
 */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface HashedFile {
  sha256: string;
  identity: FileIdentity;
}

const NOATIME = (constants as Record<string, number>).O_NOATIME ?? 0;
// O_NONBLOCK: a path swapped for a FIFO after the walk opens at once instead of blocking; the
// fstat below then refuses it before a single byte is read.
const BASE_FLAGS = constants.O_RDONLY | ((constants as Record<string, number>).O_NONBLOCK ?? 0);
const CHUNK = 1 << 20;

export function identityOf(st: Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

/**
 * Streaming SHA-256 of a file through one read-only descriptor, with the identity fstat gave
 * that same descriptor. O_NOATIME is asked for where the OS allows it (only the file's owner
 * may), so hashing evidence does not even touch its access time. A non-regular file is refused
 * ('not-regular-file'); a file whose size or times moved while it was read is refused
 * ('evidence-changed'): the hash would describe no version of it.
 */
export async function hashFile(absPath: string): Promise<HashedFile> {
  const fh = await openReadOnly(absPath);
  try {
    const before = await fh.stat();
    if (!before.isFile()) {
      throw new DeepscanError('not-regular-file', `${absPath}: not a regular file (FIFO, socket, device or folder); not read`, { file: absPath });
    }
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
    const after = await fh.stat();
    const identity = identityOf(before);
    const moved = identityDifference(identity, identityOf(after));
    if (moved) throw new DeepscanError('evidence-changed', `${absPath}: the file changed while it was being hashed (${moved})`, { file: absPath });
    return { sha256: hash.digest('hex'), identity };
  } finally {
    await fh.close();
  }
}

/** The SHA-256 alone (report re-verification and other callers that need no identity). */
export async function sha256File(absPath: string): Promise<string> {
  return (await hashFile(absPath)).sha256;
}

async function openReadOnly(absPath: string): Promise<FileHandle> {
  if (NOATIME) {
    try {
      return await open(absPath, BASE_FLAGS | NOATIME);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
  }
  return open(absPath, BASE_FLAGS);
}

/**
 * What differs between two identities, in words ("inode 12 → 40, ctime … → …"), or null.
 * Fields the expected side does not know (rows registered before identities were kept) are
 * not compared.
 */
export function identityDifference(expected: Partial<Record<keyof FileIdentity, number | null>>, seen: FileIdentity): string | null {
  const parts: string[] = [];
  const time = (ms: number) => new Date(ms).toISOString();
  const cmp = (key: keyof FileIdentity, label: string, fmt: (v: number) => string = String) => {
    const want = expected[key];
    if (want === null || want === undefined) return;
    if (want === seen[key]) return;
    // Sub-millisecond moves print the same ISO time: show the raw numbers then.
    const f = fmt(want) === fmt(seen[key]) ? String : fmt;
    parts.push(`${label} ${f(want)} → ${f(seen[key])}`);
  };
  cmp('dev', 'device');
  cmp('ino', 'inode');
  cmp('size', 'size');
  cmp('mtimeMs', 'mtime', time);
  cmp('ctimeMs', 'ctime', time);
  return parts.length ? parts.join(', ') : null;
}
