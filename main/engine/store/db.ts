import Database from 'better-sqlite3';
import { DeepscanError } from '../util/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';

export type CaseDb = Database.Database;

/** How long an opener waits for another process's lock (a migration, a write) before 'case-busy'. */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) a case database: WAL for concurrent readers (UI, CLI, reports),
 * synchronous=FULL because a case is evidence-grade data, foreign keys on, and the schema
 * migrated forward. A database written by a newer Deepscan is refused rather than risked.
 * Several processes may open a brand-new case at once: the schema version is read again and
 * the migrations run under one write lock, so exactly one of them migrates.
 */
export function openCaseDb(file: string, options: { readonly?: boolean; migrations?: readonly Migration[]; busyTimeoutMs?: number } = {}): CaseDb {
  const migrations = options.migrations ?? MIGRATIONS;
  const wait = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: wait });
  try {
    whenBusy(file, wait, () => setUp(db, file, options.readonly ?? false, migrations, wait));
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function setUp(db: CaseDb, file: string, readonly: boolean, migrations: readonly Migration[], wait: number): void {
  db.pragma(`busy_timeout = ${wait}`);
  if (!readonly) {
    // Switching to WAL takes a lock of its own; a file already in WAL needs no switch.
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > latest) {
    throw new DeepscanError(
      'schema-too-new',
      `${file}: case database schema version ${current} is newer than this Deepscan supports (${latest}); ` +
        'open it with the newer Deepscan that wrote it.',
      { file },
    );
  }
  if (current < latest) {
    if (readonly) {
      throw new DeepscanError('schema-too-new', `${file}: case database is at schema ${current} and needs migrating; open it read-write once.`, { file });
    }
    migrate(db, migrations);
  }
}

/**
 * Runs the pending migrations in one exclusive transaction, reading user_version under the
 * lock: a second opener that raced us waits, then finds the schema current and does nothing
 * (instead of re-running ALTER TABLE and failing on "duplicate column name"). A failed
 * migration rolls back to the old version intact.
 */
function migrate(db: CaseDb, migrations: readonly Migration[]): void {
  db.transaction(() => {
    const from = db.pragma('user_version', { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).exclusive();
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (code?.startsWith('SQLITE_BUSY_') ?? false);
}

/**
 * Runs the set-up, retrying while another process holds the case, for at most `waitedMs`.
 * SQLite's busy handler covers ordinary lock waits, but a few lock conflicts of a brand-new
 * database (switching it to WAL while another opener reads it, WAL recovery) return SQLITE_BUSY
 * at once; the set-up is idempotent (the schema version is re-read under the lock), so it is
 * simply tried again. Past the wait: 'case-busy', naming the file.
 */
function whenBusy<T>(file: string, waitedMs: number, fn: () => T): T {
  const deadline = Date.now() + waitedMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() >= deadline) {
        throw new DeepscanError('case-busy', `${file}: the case database is locked by another Deepscan process (waited ${waitedMs / 1000} s); try again when it has finished`, { file, cause: e });
      }
      // A short, growing pause (synchronous: opening a case is synchronous throughout).
      Atomics.wait(pause, 0, 0, Math.min(200, 10 * 2 ** Math.min(attempt, 4)));
    }
  }
}

export { SCHEMA_VERSION };
