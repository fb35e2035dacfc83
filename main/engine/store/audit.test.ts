import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { appendAudit, GENESIS_HASH, readAudit, verifyAuditChain } from './audit.js';
import { openCaseDb } from './db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh() {
  const d = tempDir();
  dirs.push(d);
  const file = join(d, 'case.sqlite');
  const db = openCaseDb(file);
  appendAudit(db, 'alice', 'case-created', { name: 'Case 1' });
  appendAudit(db, 'alice', 'evidence-registered', { path: 'a.mp4', sha256: 'ab'.repeat(32) });
  appendAudit(db, 'bob', 'review', { decision: 'fake', note: 'ünïcode' });
  return { db, file };
}

describe('audit chain', () => {
  it('links each entry to the previous hash and verifies', () => {
    const { db } = fresh();
    const entries = readAudit(db);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0].prevHash).toBe(GENESIS_HASH);
    expect(entries[1].prevHash).toBe(entries[0].hash);
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, entries: 3, headHash: entries[2].hash });
    db.close();
  });

  it('is append-only inside SQLite (UPDATE and DELETE are refused by triggers)', () => {
    const { db } = fresh();
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 3').run()).toThrow(/append-only/);
    db.close();
  });

  it('detects an altered entry, a deleted entry and a re-linked forgery', () => {
    const { db, file } = fresh();
    db.close();
    // An attacker with raw file access drops the triggers and edits history.
    const raw = new Database(file);
    raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
    raw.prepare('UPDATE audit_log SET details = ? WHERE seq = 2').run(JSON.stringify({ path: 'a.mp4', sha256: 'cd'.repeat(32) }));
    const v1 = verifyAuditChain(raw);
    expect(v1).toMatchObject({ ok: false, firstBadSeq: 2 });
    expect(v1.problem).toMatch(/altered/);
    raw.close();

    const { db: db2, file: file2 } = fresh();
    db2.close();
    const raw2 = new Database(file2);
    raw2.exec('DROP TRIGGER audit_log_no_delete;');
    raw2.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(verifyAuditChain(raw2)).toMatchObject({ ok: false, firstBadSeq: 3 });
    raw2.close();
  });
});
