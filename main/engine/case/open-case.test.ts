import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../../test/helpers/paths.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { caseDbPath } from './workspace.js';

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function opener(folder: string, home: string, startAt: number): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'helpers', 'open-case-child.ts'), folder, home, String(startAt)], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('opening a brand-new case from several processes at once', () => {
  it('all succeed, with one case row and the schema at the latest version (repeated)', async () => {
    for (let round = 0; round < 3; round++) {
      const folder = join(work, `evidence-${round}`);
      const home = join(work, `home-${round}`);
      mkdirSync(folder);
      // The children start at the same instant, after each has loaded its modules.
      const startAt = Date.now() + 2500;
      const results = await Promise.all([0, 1, 2, 3].map(() => opener(folder, home, startAt)));
      for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
      const parsed = results.map((r) => JSON.parse(r.out) as { id: string; version: number });
      expect(new Set(parsed.map((p) => p.id)).size).toBe(1);
      for (const p of parsed) expect(p.version).toBe(SCHEMA_VERSION);
      const db = new Database(caseDbPath(home, parsed[0].id), { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM case_info').get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'case-created'").get()).toEqual({ n: 1 });
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      db.close();
    }
  }, 90_000);
});
