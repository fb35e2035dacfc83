import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The software version recorded with every run and report (from package.json). */
export const SOFTWARE_NAME = 'Deepscan';

let cached: { root: string; version: string } | undefined;

/** The installed package's folder and version, found from the sources (main/engine/util) or the build (dist/main/engine/util). */
function findPackage(): { root: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'deepscan' && pkg.version) return (cached = { root: dir, version: pkg.version });
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error('Deepscan: cannot find its package.json above ' + fileURLToPath(import.meta.url));
}

export function softwareVersion(): string {
  return findPackage().version;
}

/** Folder of the models shipped with Deepscan (the MTCNN face detector). */
/** The installed package's root folder (bundled models and assets live below it). */
export function packageRoot(): string {
  return findPackage().root;
}

export function bundledModelsDir(): string {
  return join(findPackage().root, 'models');
}
