import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry below a folder with its bytes' hash, size, mode and mtime: evidence must not change. */
export function snapshotFolder(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        out[`${r}/`] = `dir mode=${st.mode} mtime=${st.mtimeMs}`;
        walk(abs, r);
      } else if (st.isSymbolicLink()) {
        out[r] = `link -> ${readlinkSync(abs)}`;
      } else if (st.isFile()) {
        let digest = 'unreadable';
        try {
          digest = createHash('sha256').update(readFileSync(abs)).digest('hex');
        } catch {
          // unreadable for this user: size, mode and mtime still compared
        }
        out[r] = `file ${digest} size=${st.size} mode=${st.mode} mtime=${st.mtimeMs}`;
      } else {
        out[r] = `special mode=${st.mode} mtime=${st.mtimeMs}`;
      }
    }
  };
  walk(root, '');
  return out;
}
