import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../main/engine/case/open-case.js';
import { readAnchor } from '../../main/engine/report/anchor.js';
import { buildCaseJson } from '../../main/engine/report/case-json.js';
import { generateCaseReport } from '../../main/engine/report/pdf/index.js';
import { buildAuditCase } from '../helpers/audit-case.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/**
 * The exports of a case vouch for its audit log: JSON and PDF carry the chain's length, head
 * hash and key fingerprint; a PDF of an edited database says verification FAILED; and
 * `deepscan audit verify --anchor` catches a log whose last entries were deleted.
 */
let work: string;
let folder: string;
let home: string;
let dbFile: string;
let jsonAnchor: string;
let pdfFile: string;
let keyFingerprint: string;

const pdftotext = (file: string) => execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });

beforeAll(async () => {
  work = tempDir('deepscan-audit-cli-');
  const k = await buildAuditCase(work);
  ({ folder, home } = k);
  dbFile = k.c.store.file;
  const json = buildCaseJson(k.c.store);
  keyFingerprint = json.case.audit.keyFingerprint!;
  jsonAnchor = join(work, 'export.json');
  writeFileSync(jsonAnchor, JSON.stringify(json, null, 2));
  pdfFile = (await generateCaseReport(k.c, { outFile: join(work, 'out', 'report.pdf'), now: () => new Date('2026-03-04T05:06:07Z'), fontsDir: null })).file;
  k.c.store.close();
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('audit anchors and reports of edited cases', () => {
  it('JSON and PDF record the chain length, head hash and key fingerprint', async () => {
    expect(keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
    const j = await readAnchor(jsonAnchor);
    const p = await readAnchor(pdfFile);
    expect(p).toMatchObject({ entries: j.entries, headHash: j.headHash, keyFingerprint });
    const text = pdftotext(pdfFile);
    expect(text).toMatch(/verified at generation/);
    expect(text).toContain(keyFingerprint);
    expect(text.replace(/\s+/g, " ")).toMatch(/this installation.s key/);
  });

  it('a PDF and JSON export of an edited database say verification FAILED and name the row', async () => {
    const home2 = join(work, 'home-edited');
    cpSync(home, home2, { recursive: true });
    const file2 = dbFile.replace(home, home2);
    const raw = new Database(file2);
    raw.exec('UPDATE face_scores SET prob = 0.0001 WHERE face_id = (SELECT f.id FROM faces f JOIN frames fr ON fr.id = f.frame_id WHERE fr.frame_index = 19 AND f.face_no = 1)');
    raw.close();
    const c = await openCase({ folder, home: home2, mustExist: true });
    try {
      expect(buildCaseJson(c.store).case.audit).toMatchObject({ ok: false, problem: expect.stringMatching(/^evidence sub\/clip\.mp4: face_scores of frame 19 face 1 differ from audit entry \d+$/) });
      const r = await generateCaseReport(c, { outFile: join(work, 'out', 'edited.pdf'), now: () => new Date('2026-03-04T05:06:07Z'), fontsDir: null });
      const text = pdftotext(r.file).replace(/\s+/g, ' ');
      expect(text).toMatch(/VERIFICATION FAILED: evidence sub\/clip\.mp4: face_scores of frame 19 face 1 differ from audit entry \d+/);
      expect(text).not.toMatch(/verified at generation/);
    } finally {
      c.store.close();
    }
  });

  it('deepscan audit verify: passes with both anchors, then names the entries cut from the tail (exit 3)', async () => {
    const env = { DEEPSCAN_HOME: home };
    const info = await runCli(['info', folder, '--json'], env);
    expect(info.code).toBe(0);
    const infoJson = join(work, 'info.json');
    writeFileSync(infoJson, info.stdout);
    const later = JSON.parse(info.stdout) as { case: { audit: { entries: number; keyFingerprint: string } } };
    expect(later.case.audit.keyFingerprint).toBe(keyFingerprint);
    const ok = await runCli(['audit', 'verify', folder, '--anchor', jsonAnchor, '--anchor', pdfFile, '--anchor', infoJson], env);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toMatch(/^Anchor .*export\.json: the log extends its \d+ entries/m);
    expect(ok.stdout).toMatch(/Audit chain verified: \d+ entries, head hash [0-9a-f]{64}, signed by key [0-9a-f]{64} \(this installation's key\)/);
    expect(ok.code).toBe(0);

    // Drop the append-only trigger and delete the last two entries (the heatmap's and the report's).
    const n = later.case.audit.entries;
    const raw = new Database(dbFile);
    raw.exec('DROP TRIGGER audit_log_no_delete');
    raw.prepare('DELETE FROM audit_log WHERE seq >= ?').run(n - 1);
    raw.close();
    const cut = await runCli(['audit', 'verify', folder, '--anchor', infoJson, '--anchor', pdfFile], env);
    expect(cut.code).toBe(3);
    expect(cut.stdout).toMatch(new RegExp(`Audit verification FAILED: entry ${n - 1} missing: the log has ${n - 2} entries`));
    expect(cut.stdout).toMatch(new RegExp(`also: entry ${n} missing: the log has ${n - 2} entries, but ${n} existed when the anchor was taken \\(anchor .*info\\.json\\)`));
    // Without an anchor the cut shows here only because entry n - 1 wrote the heatmap, whose rows remain.
    const plain = await runCli(['audit', 'verify', folder], env);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toMatch(/^Audit verification FAILED: heatmap of sub\/clip\.mp4 frame 19 face 1 \(\w+\): no audit entry records these results \(rows inserted by hand\)$/m);
    expect(readFileSync(pdfFile).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('audit verify --help documents --anchor and --trust-key', async () => {
    const h = await runCli(['audit', 'verify', '--help'], {});
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--anchor FILE/);
    expect(h.stdout).toMatch(/--trust-key/);
  });
});
