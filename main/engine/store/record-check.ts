import type { AuditEntry } from './audit.js';
import type { CaseDb } from './db.js';
import { canonicalJson } from '../util/canonical-json.js';

/**
 * Tables the report prints from but that carry no result digest: the case's details
 * (`case_info`: name, number, examiner, folder), the analysis runs (`runs`: parameters, software
 * and stage versions, execution provider, outcome) and the history of integrity failures
 * (`integrity_events`). The signed log already says, in its own entries, what each of them must
 * hold — `case-created` / `case-details-changed`, `run-started` / `run-finished`,
 * `integrity-failure` — so each row is checked against those words. This needs no digest in the
 * entries, so it holds for cases recorded by every earlier version too; fields an older entry did
 * not record are not compared.
 */

type Row = Record<string, unknown>;
type Problem = { seq: number | null; text: string };

const details = (e: AuditEntry): Row => (e.details && typeof e.details === 'object' ? (e.details as Row) : {});
const shown = (v: unknown): string => (v === null || v === undefined ? 'empty' : typeof v === 'string' ? `"${v}"` : canonicalJson(v));
/** The same value as the entry recorded (JSON values compared canonically). */
const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

function tableExists(db: CaseDb, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function columns(db: CaseDb, table: string): Set<string> {
  return new Set((db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]));
}

/** case_info against the latest case-created / case-details-changed entry. */
function checkCaseDetails(db: CaseDb, entries: AuditEntry[], legacy: boolean, problems: Problem[]): void {
  if (!tableExists(db, 'case_info')) return;
  const rows = db.prepare('SELECT * FROM case_info').all() as Row[];
  const created = entries.find((e) => e.action === 'case-created');
  if (rows.length === 0) {
    if (created) problems.push({ seq: created.seq, text: `case details: recorded by audit entry ${created.seq} but no longer in the database (deleted)` });
    return;
  }
  if (rows.length > 1) problems.push({ seq: null, text: `case details: ${rows.length} case_info rows where there is one (inserted by hand)` });
  const row = rows[0];
  if (!created) {
    if (legacy) return;
    problems.push({ seq: null, text: 'case details: no audit entry records the case\'s creation (case_info inserted by hand)' });
    return;
  }
  // What the log says the details are now: the creation, then every change in order.
  const want: Row = { ...details(created) };
  let from = created.seq;
  for (const e of entries) {
    if (e.action !== 'case-details-changed') continue;
    const to = details(e).to;
    if (to && typeof to === 'object') Object.assign(want, to);
    from = e.seq;
  }
  const fields: [string, string][] = [['id', 'id'], ['name', 'name'], ['number', 'number'], ['examiner', 'examiner'], ['folder', 'folder'], ['created_by_version', 'softwareVersion']];
  for (const [column, key] of fields) {
    if (!(key in want) || !(column in row)) continue;
    if (!same(row[column], want[key])) {
      problems.push({ seq: from, text: `case details: ${column} is ${shown(row[column])} in the database but ${shown(want[key])} in audit entry ${from} (edited by hand)` });
    }
  }
}

/** Each runs row against its run-started and run-finished entries. */
function checkRuns(db: CaseDb, entries: AuditEntry[], legacy: boolean, problems: Problem[]): void {
  if (!tableExists(db, 'runs')) return;
  const started = new Map<number, AuditEntry>();
  const finished = new Map<number, AuditEntry>();
  for (const e of entries) {
    const run = details(e).run;
    if (typeof run !== 'number') continue;
    if (e.action === 'run-started') started.set(run, e);
    else if (e.action === 'run-finished') finished.set(run, e);
  }
  const rows = db.prepare('SELECT id, status, error, params, software_version, stage_versions, execution_provider FROM runs ORDER BY id').all() as Row[];
  const present = new Set<number>();
  for (const r of rows) {
    const id = r.id as number;
    present.add(id);
    const s = started.get(id);
    if (!s) {
      if (!legacy) problems.push({ seq: null, text: `run ${id}: no audit entry records its start (runs row inserted by hand)` });
      continue;
    }
    const d = details(s);
    const parsed = (v: unknown): unknown => {
      try {
        return JSON.parse(String(v));
      } catch {
        return v;
      }
    };
    const fields: [string, string, unknown][] = [
      ['params', 'params', parsed(r.params)],
      ['software_version', 'softwareVersion', r.software_version],
      ['stage_versions', 'stageVersions', parsed(r.stage_versions)],
      ['execution_provider', 'executionProvider', r.execution_provider],
    ];
    for (const [column, key, value] of fields) {
      if (!(key in d)) continue;
      if (!same(value, d[key])) problems.push({ seq: s.seq, text: `run ${id}: ${column} is ${shown(value)} in the database but ${shown(d[key])} in audit entry ${s.seq} (edited by hand)` });
    }
    const f = finished.get(id);
    if (!f) {
      if (r.status !== 'running' && !legacy) problems.push({ seq: s.seq, text: `run ${id}: status is ${shown(r.status)} in the database, but no audit entry records the run's end (edited by hand)` });
      continue;
    }
    const fd = details(f);
    if ('status' in fd && !same(r.status, fd.status)) problems.push({ seq: f.seq, text: `run ${id}: status is ${shown(r.status)} in the database but ${shown(fd.status)} in audit entry ${f.seq} (edited by hand)` });
    if ('error' in fd && !same(r.error, fd.error)) problems.push({ seq: f.seq, text: `run ${id}: error is ${shown(r.error)} in the database but ${shown(fd.error)} in audit entry ${f.seq} (edited by hand)` });
  }
  for (const [id, e] of started) {
    if (!present.has(id)) problems.push({ seq: e.seq, text: `run ${id}: recorded by audit entry ${e.seq} but no longer in the database (deleted)` });
  }
}

/** integrity_events, per evidence path and in order, against the integrity-failure entries. */
function checkIntegrityEvents(db: CaseDb, entries: AuditEntry[], legacy: boolean, problems: Problem[]): void {
  if (!tableExists(db, 'integrity_events')) return;
  const cols = columns(db, 'integrity_events');
  const extra = ['phase', 'detail'].filter((c) => cols.has(c)).map((c) => `i.${c}`);
  const rows = db.prepare(
    `SELECT i.id, e.rel_path, i.kind, i.expected_sha256, i.observed_sha256, i.observed_size${extra.length ? `, ${extra.join(', ')}` : ''}
     FROM integrity_events i LEFT JOIN evidence e ON e.id = i.evidence_id ORDER BY i.id`,
  ).all() as Row[];
  const logged = new Map<string, AuditEntry[]>();
  for (const e of entries) {
    if (e.action !== 'integrity-failure') continue;
    const path = String(details(e).path);
    logged.set(path, [...(logged.get(path) ?? []), e]);
  }
  const byPath = new Map<string, Row[]>();
  for (const r of rows) {
    const path = r.rel_path === null ? `(evidence row gone) event ${r.id as number}` : String(r.rel_path);
    byPath.set(path, [...(byPath.get(path) ?? []), r]);
  }
  const fields: [string, string][] = [['kind', 'kind'], ['expected_sha256', 'expectedSha256'], ['observed_sha256', 'observedSha256'], ['observed_size', 'observedSize'], ['phase', 'phase'], ['detail', 'detail']];
  for (const path of new Set([...byPath.keys(), ...logged.keys()])) {
    const have = byPath.get(path) ?? [];
    const want = logged.get(path) ?? [];
    for (let k = 0; k < Math.max(have.length, want.length); k++) {
      const r = have[k];
      const e = want[k];
      if (!e) {
        if (!legacy) problems.push({ seq: null, text: `integrity events of ${path}: event ${k + 1} is not recorded by any audit entry (inserted by hand)` });
        continue;
      }
      if (!r) {
        problems.push({ seq: e.seq, text: `integrity events of ${path}: the failure recorded by audit entry ${e.seq} is no longer in the database (deleted)` });
        continue;
      }
      const d = details(e);
      for (const [column, key] of fields) {
        if (!(key in d) || !(column in r)) continue;
        if (!same(r[column], d[key])) {
          problems.push({ seq: e.seq, text: `integrity events of ${path}: event ${k + 1} ${column} is ${shown(r[column])} in the database but ${shown(d[key])} in audit entry ${e.seq} (edited by hand)` });
          break;
        }
      }
    }
  }
}

/**
 * Every check above; problems are appended in table order. In a log with legacy (pre-signing)
 * entries a row no entry describes is not a problem — old versions did not record everything —
 * but a row that contradicts an entry, or an entry whose row is gone, still is.
 */
export function checkRecordedTables(db: CaseDb, entries: AuditEntry[], legacy: boolean, problems: Problem[]): void {
  checkCaseDetails(db, entries, legacy, problems);
  checkRuns(db, entries, legacy, problems);
  checkIntegrityEvents(db, entries, legacy, problems);
}
