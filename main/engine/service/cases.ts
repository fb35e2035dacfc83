import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseSummary } from '../../../common/api.js';
import type { CaseInfo, CaseStore } from '../store/case-store.js';
import { evidenceCount } from '../store/evidence-repo.js';
import { CASE_ID_RE, openCaseStore } from './common.js';

export function caseSummary(info: CaseInfo, store: CaseStore): CaseSummary {
  return {
    id: info.id, name: info.name, number: info.number, examiner: info.examiner, folder: info.folder,
    createdAt: info.createdAt, evidenceCount: evidenceCount(store),
  };
}

/**
 * Cases in this workstation home, most recently created first. A case database that cannot
 * be read (written by a newer Deepscan, damaged, half-created) is left out rather than failing
 * the whole list.
 */
export async function listRecentCases(home: string): Promise<CaseSummary[]> {
  const names = await readdir(join(home, 'cases')).catch(() => [] as string[]);
  const out: CaseSummary[] = [];
  for (const id of names) {
    if (!CASE_ID_RE.test(id)) continue;
    let store: CaseStore | null = null;
    try {
      store = openCaseStore(home, id, 'read');
      const info = store.getCase();
      if (info) out.push(caseSummary(info, store));
    } catch {
      // unreadable case database: not listed
    } finally {
      store?.close();
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id)));
}
