import { statSync } from 'node:fs';
import type { CaseStore } from '../store/case-store.js';
import { caseDbFile, openCaseStore } from './common.js';

/**
 * The service's case connections, opened once per case per process: a read-only connection
 * for the views (thumbnails, lists, overlays) and one long-lived writer for the short writes
 * the service makes itself (reviews). Opening a connection sets pragmas, checks (and once
 * migrates) the schema and loads the installation's keys; doing that on every thumbnail is
 * what this cache avoids, and it lets each connection's prepared-statement cache warm up.
 *
 * Every call still checks that the database file is the one the connection was opened on
 * (device and inode): a case deleted or replaced underneath us reports 'case-missing' or is
 * reopened instead of serving a stale file. Long tasks (analysis, compare, heatmap, report)
 * open their case through openCase() with their own writer; WAL lets these connections see
 * each other's commits at their next read transaction.
 */
export interface CaseConnections {
  /** The cached read-only connection of a case (opened, and the schema migrated once, on first use). */
  reader(caseId: string): CaseStore;
  /** The cached read-write connection of a case. */
  writer(caseId: string): CaseStore;
  /**
   * Drops the cached readers after a write through another connection (openCase, an analysis):
   * that write may have created the installation key, which a reader's keyring must trust.
   */
  refreshReaders(): void;
  /** Closes every cached connection (shutdown); later calls reopen on demand. */
  closeAll(): void;
}

interface Entry {
  store: CaseStore;
  dev: number;
  ino: number;
}

export function caseConnections(home: string): CaseConnections {
  const readers = new Map<string, Entry>();
  const writers = new Map<string, Entry>();

  function get(map: Map<string, Entry>, caseId: string, open: () => CaseStore): CaseStore {
    const st = statSync(caseDbFile(home, caseId)); // 'case-missing' when the case is gone
    const cached = map.get(caseId);
    if (cached && cached.dev === st.dev && cached.ino === st.ino) return cached.store;
    if (cached) {
      map.delete(caseId);
      cached.store.close();
    }
    const store = open();
    map.set(caseId, { store, dev: st.dev, ino: st.ino });
    return store;
  }

  const closeMap = (map: Map<string, Entry>) => {
    for (const e of map.values()) e.store.close();
    map.clear();
  };

  return {
    reader: (caseId) => get(readers, caseId, () => openCaseStore(home, caseId, 'read')),
    writer: (caseId) => get(writers, caseId, () => openCaseStore(home, caseId, 'write')),
    refreshReaders: () => closeMap(readers),
    closeAll() {
      closeMap(readers);
      closeMap(writers);
    },
  };
}

