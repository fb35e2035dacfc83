import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';

/**
 * Streaming SHA-256 of a file, read-only. O_NOATIME is asked for where the OS allows it, so
 * hashing evidence does not even touch its access time; it is dropped when not permitted.
 */
export async function sha256File(absPath: string): Promise<string> {
  const noatime = (constants as Record<string, number>).O_NOATIME ?? 0;
  try {
    return await hashWithFlags(absPath, constants.O_RDONLY | noatime);
  } catch (e) {
    if (noatime && (e as NodeJS.ErrnoException).code === 'EPERM') return hashWithFlags(absPath, constants.O_RDONLY);
    throw e;
  }
}

function hashWithFlags(absPath: string, flags: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    // createReadStream's typings only admit string flags; numeric open(2) flags work at run time.
    const stream = createReadStream(absPath, { flags: flags as unknown as string, highWaterMark: 1 << 20 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}
