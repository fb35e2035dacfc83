/**
 * The workstation end to end, against the real engine: `deepscan serve` on a temporary case of
 * the two shared videos (B0 model imported first), driven in the system Chromium. Opens the
 * case, analyses it, opens the swapped video, steps to a flagged face, marks it fake with a
 * note, reloads (the decision is still there) and finds the decision in the audit view; compares
 * the swapped video with the original (difference masks: the swapped person differs most) and
 * exports the case report.
 * Screenshots of every view land in test/e2e/screenshots/ (git-ignored).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterSeek, buildRenderer, CHROMIUM, cli, clipped, launch, overlapping, playOn, requirePaths, ROOT, shot, startServer, VIEWPORTS } from './harness.js';

const FIXTURES = join(ROOT, '../shared/fixtures');
const VIDEOS = ['three_faces.mp4', 'three_faces_swap.mp4'].map((f) => join(FIXTURES, 'videos', f));
const CHECKPOINT = join(FIXTURES, 'checkpoints/dfdc_b0_seed7.legacy.pth');
const FRAMES = process.env.DEEPSCAN_E2E_FRAMES ?? '16';
const NOTE = 'Blending seam along the jaw line; compare with frame 0.';
const EXAMINER = 'E2E Examiner';

/** What the run needs; a missing one fails the suite by name (see requirePaths). */
const PREREQUISITES: Record<string, string> = {
  'Chromium executable (DEEPSCAN_CHROMIUM)': CHROMIUM,
  ...Object.fromEntries(VIDEOS.map((v) => [`fixture video ${v.split('/').pop()}`, v])),
  'fixture checkpoint dfdc_b0_seed7.legacy.pth': CHECKPOINT,
  'deepscan serve command (main/cli/serve.ts)': join(ROOT, 'main/cli/serve.ts'),
};

let tmp = '';
let server: ChildProcess | null = null;
let browser: Browser | null = null;
let profile = '';
let page: Page;
let url = '';
const serverLog: string[] = [];
const pageErrors: string[] = [];

function startServe(folder: string, env: NodeJS.ProcessEnv): Promise<string> {
  const started = startServer(folder, env, serverLog);
  server = started.child;
  return started.url;
}

/** Exports the case report from the Evidence view; answers the one PDF it wrote in the case workspace. */
async function exportPdf(): Promise<string> {
  await view('2', 'Evidence');
  const started = Date.now();
  await page.getByRole('button', { name: 'Export report (PDF)' }).click();
  await page.getByTestId('report-sha256').waitFor({ timeout: 60_000 });
  const reports = (readdirSync(join(tmp, 'home'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.pdf')).map((f) => join(tmp, 'home', f)).filter((f) => statSync(f).mtimeMs >= started - 1000);
  expect(reports, 'the exported PDF in the case workspace').toHaveLength(1);
  return reports[0];
}

async function view(key: string, label: string): Promise<void> {
  await page.keyboard.press(`Alt+${key}`);
  await page.locator(`main[aria-label="${label}"]`).waitFor();
}

describe('workstation end to end (deepscan serve + Chromium)', () => {
  beforeAll(async () => {
    requirePaths(PREREQUISITES);
    buildRenderer();
    tmp = mkdtempSync(join(tmpdir(), 'deepscan-e2e-'));
    const home = join(tmp, 'home');
    const folder = join(tmp, 'case-2026-0117');
    mkdirSync(home);
    mkdirSync(folder);
    for (const v of VIDEOS) copyFileSync(v, join(folder, v.split('/').pop() as string));
    const env = { ...process.env, DEEPSCAN_HOME: home };
    const imp = cli(['models', 'import', CHECKPOINT], env);
    expect(imp.status, imp.out).toBe(0);
    url = await startServe(folder, env);
    ({ browser, profile } = await launch());
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('opens the case from the served URL and lists both videos', async () => {
    await page.goto(url);
    await page.locator('main[aria-label="Evidence"]').waitFor();
    const table = page.getByRole('table');
    await table.getByText('three_faces_swap.mp4').waitFor();
    await table.getByText('three_faces.mp4', { exact: true }).waitFor();
    // The token left the address bar; the route is in the hash.
    expect(page.url()).not.toContain('token=');
    expect(page.url()).toContain('view=evidence');
    await shot(page, '02-evidence-before');
  });

  it('runs the analysis to completion with per-item progress', async () => {
    await page.getByLabel('Frames per video').fill(FRAMES);
    await page.getByRole('button', { name: 'Start analysis' }).click();
    // The first writing action asks who the examiner is (the case has none yet), once.
    const dialog = page.getByRole('dialog', { name: 'Who is reviewing?' });
    await dialog.waitFor();
    await dialog.getByLabel('Examiner name').fill(EXAMINER);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Cancel analysis' }).waitFor();
    // Per-item progress with the stage, while the item runs.
    await page.locator('td.c-status', { hasText: 'Detecting and scoring faces' }).first().waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('analysis-timing').textContent(), { timeout: 30_000 }).toMatch(/elapsed/);
    await shot(page, '02-evidence-running');
    await page.getByText(/Analysis complete/).waitFor({ timeout: 12 * 60_000 });
    // Scores appear once the list is re-read.
    await page.getByRole('button', { name: 'Open three_faces_swap.mp4' }).waitFor();
    await page.locator('td.c-score .score').nth(1).waitFor();
    await shot(page, '02-evidence-analysed');
  });

  it('opens the swapped video, steps to a flagged face and marks it fake with a note', async () => {
    await page.getByRole('button', { name: 'Open three_faces_swap.mp4' }).click();
    await page.locator('main[aria-label="Video"]').waitFor();
    await page.locator('.stage img').waitFor();
    await page.locator('figure.plot > svg').waitFor();
    await page.waitForTimeout(1500); // crops stream in
    await shot(page, '03-video');
    await page.locator('main').evaluate((m) => m.scrollTo(0, m.scrollHeight));
    await shot(page, '03-video-strip');
    await page.locator('main').evaluate((m) => m.scrollTo(0, 0));

    // Focus follows the opened item: the video's heading, not the page body.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.getByText(/holds the highest-scoring face/).waitFor();

    await page.getByRole('button', { name: /Next flagged face/ }).click();
    await page.getByRole('button', { name: /Open face/ }).waitFor();
    await shot(page, '03-video-flagged-face');
    await page.getByRole('button', { name: /Open face/ }).click();
    await page.locator('main[aria-label="Face"]').waitFor();
    await page.locator('.viewport img').waitFor();

    // N opens the note; the examiner was named at the analysis, so nothing is asked again.
    await page.locator('body').press('n');
    const note = page.getByLabel(/^Note/);
    await note.fill(NOTE);
    await note.press('Enter');
    await page.getByText(NOTE).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.locator('body').press('f');
    await page.getByText('Examiner: fake').waitFor();
    await page.getByText(`by ${EXAMINER}`).waitFor();
    await shot(page, '04-face-decided');
  });

  it('keeps the decision across a reload', async () => {
    const before = page.url();
    expect(before).toContain('view=face');
    await page.reload();
    await page.locator('main[aria-label="Face"]').waitFor();
    await page.getByText('Examiner: fake').waitFor();
    await page.getByText(NOTE).waitFor();
    expect(page.url()).toBe(before);
    await shot(page, '04-face-after-reload');
  });

  it('shows the decision in the review queue and walks it from the keyboard', async () => {
    await view('5', 'Review');
    const queue = page.getByRole('table');
    await queue.locator('tr[data-row]').first().waitFor();
    await page.waitForTimeout(800); // thumbnails
    await shot(page, '05-review');
    // J moves the cursor down, K back up.
    const first = await page.locator('tr.current').getAttribute('data-row');
    await page.locator('body').press('j');
    await expect.poll(() => page.locator('tr.current').getAttribute('data-row')).not.toBe(first);
    await page.locator('body').press('k');
    await expect.poll(() => page.locator('tr.current').getAttribute('data-row')).toBe(first);
    // Only the rows in view are rendered, so the decided face is brought up with the decision
    // filter (several values may be ticked; here one).
    const decisionFilter = async (tick: boolean) => {
      await page.locator('summary', { hasText: 'Decision:' }).click();
      await page.getByRole('checkbox', { name: 'Fake' }).setChecked(tick);
      await page.locator('summary', { hasText: 'Decision:' }).click();
    };
    await decisionFilter(true);
    await queue.locator('td.dec', { hasText: 'Fake' }).first().waitFor();
    await queue.locator('td.dec', { hasText: 'Decided' }).first().waitFor();
    // Undo the last decision (the engine records the undo as a new audited entry): no face reads
    // Fake, and the face, which keeps its note, reads "Needs a decision" rather than "Not reviewed".
    await page.getByRole('button', { name: 'Undo last decision' }).click();
    await expect.poll(() => page.locator('td.dec', { hasText: 'Fake' }).count()).toBe(0);
    await queue.locator('td.dec', { hasText: 'Needs a decision' }).first().waitFor();
    await decisionFilter(false);
    await expect.poll(() => queue.locator('tr[data-row]').count()).toBeGreaterThan(1);
  });

  it('lists the decision in the audit log, with the chain verified', async () => {
    await view('7', 'Audit');
    await page.getByText('Chain verified').waitFor();
    const rows = page.locator('tbody tr', { hasText: 'review' });
    await rows.first().waitFor();
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toContain(EXAMINER);
    expect(text).toContain('fake');
    expect(text).toContain(NOTE);
    await shot(page, '07-audit');
  });

  it('names the decided face identically in the Face view, the audit view and the PDF', async () => {
    // The face marked fake above: its review entry names it with common/format.ts faceLabel.
    await view('7', 'Audit');
    const entry = page.locator('tbody tr', { hasText: 'Marked fake' }).first();
    await entry.waitFor();
    expect(await entry.textContent()).toContain('three_faces_swap.mp4');
    const label = (await entry.locator('[data-face-label]').textContent())?.trim() ?? '';
    expect(label).toMatch(/^Person \d+ · frame \d+ of \d+ \(index \d+\) · face \d+$/);
    // The Face view still shows that face (walking the review queue does not change the selection).
    await view('4', 'Face');
    await expect.poll(async () => (await page.locator('#face-title').textContent())?.trim()).toBe(label);
    // The PDF (its audit summary and its face captions) names it the same way.
    const report = await exportPdf();
    const pdf = spawnSync('pdftotext', [report, '-'], { encoding: 'utf8' });
    expect(pdf.status, pdf.stderr).toBe(0);
    expect(pdf.stdout.replace(/\s+/g, ' ')).toContain(label);
    // Leave the export step below its own, fresh result.
    await page.getByRole('button', { name: 'Dismiss report result' }).click();
  });

  it('compares the swapped video with the original and shows the swapped face\'s difference mask', async () => {
    await view('3', 'Video');
    await page.locator('h1', { hasText: 'three_faces_swap.mp4' }).waitFor();
    await page.getByRole('button', { name: 'Compare with known original…' }).click();
    await page.locator('#cmp-ref').selectOption({ label: 'three_faces.mp4' });
    await page.locator('#cmp-offset').fill('0');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const summary = page.getByRole('status', { name: 'Comparison summary' });
    await summary.waitFor({ timeout: 150_000 });
    expect(Number(await summary.locator('.energy').textContent())).toBeGreaterThan(0);
    await summary.locator('.energy').scrollIntoViewIfNeeded();
    await shot(page, '08-video-compared');

    // Faces of the current frame, left to right: the middle person is the swapped one.
    const energyOf = async (which: 'middle' | 'left'): Promise<number> => {
      await view('3', 'Video');
      const faces = page.locator('.stage g.face');
      await faces.first().waitFor();
      const boxes = await faces.evaluateAll((gs) => gs.map((g) => g.getBoundingClientRect()).map((r) => r.x + r.width / 2));
      expect(boxes.length).toBe(3);
      const order = boxes.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
      // (The frame's SVG takes the pointer over a face's box; a click event selects it as a click would.)
      await faces.nth(order[which === 'middle' ? 1 : 0].i).dispatchEvent('click');
      await page.getByRole('button', { name: /Open face/ }).click();
      await page.locator('main[aria-label="Face"]').waitFor();
      const energy = page.locator('[data-overlay="mask"] .energy');
      await energy.waitFor();
      await page.locator('.viewport .overlay-slot .mask').waitFor();
      return Number(await energy.textContent());
    };
    const other = await energyOf('left');
    const swapped = await energyOf('middle');
    await page.getByText('Difference mask', { exact: true }).waitFor();
    await page.getByText(/Compare this video with a known original/).waitFor({ state: 'detached' });
    await page.waitForTimeout(500); // crop and mask images decode
    await shot(page, '08-face-mask');
    expect(swapped).toBeGreaterThan(other);
  });

  it('carries the comparison into the per-person table, the review filter and the PDF', async () => {
    // Per-person table: one energy per person; the swapped person's stands out.
    await view('3', 'Video');
    await page.locator('h1', { hasText: 'three_faces_swap.mp4' }).waitFor();
    const cells = page.locator('td[data-energy]');
    await cells.first().waitFor();
    const rows = await cells.evaluateAll((tds) => tds.map((td) => ({ track: Number(td.getAttribute('data-energy')), energy: Number(td.textContent) })));
    expect(rows.length).toBe(3);
    const byEnergy = [...rows].sort((a, b) => b.energy - a.energy);
    expect(byEnergy[0].energy).toBeGreaterThan(2 * byEnergy[1].energy);
    const swappedPerson = `Person ${byEnergy[0].track + 1}`;

    // Review queue filtered by energy: only the swapped person's faces of the suspect video remain.
    await view('5', 'Review');
    const queue = page.getByRole('table');
    const energyInput = page.getByLabel('Minimum difference energy');
    await energyInput.fill(((byEnergy[0].energy + byEnergy[1].energy) / 2).toFixed(3));
    await energyInput.press('Enter');
    let seen = '';
    const filtered = expect.poll(async () => {
      const people = await queue.locator('tr[data-row] td.c-person').allTextContents();
      const paths = await queue.locator('tr[data-row] td.path').allTextContents();
      seen = JSON.stringify({ swappedPerson, rows, people: people.slice(0, 6), paths: paths.slice(0, 6), count: people.length });
      return people.length > 0 && people.every((t) => t.includes(swappedPerson)) && paths.every((t) => t === 'three_faces_swap.mp4');
    }, { timeout: 30_000 }).toBe(true);
    await filtered.catch((e: unknown) => {
      throw new Error(`the energy-filtered queue shows other faces: ${seen}`, { cause: e });
    });
    await shot(page, '05-review-energy-filter');
    await energyInput.fill('');
    await energyInput.press('Enter');

    // The PDF: the comparison section with the original's hash, the swapped person first, and its masks.
    const report = await exportPdf();
    const text = spawnSync('pdftotext', [report, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    const originalSha = createHash('sha256').update(readFileSync(VIDEOS[0])).digest('hex');
    expect(text).toContain('Comparison with a known original');
    expect(text).toContain(originalSha);
    // The per-person energy table lists the swapped person first (highest energy first).
    const lines = spawnSync('pdftotext', ['-layout', report, '-'], { encoding: 'utf8' }).stdout.split('\n');
    const head = lines.findIndex((l) => /Person\s+Energy \(mean\)/.test(l));
    expect(head, 'the per-person energy table in the PDF').toBeGreaterThan(0);
    expect(lines.slice(head + 1).find((l) => l.trim() !== '')?.trim().startsWith(swappedPerson)).toBe(true);
    // The crops and masks with the highest energy follow, with a colour scale.
    const masks = text.indexOf('Highest-energy faces (per person), with their difference masks');
    expect(masks, 'the PDF lists the highest-energy faces with their masks').toBeGreaterThan(0);
    expect(text.slice(masks)).toContain(`${swappedPerson} · frame`);
    await page.getByRole('button', { name: 'Dismiss report result' }).click();
  });

  it('plays the evidence itself: seeking to a sampled frame, then playing on from there', async () => {
    await view('3', 'Video');
    const player = page.getByLabel('Evidence playback');
    await player.scrollIntoViewIfNeeded();
    const markers = page.getByRole('button', { name: /^Seek to sampled frame/ });
    expect(await markers.count()).toBe(Number(FRAMES));
    // Choosing sampled frame 4 on the markers seeks the <video> to that frame's timestamp.
    await markers.nth(3).dispatchEvent('click');
    await page.locator('span.pos', { hasText: /^Sampled frame 4 of / }).waitFor();
    const target = await afterSeek(page);
    expect(target.err, 'the browser could not play the evidence').toBeNull();
    expect(target.t).toBeGreaterThan(0);
    // On a sampled frame the detected face boxes are drawn over the video.
    await page.locator('svg.boxes[data-frame] rect').first().waitFor();
    // Playing moves on from there (read over HTTP range requests from the evidence file).
    const reached = await playOn(page, target.t);
    expect(reached).toBeGreaterThan(target.t + 0.5);
    await shot(page, '03-video-playback');
  });

  it('exports the case report and shows its SHA-256', async () => {
    await view('2', 'Evidence');
    await page.getByRole('button', { name: 'Export report (PDF)' }).click();
    const sha = page.getByTestId('report-sha256');
    await sha.waitFor({ timeout: 60_000 });
    expect(await sha.textContent()).toMatch(/^[0-9a-f]{64}$/);
    await page.getByText(/\.pdf$/).first().waitFor();
    await shot(page, '09-report-exported');
    // Download through the UI (a report link, not a path): the bytes hash to the SHA-256 shown.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^deepscan-report-[A-Za-z0-9._-]+-\d{4}-\d{2}-\d{2}\.pdf$/);
    const saved = await download.path();
    const bytes = readFileSync(saved);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(await sha.textContent());
  });

  it('shows the installed model and the cases list', async () => {
    await view('6', 'Models');
    await page.getByText('dfdc_b0_seed7.legacy.pth').waitFor();
    await page.getByText(/was analysed with/).waitFor();
    await shot(page, '06-models');
    await view('1', 'Cases');
    await page.getByText('Recent cases').waitFor();
    await page.locator('li.open').waitFor();
    await shot(page, '01-cases');
  });

  it('lays every view out at 1440×900 and 1024×700 without clipping or overlap, with a skip link first', async () => {
    const views: [string, string][] = [['1', 'Cases'], ['2', 'Evidence'], ['3', 'Video'], ['4', 'Face'], ['5', 'Review'], ['6', 'Models'], ['7', 'Audit']];
    const problems: string[] = [];
    // A face selected, so that the Face view is available.
    await view('3', 'Video');
    await page.getByRole('button', { name: /Next flagged face/ }).click();
    await page.getByRole('button', { name: /Open face/ }).waitFor();
    for (const vp of VIEWPORTS) {
      await page.setViewportSize(vp);
      for (const [k, label] of views) {
        await view(k, label);
        await page.waitForTimeout(400);
        await shot(page, `10-${k}-${label.toLowerCase()}-${vp.width}x${vp.height}`);
        for (const c of await clipped(page)) problems.push(`${label} at ${vp.width}×${vp.height}: ${c}`);
        // The Review card's rows (crop, facts, note, frame) must not run into each other.
        if (label === 'Review') for (const o of await overlapping(page, 'section.current-card')) problems.push(`${label} at ${vp.width}×${vp.height}: ${o}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
    // The first Tab stop skips the header and navigation into the view.
    // (Focusing the body first moves the Tab starting point to the top of the document.)
    await page.evaluate(() => {
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute('tabindex');
    });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('content');
    await page.setViewportSize(VIEWPORTS[0]);
  });

  it('renders the video and review views in the dark theme', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await view('3', 'Video');
    await page.locator('.stage img').waitFor();
    await page.waitForTimeout(800);
    await shot(page, '03-video-dark');
    await view('5', 'Review');
    await page.waitForTimeout(500);
    await shot(page, '05-review-dark');
    await view('2', 'Evidence');
    await shot(page, '02-evidence-dark');
    await page.getByLabel('Theme').selectOption('system');
    expect(pageErrors, pageErrors.join('\n')).toEqual([]);
  });
});
