import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { DeepscanError } from '../util/errors.js';

/**
 * Where a write to `p` would really land: the deepest existing ancestor resolved with
 * realpath (symbolic links and `..` included), the rest appended. A dangling symbolic link on
 * the way is followed too, since writing through it would create its target.
 */
export async function canonicalOutputPath(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = resolve(p);
  for (let hops = 0; hops < 64; hops++) {
    try {
      return join(await realpath(cur), ...[...rest].reverse());
    } catch {
      const link = await lstat(cur).then((st) => st.isSymbolicLink(), () => false);
      if (link) {
        const to = await readlink(cur);
        cur = isAbsolute(to) ? to : resolve(dirname(cur), to);
        continue;
      }
      const parent = dirname(cur);
      if (parent === cur) return join(cur, ...[...rest].reverse());
      rest.push(basename(cur));
      cur = parent;
    }
  }
  throw new DeepscanError('invalid-argument', `${p}: too many symbolic links on the way`, { file: p });
}

/**
 * Refuses an output path (--json, --pdf, --out…) that would write inside the evidence folder,
 * however it is spelt. `what` names the option for the message. Returns the resolved path.
 */
export async function assertOutsideEvidence(outPath: string, evidenceFolder: string, what: string): Promise<string> {
  const target = await canonicalOutputPath(outPath);
  const folder = await realpath(evidenceFolder).catch(() => resolve(evidenceFolder));
  if (target === folder || target.startsWith(folder + sep)) {
    throw new DeepscanError(
      'output-inside-evidence',
      `${what} ${outPath} lies inside the evidence folder ${evidenceFolder}${target !== resolve(outPath) ? ` (it resolves to ${target})` : ''}; ` +
        'the evidence folder is only ever read — choose a place outside it',
      { file: outPath },
    );
  }
  return target;
}
