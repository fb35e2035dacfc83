import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/paths.js';

/**
 * store/ owns every query: the rest of the code calls typed repository functions, so a schema
 * change is made in one folder and every statement stays a cached, parameter-bound one there.
 * This scans the shipped sources (tests may edit databases by hand to play the attacker).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const STORE = join('main', 'engine', 'store') + sep;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : sources(p);
    return /\.(ts|svelte)$/.test(d.name) && !/\.test\.ts$/.test(d.name) ? [p] : [];
  });
}

/** Database calls and SQL text: a prepared statement, a pragma, exec of a string, or a statement keyword opening a string. */
const SQL = [
  /\.prepare\(/,
  /\.pragma\(/,
  /\.exec\(\s*['"`]/,
  /['"`]\s*(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|TRIGGER)\s|ALTER\s+TABLE\s|PRAGMA\s)/i,
  /from\s+['"]better-sqlite3['"]/,
];

function sourcesIfAny(dir: string): string[] {
  try {
    return sources(dir);
  } catch {
    return []; // a folder this checkout does not have
  }
}

function offenders(files: readonly string[], root = ROOT): string[] {
  const out: string[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    if (rel.startsWith(STORE)) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (SQL.some((re) => re.test(line))) out.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

describe('SQL lives in store/', () => {
  it('no query, pragma or better-sqlite3 import outside main/engine/store/', () => {
    const files = ['main', 'common', 'scripts', 'tools'].flatMap((d) => sourcesIfAny(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(50);
    expect(offenders(files)).toEqual([]);
  });

  it('the scan finds SQL where it appears (the check can fail), and only outside store/', () => {
    const root = tempDir('deepscan-sql-scan-');
    try {
      const put = (rel: string, text: string) => {
        mkdirSync(join(root, rel, '..'), { recursive: true });
        writeFileSync(join(root, rel), text);
      };
      const lines = [
        "const n = store.prepare('SELECT COUNT(*) AS n FROM evidence').get();",
        'db.pragma("user_version");',
        'db.exec(`DELETE FROM faces`);',
        "const sql = `INSERT OR IGNORE INTO case_models (id) VALUES (?)`;",
        "import Database from 'better-sqlite3';",
      ];
      put('main/engine/service/leak.ts', `${lines.join('\n')}\nconst ok = /x/.exec(text); const label = 'SELECT';\n`);
      put('main/engine/store/repo.ts', lines.join('\n'));
      const found = offenders(sourcesIfAny(join(root, 'main')), root);
      expect(found.map((f) => f.split(':').slice(0, 2).join(':'))).toEqual([1, 2, 3, 4, 5].map((n) => `${join('main', 'engine', 'service', 'leak.ts')}:${n}`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
