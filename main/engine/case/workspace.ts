import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Deepscan keeps its own data. Case databases live here, never inside the evidence
 * folder (evidence is read-only to us). DEEPSCAN_HOME overrides the per-user default.
 */
export function deepscanHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.DEEPSCAN_HOME) return env.DEEPSCAN_HOME;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Deepscan');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Deepscan');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'deepscan');
}

/**
 * A case is identified by its evidence folder's canonical path, so `deepscan analyze <folder>`
 * finds the same case again without writing any marker into the evidence folder.
 */
export function caseIdForFolder(canonicalFolder: string): string {
  return createHash('sha256').update(canonicalFolder, 'utf8').digest('hex').slice(0, 16);
}

export function caseDir(home: string, caseId: string): string {
  return join(home, 'cases', caseId);
}

export function caseDbPath(home: string, caseId: string): string {
  return join(caseDir(home, caseId), 'case.sqlite');
}
