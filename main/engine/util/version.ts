import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The software version recorded with every run and report (from package.json). */
export const SOFTWARE_NAME = 'Deepscan';

let cached: string | undefined;
export function softwareVersion(): string {
  if (cached) return cached;
  // Works from the sources (main/engine/util) and from the build (dist/main/engine/util).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'deepscan' && pkg.version) return (cached = pkg.version);
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0-unknown');
}
