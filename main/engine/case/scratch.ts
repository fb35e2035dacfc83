import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './lock.js';

/**
 * Scratch folders (decoded frames of evidence, as JPEG/PNG files ffmpeg writes) live in one
 * place, `<case workspace>/scratch/` (or `$DEEPSCAN_HOME/scratch/` for work outside a case),
 * never in the evidence folder or the system temp folder. Each names its owner (pid, host) in
 * OWNER_FILE, so a folder left by a crashed or killed process can be told from one in use and
 * removed at the next start-up: decoded evidence does not outlive the process that needed it.
 */

export const SCRATCH_DIR = 'scratch';
export const OWNER_FILE = 'owner.json';
/** A folder without an owner file may be one being created right now; older than this it is stale. */
const UNOWNED_GRACE_MS = 60_000;

export interface ScratchOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** Creates an owned scratch folder below `<base>/scratch/`; remove it with `rm` when done. */
export async function makeScratchDir(base: string, prefix: string): Promise<string> {
  const root = join(base, SCRATCH_DIR);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(root, `${prefix}-`));
  const owner: ScratchOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  await writeFile(join(dir, OWNER_FILE), JSON.stringify(owner), { mode: 0o600 });
  return dir;
}

/**
 * Removes the scratch folders below `<base>/scratch/` whose owner process is gone (same host,
 * pid not running). Folders of live processes, and of other hosts (a case on a shared drive),
 * are kept. Returns the folders removed.
 */
export async function removeStaleScratch(base: string): Promise<string[]> {
  const root = join(base, SCRATCH_DIR);
  const names = await readdir(root).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8').then((s) => JSON.parse(s) as ScratchOwner, () => null);
    let stale: boolean;
    if (owner && typeof owner.pid === 'number' && typeof owner.host === 'string') stale = !isProcessAlive(owner.host, owner.pid);
    else stale = await stat(dir).then((st) => Date.now() - st.mtimeMs > UNOWNED_GRACE_MS, () => false);
    if (!stale) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
