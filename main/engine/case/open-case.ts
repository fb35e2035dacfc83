import { mkdir, realpath, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, sep } from 'node:path';
import { CaseStore, type CaseInfo } from '../store/case-store.js';
import { DeepscanError } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { removeStaleScratch } from './scratch.js';
import { installationKeyring } from './signing-key.js';
import { caseDbPath, caseDir, caseIdForFolder, deepscanHome } from './workspace.js';

export interface OpenCaseOptions {
  folder: string;
  home?: string;
  name?: string;
  number?: string;
  examiner?: string;
  /** Open an existing case only (info, audit verify): never create one. */
  mustExist?: boolean;
  readonly?: boolean;
  /** Key fingerprints to accept besides this installation's own (audit verify --trust-key). */
  trustKeys?: readonly string[];
  /**
   * Who acts (the audit entries' actor) without changing the case's recorded examiner; wins
   * over `examiner` and the case's examiner.
   */
  actor?: string;
}

export interface OpenedCase {
  store: CaseStore;
  info: CaseInfo;
  /** Canonical path of the evidence folder. */
  folder: string;
  /** The case workspace (outside the evidence folder). */
  workspace: string;
  home: string;
  actor: string;
}

/** Checks the evidence folder; a missing folder is the one fatal input error. */
export async function resolveEvidenceFolder(folder: string): Promise<string> {
  let st;
  try {
    st = await stat(folder);
  } catch {
    throw new DeepscanError('folder-missing', `case folder does not exist: ${folder}`, { file: folder });
  }
  if (!st.isDirectory()) throw new DeepscanError('not-a-folder', `not a folder: ${folder} (give the folder that holds the evidence)`, { file: folder });
  return realpath(folder);
}

export async function openCase(opts: OpenCaseOptions): Promise<OpenedCase> {
  const folder = await resolveEvidenceFolder(opts.folder);
  const home = opts.home ?? deepscanHome();
  const id = caseIdForFolder(folder);
  const workspace = caseDir(home, id);
  await mkdir(home, { recursive: true });
  const canonicalWorkspace = (await realpath(home)) + sep + 'cases' + sep + id;
  if (canonicalWorkspace.startsWith(folder + sep)) {
    // DEEPSCAN_HOME inside the evidence folder would mean writing into evidence.
    throw new DeepscanError('invalid-argument', `the Deepscan data folder (${home}) lies inside the evidence folder ${folder}; set DEEPSCAN_HOME to a place outside it`, { file: home });
  }
  const dbFile = caseDbPath(home, id);
  const exists = await stat(dbFile).then(() => true, () => false);
  if (!exists && opts.mustExist) {
    throw new DeepscanError('case-missing', `no case has been opened for ${folder} yet (looked in ${workspace}); run "deepscan analyze ${opts.folder}" first`, { file: folder });
  }
  await mkdir(workspace, { recursive: true });
  // Decoded frames left by a crashed or killed process are evidence copies: sweep them now.
  if (!opts.readonly) await removeStaleScratch(workspace);
  // The installation's signing key (created on first write) signs every audit entry this store appends.
  const keyring = installationKeyring(home, { write: !opts.readonly, trust: opts.trustKeys });
  const store = new CaseStore(dbFile, { readonly: opts.readonly, keyring });
  try {
    const actor = opts.actor ?? opts.examiner ?? store.getCase()?.examiner ?? osUserActor();
    let info = store.getCase();
    if (!info) {
      // Another process may be creating it at this moment: check and insert under one lock.
      const made = store.createCaseIfMissing({
        id, name: opts.name ?? basename(folder), number: opts.number ?? null, examiner: opts.examiner ?? null, folder,
        createdAt: new Date().toISOString(), createdByVersion: softwareVersion(),
      }, actor);
      info = made.info;
    } else if (!opts.readonly && (opts.name !== undefined || opts.number !== undefined || opts.examiner !== undefined)) {
      store.updateCaseDetails({ name: opts.name, number: opts.number, examiner: opts.examiner }, actor);
      info = store.getCase()!;
    }
    return { store, info, folder, workspace, home, actor };
  } catch (e) {
    store.close();
    throw e;
  }
}

/**
 * The last resort when nobody named an examiner (CLI without --examiner on a case without
 * one): the OS account, marked as such so the audit log never passes it off as a person's name.
 */
export function osUserActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username || 'unknown';
  } catch {
    // no account name available
  }
  return `${name} (OS user)`;
}
