/**
 * Reading back a report the engine wrote, for a copy, a download or "Open": only through its
 * audit record (path and SHA-256), and only when the bytes still hash to what was recorded.
 * Kept apart from the PDF renderer so the web host can use it without loading it.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { DeepscanError, errorMessage } from '../util/errors.js';

/** Largest report read back (a real one is a few MiB). */
export const MAX_REPORT_BYTES = 512 * 1024 * 1024;

/**
 * Reads a recorded report whole (never following a final symbolic link) and checks it against
 * the SHA-256 its audit entry recorded: the bytes returned are exactly the ones verified.
 */
export async function readVerifiedReport(rec: { path: string; sha256: string }, max = MAX_REPORT_BYTES): Promise<Buffer> {
  const fh = await open(rec.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch((e: unknown) => {
    throw new DeepscanError('report-missing', `${rec.path}: the report cannot be opened (${errorMessage(e)})`, { file: rec.path });
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new DeepscanError('report-changed', `${rec.path} is no longer a regular file`, { file: rec.path });
    if (st.size > max) throw new DeepscanError('too-large', `${rec.path}: ${st.size} bytes, over the ${max}-byte limit for a report`, { file: rec.path });
    const bytes = await fh.readFile();
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== rec.sha256) {
      throw new DeepscanError('report-changed', `${rec.path} has changed since it was written: SHA-256 ${sha}, recorded ${rec.sha256}; it is not served`, { file: rec.path });
    }
    return bytes;
  } finally {
    await fh.close();
  }
}
