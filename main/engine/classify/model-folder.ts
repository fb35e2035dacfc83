/**
 * `deepscan models import <folder>` and `--ensemble NAME` (issue 12): every checkpoint in a
 * folder is imported, and the released DFDC-winner files among them form the named ensemble.
 */
import { lstat, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { importModel, listModels, type ImportResult, type ModelManifest } from './model-store.js';
import { ensembleStatus, matchReleaseFile, RELEASE_ENSEMBLE, RELEASE_FILES } from './release.js';

/** Files a folder import picks up: checkpoint suffixes, or a released file's bare name. */
export function isCheckpointName(name: string): boolean {
  return ['.pth', '.pt', '.ckpt', '.bin'].includes(extname(name).toLowerCase()) || matchReleaseFile(name) !== null;
}

export interface FolderImport {
  imported: { file: string; result: ImportResult }[];
  failed: { file: string; error: DeepscanError }[];
  /** Regular files not taken for checkpoints (named, never silently ignored). */
  skipped: string[];
  ensemble: ReturnType<typeof ensembleStatus>;
}

export async function importModelFolder(home: string, dir: string, onFile?: (file: string) => void): Promise<FolderImport> {
  const st = await lstat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new DeepscanError('invalid-argument', `${dir}: not a folder`);
  const out: FolderImport = { imported: [], failed: [], skipped: [], ensemble: ensembleStatus([]) };
  for (const name of (await readdir(dir)).sort()) {
    const file = join(dir, name);
    const fst = await lstat(file);
    if (!fst.isFile()) continue;
    if (!isCheckpointName(name)) {
      out.skipped.push(name);
      continue;
    }
    onFile?.(file);
    try {
      out.imported.push({ file, result: await importModel(home, file) });
    } catch (e) {
      out.failed.push({ file, error: isDeepscanError(e) ? e : new DeepscanError('model-invalid', `${file}: ${errorMessage(e)}`, { file }) });
    }
  }
  out.ensemble = ensembleStatus((await listModels(home)).map((m) => m.card));
  return out;
}

/** The installed members of a named ensemble, in release order; refuses an unknown or empty one. */
export async function ensembleModels(home: string, name: string): Promise<{ models: ModelManifest[]; missing: string[] }> {
  if (name !== RELEASE_ENSEMBLE) throw new DeepscanError('invalid-argument', `unknown ensemble ${JSON.stringify(name.slice(0, 100))}; the one known ensemble is ${RELEASE_ENSEMBLE}`);
  const all = (await listModels(home)).filter((m) => m.card?.ensemble === name);
  const models = RELEASE_FILES.map((f) => all.find((m) => m.card?.member.fileName === f)).filter((m): m is ModelManifest => !!m);
  if (!models.length) {
    throw new DeepscanError('model-invalid', `no model of the ${name} ensemble is installed; import the published weights with "deepscan models import <folder>" (see "Getting the published weights" in the README)`);
  }
  return { models, missing: ensembleStatus(models.map((m) => m.card)).missing };
}
