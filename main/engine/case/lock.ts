import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DeepscanError } from '../util/errors.js';

/**
 * One analysis per case at a time. The lock file lives in the case workspace (never in the
 * evidence folder) and names its owner; a lock left by a dead process is taken over.
 */
export async function acquireAnalysisLock(workspace: string): Promise<() => Promise<void>> {
  const file = join(workspace, 'analysis.lock');
  const me = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, JSON.stringify(me), { flag: 'wx' });
      return async () => {
        await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = await readFile(file, 'utf8').then((s) => JSON.parse(s) as typeof me).catch(() => null);
      if (owner && isProcessAlive(owner.host, owner.pid)) {
        throw new DeepscanError('invalid-argument', `this case is already being analysed by process ${owner.pid} on ${owner.host} (since ${owner.startedAt})`);
      }
      await rm(file, { force: true });
    }
  }
  throw new DeepscanError('internal', `could not take the analysis lock ${file}`);
}

/** True unless we know the process is gone (another host's process is assumed alive). */
export function isProcessAlive(host: string, pid: number): boolean {
  if (host !== hostname()) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
