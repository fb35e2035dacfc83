import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase, type OpenedCase } from '../../main/engine/case/open-case.js';
import { importModel } from '../../main/engine/classify/model-store.js';
import { analyzeCase } from '../../main/engine/pipeline/analyze-case.js';
import { formatScore, generateCaseReport, type CaseReportResult } from '../../main/engine/report/pdf/index.js';
import { readAudit, verifyAuditChain } from '../../main/engine/store/audit.js';
import { addReview } from '../../main/engine/store/reviews.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, tempDir } from '../helpers/paths.js';

/**
 * The court-ready PDF report on a real case: both shared videos analysed by the real engine
 * (one under a Unicode path), one examiner decision recorded, then the report generated and
 * read back with poppler (pdftotext, pdftoppm).
 */
const SWAP_PATH = 'Überwachung – Kamera 3/Ausschnitt 1.mp4';
const NOTE = 'Blending seam along the jaw line; skin tone differs from the neck — überprüfen.';
const CLOCK = new Date('2026-03-04T05:06:07.890Z');

let work: string;
let folder: string;
let home: string;
let c: OpenedCase;
let report: CaseReportResult;
let pdf: Buffer;
let text: string;
let headBefore: string;
let expected: { path: string; sha256: string; score: number }[];

function pdftotext(file: string): string {
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

beforeAll(async () => {
  work = tempDir('deepscan-report-');
  folder = join(work, 'evidence');
  home = join(work, 'home');
  mkdirSync(join(folder, 'Überwachung – Kamera 3'), { recursive: true });
  copyFileSync(FIXTURE_VIDEO, join(folder, 'three_faces.mp4'));
  copyFileSync(FIXTURE_SWAP_VIDEO, join(folder, ...SWAP_PATH.split('/')));
  await importModel(home, join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth'));
  c = await openCase({ folder, home, name: 'Operation Glasshaus', number: '2026-0417', examiner: 'E. Examiner' });
  const summary = await analyzeCase(c, { ep: 'cpu' });
  expect(summary.status).toBe('completed');
  // One examiner decision, as the review store (store/reviews.ts) records it: a row plus its audit entry.
  const swap = c.store.getEvidenceByPath(SWAP_PATH)!;
  const analysis = c.store.getAnalysis(swap.id)!;
  const face = c.store.prepare(
    `SELECT fr.frame_index, f.face_no, AVG(s.prob) AS p FROM faces f JOIN frames fr ON fr.id = f.frame_id JOIN face_scores s ON s.face_id = f.id
      WHERE f.evidence_id = ? GROUP BY f.id ORDER BY p DESC, fr.sample_no, f.face_no LIMIT 1`,
  ).get(swap.id) as { frame_index: number; face_no: number };
  // Through the review store: a row written by hand would have no audit digest and fail verification.
  const review = addReview(c.store, { evidenceId: swap.id, frameIndex: face.frame_index, faceNo: face.face_no, decision: 'fake', category: 1, note: NOTE, examiner: 'E. Examiner' }, '2026-03-04T05:00:00.000Z');
  expect(review.facesKey).toBe(analysis.facesKey);
  expected = c.store.listEvidence().map((e) => ({ path: e.relPath, sha256: e.sha256!, score: c.store.getAnalysis(e.id)!.score! }));
  c.store.close();
  // Two copies of the case as it is now, for the determinism check.
  cpSync(home, join(work, 'home-copy'), { recursive: true });
  cpSync(home, join(work, 'home-copy2'), { recursive: true });
  c = await openCase({ folder, home, mustExist: true });
  headBefore = verifyAuditChain(c.store.db).headHash;
  const t = performance.now();
  report = await generateCaseReport(c, { outFile: join(work, 'out', 'report.pdf'), examiner: 'E. Examiner', now: () => CLOCK });
  console.log(`report: ${report.pages} pages, ${(statSync(report.file).size / 1024).toFixed(0)} KiB in ${(performance.now() - t).toFixed(0)} ms`);
  pdf = readFileSync(report.file);
  text = pdftotext(report.file);
}, 600_000);

afterAll(() => {
  c?.store.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('PDF case report', () => {
  it('shows both evidence hashes, the scores as stored, the reviewer note and the audit head', () => {
    expect(expected).toHaveLength(2);
    for (const e of expected) {
      expect(text).toContain(e.sha256);
      expect(text).toContain(formatScore(e.score));
    }
    expect(text).toContain('Überwachung – Kamera 3/');
    expect(text).toMatch(/verified at generation/);
    expect(text).not.toMatch(/VERIFICATION FAILED/);
    expect(text.replace(/\s+/g, ' ')).toContain(NOTE);
    expect(text).toContain(headBefore);
    expect(text).toContain('2026-03-04 05:06:07 UTC');
    expect(text).toContain('Very strong indication of manipulation');
    expect(text).toMatch(/Confident-fake rule fired|Neither confident rule applied|Confident-real rule fired/);
    // The method names every detector net and the model by their hashes.
    const run = JSON.parse(c.store.prepare('SELECT params FROM runs ORDER BY id DESC LIMIT 1').pluck().get() as string) as { detector: { nets: Record<string, string> }; modelOnnxSha256: Record<string, string> };
    for (const sha of [...Object.values(run.detector.nets), ...Object.values(run.modelOnnxSha256)]) expect(text).toContain(sha);
    expect(text).toContain('dfdc_b0_seed7.legacy.pth');
  });

  it('numbers every page "Page X of Y" with the case id in the footer, within a sane page count', () => {
    expect(report.pages).toBeGreaterThanOrEqual(5);
    expect(report.pages).toBeLessThanOrEqual(20);
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages).toHaveLength(report.pages);
    pages.forEach((p, i) => {
      expect(p).toContain(`Page ${i + 1} of ${report.pages}`);
      expect(p).toContain(`Case ${c.info.id}`);
    });
  });

  it('renders every page and embeds the face crops as images', () => {
    const dir = join(work, 'png');
    mkdirSync(dir);
    execFileSync('pdftoppm', ['-r', '50', '-png', report.file, join(dir, 'p')]);
    const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'));
    expect(pngs).toHaveLength(report.pages);
    for (const f of pngs) expect(statSync(join(dir, f)).size).toBeGreaterThan(1000);
    const images = pdf.toString('latin1').match(/\/Subtype \/Image/g) ?? [];
    expect(images.length).toBeGreaterThanOrEqual(12);
  });

  it('records its own SHA-256 as the last audit entry, and the chain still verifies', () => {
    const sha = createHash('sha256').update(pdf).digest('hex');
    expect(report.sha256).toBe(sha);
    const last = readAudit(c.store.db).pop()!;
    expect(last.action).toBe('report-generated');
    expect(last.prevHash).toBe(headBefore);
    expect(last.details).toMatchObject({ file: 'report.pdf', sha256: sha, pages: report.pages, integrity: { verified: 2, changed: 0, missing: 0 } });
    expect(verifyAuditChain(c.store.db).ok).toBe(true);
  });

  it('gives the same bytes for the same case state and clock; another clock changes only the timestamp', async () => {
    const copies: Buffer[] = [];
    for (const [h, clock] of [['home-copy', CLOCK], ['home-copy2', new Date('2027-01-01T00:00:00Z')]] as const) {
      const other = await openCase({ folder, home: join(work, h), mustExist: true });
      try {
        const r = await generateCaseReport(other, { outFile: join(work, 'out', `${h}.pdf`), examiner: 'E. Examiner', now: () => clock });
        copies.push(readFileSync(r.file));
      } finally {
        other.store.close();
      }
    }
    expect(Buffer.compare(copies[0], pdf)).toBe(0);
    expect(Buffer.compare(copies[1], pdf)).not.toBe(0);
    const norm = (s: string) => s.replaceAll('2027-01-01 00:00:00 UTC', 'T').replaceAll('2026-03-04 05:06:07 UTC', 'T');
    expect(norm(pdftotext(join(work, 'out', 'home-copy2.pdf')))).toBe(norm(text));
  });

  it('re-verifies integrity at report time: a changed file is reported as CHANGED', async () => {
    const copy = join(work, 'home-copy');
    const other = await openCase({ folder, home: copy, mustExist: true });
    const target = join(folder, 'three_faces.mp4');
    const original = readFileSync(target);
    try {
      // Append one byte to the evidence (in this test's own temporary copy), then restore it.
      execFileSync('sh', ['-c', 'printf x >> "$1"', 'sh', target]);
      const r = await generateCaseReport(other, { outFile: join(work, 'out', 'changed.pdf'), now: () => CLOCK });
      const out = pdftotext(r.file);
      expect(out).toMatch(/CHANGED/);
      expect(out).toMatch(/Integrity warning/);
      expect(readAudit(other.store.db).pop()!.details).toMatchObject({ integrity: { verified: 1, changed: 1 } });
    } finally {
      other.store.close();
      const { writeFileSync } = await import('node:fs');
      writeFileSync(target, original);
    }
  });

  it('deepscan report: writes the PDF, refuses the evidence folder and a missing --pdf', async () => {
    const env = { DEEPSCAN_HOME: home };
    const ok = await runCli(['report', folder, '--pdf', join(work, 'out', 'cli.pdf'), '--examiner', 'Dr. Zweit'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const sha = createHash('sha256').update(readFileSync(join(work, 'out', 'cli.pdf'))).digest('hex');
    expect(ok.stdout).toContain(sha);
    expect(ok.stdout).toMatch(/report-generated/);
    const inside = await runCli(['report', folder, '--pdf', join(folder, 'report.pdf')], env);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/inside the evidence folder/);
    expect(readdirSync(folder).sort()).toEqual(['three_faces.mp4', 'Überwachung – Kamera 3'].sort());
    const usage = await runCli(['report', folder], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--pdf/);
  });
});
