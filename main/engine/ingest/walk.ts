import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export type WalkEntry =
  | { type: 'file'; relPath: string; absPath: string; size: number; mtimeMs: number }
  /** Something we must not or cannot read as a file; recorded so the examiner sees it. */
  | { type: 'skipped'; relPath: string; absPath: string; reason: 'symlink-outside' | 'not-regular-file' | 'file-unreadable'; detail: string };

/**
 * Lists every file below `root` in a stable (sorted) order. Symbolic links are followed only
 * when their target stays inside the case folder; FIFOs, sockets and devices are reported,
 * never opened (reading a FIFO would block forever).
 */
export async function walkEvidenceFolder(root: string): Promise<WalkEntry[]> {
  const canonicalRoot = await realpath(root);
  const out: WalkEntry[] = [];
  const visitedDirs = new Set<string>();

  async function visit(dirAbs: string): Promise<void> {
    const real = await realpath(dirAbs);
    if (visitedDirs.has(real)) return; // a link loop inside the folder
    visitedDirs.add(real);
    let names: string[];
    try {
      const dir = await opendir(dirAbs);
      names = [];
      for await (const d of dir) names.push(d.name);
    } catch (e) {
      out.push({ type: 'skipped', relPath: toRel(dirAbs), absPath: dirAbs, reason: 'file-unreadable', detail: `folder cannot be listed: ${(e as Error).message}` });
      return;
    }
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const abs = join(dirAbs, name);
      const rel = toRel(abs);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(abs);
        } catch {
          out.push({ type: 'skipped', relPath: rel, absPath: abs, reason: 'file-unreadable', detail: 'broken symbolic link (its target does not exist)' });
          continue;
        }
        if (target !== canonicalRoot && !target.startsWith(canonicalRoot + sep)) {
          out.push({ type: 'skipped', relPath: rel, absPath: abs, reason: 'symlink-outside', detail: `symbolic link points outside the case folder (to ${target}); not followed` });
          continue;
        }
        const tst = await stat(abs);
        if (tst.isDirectory()) await visit(abs);
        else if (tst.isFile()) out.push({ type: 'file', relPath: rel, absPath: abs, size: tst.size, mtimeMs: tst.mtimeMs });
        else out.push({ type: 'skipped', relPath: rel, absPath: abs, reason: 'not-regular-file', detail: 'symbolic link to a special file (FIFO, socket or device); not read' });
      } else if (st.isDirectory()) {
        await visit(abs);
      } else if (st.isFile()) {
        out.push({ type: 'file', relPath: rel, absPath: abs, size: st.size, mtimeMs: st.mtimeMs });
      } else {
        out.push({ type: 'skipped', relPath: rel, absPath: abs, reason: 'not-regular-file', detail: 'special file (FIFO, socket or device); not read' });
      }
    }
  }

  function toRel(abs: string): string {
    return relative(root, abs).split(sep).join('/');
  }

  await visit(root);
  return out;
}
