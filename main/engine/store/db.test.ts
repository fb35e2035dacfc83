import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { openCaseDb } from './db.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';

const dirs: string[] = [];
function dbFile(): string {
  const d = tempDir();
  dirs.push(d);
  return join(d, 'case.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('case database', () => {
  it('migrates a new database to the latest schema with WAL, FULL sync and foreign keys', () => {
    const db = openCaseDb(dbFile());
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['case_info', 'evidence', 'integrity_events', 'runs', 'analyses', 'frames', 'audit_log']));
    db.close();
  });

  it('applies only the missing migrations when reopened at an older version', () => {
    const file = dbFile();
    const first = openCaseDb(file, { migrations: MIGRATIONS });
    first.close();
    const next: Migration[] = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'test', sql: 'CREATE TABLE extra (id INTEGER PRIMARY KEY);' }];
    const db = openCaseDb(file, { migrations: next });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'extra'").get()).toEqual({ n: 1 });
    db.close();
  });

  it('rolls back a failing migration entirely, keeping the previous version', () => {
    const file = dbFile();
    openCaseDb(file).close();
    const broken: Migration[] = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half (id INTEGER); SELECT * FROM no_such_table;' }];
    expect(() => openCaseDb(file, { migrations: broken })).toThrow(/no_such_table/);
    const raw = new Database(file);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    raw.close();
  });

  it('refuses to open a database written by a newer Deepscan', () => {
    const file = dbFile();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    expect(() => openCaseDb(file)).toThrow(/schema version \d+ is newer than this Deepscan supports/);
  });

  it('gives up with case-busy, naming the file, when another process holds the lock too long', () => {
    const file = dbFile();
    const holder = new Database(file);
    holder.exec('BEGIN EXCLUSIVE'); // a brand-new file locked by a (slow) first opener
    try {
      let err: unknown;
      try {
        openCaseDb(file, { busyTimeoutMs: 150 });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'case-busy' });
      expect((err as Error).message).toContain(file);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Once the lock is released the same open succeeds and migrates.
    const db = openCaseDb(file, { busyTimeoutMs: 150 });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });
});
