import Database from 'better-sqlite3';
import { DeepscanError } from '../util/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';

export type CaseDb = Database.Database;

/**
 * Opens (creating if needed) a case database: WAL for concurrent readers (UI, CLI, reports),
 * synchronous=FULL because a case is evidence-grade data, foreign keys on, and the schema
 * migrated forward. A database written by a newer Deepscan is refused rather than risked.
 */
export function openCaseDb(file: string, options: { readonly?: boolean; migrations?: readonly Migration[] } = {}): CaseDb {
  const migrations = options.migrations ?? MIGRATIONS;
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    db.pragma('busy_timeout = 10000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
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
      if (options.readonly) {
        throw new DeepscanError('schema-too-new', `${file}: case database is at schema ${current} and needs migrating; open it read-write once.`, { file });
      }
      migrate(db, migrations, current);
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: CaseDb, migrations: readonly Migration[], from: number): void {
  for (const m of migrations) {
    if (m.version <= from) continue;
    // exec + user_version in one transaction: a failed migration leaves the old version intact.
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export { SCHEMA_VERSION };
