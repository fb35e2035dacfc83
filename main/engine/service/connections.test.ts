import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditCase, type AuditCase } from '../../../test/helpers/audit-case.js';
import { tempDir } from '../../../test/helpers/paths.js';
import { caseDbPath } from '../case/workspace.js';
import { caseConnections } from './connections.js';
import { createWorkstationService } from './index.js';

let work: string;
let k: AuditCase;
let caseId: string;

beforeAll(async () => {
  work = tempDir('deepscan-conn-');
  k = await buildAuditCase(work);
  caseId = k.c.info.id;
  k.c.store.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('case connections', () => {
  it('opens one read-only and one writer connection per case and reuses them', () => {
    const conns = caseConnections(k.home);
    try {
      const r = conns.reader(caseId);
      expect(r.db.readonly).toBe(true);
      expect(conns.reader(caseId)).toBe(r);
      const w = conns.writer(caseId);
      expect(w.db.readonly).toBe(false);
      expect(w).not.toBe(r);
      expect(conns.writer(caseId)).toBe(w);
      expect(w.keyring?.signer).toBeTruthy(); // the writer signs what it appends
    } finally {
      conns.closeAll();
    }
  });

  it('sees the writer\'s commits on its next read, and reopens after closeAll or a replaced file', () => {
    const conns = caseConnections(k.home);
    try {
      const r = conns.reader(caseId);
      const before = r.listEvidence().length;
      conns.writer(caseId).updateCaseDetails({ number: 'K-77' }, 'tester');
      expect(r.getCase()?.number).toBe('K-77');
      expect(r.listEvidence()).toHaveLength(before);

      conns.closeAll();
      expect(r.db.open).toBe(false);
      const again = conns.reader(caseId);
      expect(again).not.toBe(r);

      // Replaced underneath (another inode at the same path): the stale connection is dropped.
      const file = caseDbPath(k.home, caseId);
      copyFileSync(file, `${file}.copy`);
      renameSync(`${file}.copy`, file);
      const fresh = conns.reader(caseId);
      expect(fresh).not.toBe(again);
      expect(again.db.open).toBe(false);
      expect(fresh.getCase()?.id).toBe(caseId);
    } finally {
      conns.closeAll();
    }
  });

  it('a case that disappears reports case-missing instead of serving the old file', async () => {
    const service = createWorkstationService({ home: k.home });
    try {
      expect((await service.getCase(caseId)).ok).toBe(true);
      const file = caseDbPath(k.home, caseId);
      renameSync(file, `${file}.moved`);
      try {
        expect(await service.getCase(caseId)).toMatchObject({ ok: false, error: { code: 'case-missing' } });
      } finally {
        renameSync(`${file}.moved`, file);
      }
      expect((await service.getCase(caseId)).ok).toBe(true);
    } finally {
      await service.cancelAll();
    }
  });
});
