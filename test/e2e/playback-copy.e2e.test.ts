/**
 * Playback of a codec the browser cannot play (issue 13, item 5), end to end: an MPEG-4 Part 2
 * AVI made from the shared clip, analysed faces-only by the CLI, opened in `deepscan serve` in
 * Debian's Chromium. The <video> fails on the evidence itself; "Make a playback copy" transcodes
 * it into the case workspace; the copy plays, labelled as a copy, seeks to a sampled frame and
 * plays on; the evidence folder is byte-for-byte unchanged.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFolder } from '../helpers/folder-snapshot.js';
import { afterSeek, buildRenderer, CHROMIUM, cli, launch, playOn, requirePaths, ROOT, shot, startServer, stopServer } from './harness.js';

const SOURCE = join(ROOT, '../shared/fixtures/videos/three_faces.mp4');
const EXAMINER = 'E2E Examiner';

let tmp = '';
let folder = '';
let server: ChildProcess | null = null;
let browser: Browser | null = null;
let profile = '';
let page: Page;
let url = '';
let before: Record<string, string> = {};
const log: string[] = [];

describe('playback copy (deepscan serve + Chromium)', () => {
  beforeAll(async () => {
    requirePaths({ 'Chromium executable (DEEPSCAN_CHROMIUM)': CHROMIUM, 'fixture video three_faces.mp4': SOURCE });
    buildRenderer();
    tmp = mkdtempSync(join(tmpdir(), 'deepscan-e2e-copy-'));
    const home = join(tmp, 'home');
    folder = join(tmp, 'case-copy');
    mkdirSync(home);
    mkdirSync(folder);
    // MPEG-4 Part 2 in AVI: decodable by ffmpeg (so analysable), not by Chromium's media stack.
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', SOURCE, '-t', '4', '-vf', 'scale=640:-2', '-an', '-c:v', 'mpeg4', '-q:v', '4', join(folder, 'interview.avi')]);
    const env = { ...process.env, DEEPSCAN_HOME: home };
    const r = cli(['analyze', folder, '--no-models', '--frames', '4', '--examiner', EXAMINER], env);
    expect(r.status, r.out).toBe(0);
    before = snapshotFolder(folder);
    const started = startServer(folder, env, log);
    server = started.child;
    url = await started.url;
    ({ browser, profile } = await launch());
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(60_000);
  });

  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('fails on the evidence itself, makes a copy on request and plays it, labelled as a copy', async () => {
    await page.goto(url);
    await page.locator('main[aria-label="Evidence"]').waitFor();
    await page.getByRole('button', { name: 'Open interview.avi' }).click();
    await page.locator('main[aria-label="Video"]').waitFor();
    const player = page.getByLabel('Evidence playback');
    await player.scrollIntoViewIfNeeded();
    expect(await player.getAttribute('src')).toMatch(/\/api\/evidence\//);
    // Chromium cannot decode MPEG-4 Part 2: the player says so and offers a copy.
    await page.getByText(/cannot play the codec of this file/).waitFor({ timeout: 30_000 });
    // A second subscriber to the host's event stream records the copy's progress as the page gets it.
    const token = new URL(url).searchParams.get('token');
    expect(token, 'the start URL carries the session token').toBeTruthy();
    await page.evaluate((t) => {
      const seen: unknown[] = [];
      (window as unknown as { copyEvents: unknown[] }).copyEvents = seen;
      new EventSource(`/api/events?token=${encodeURIComponent(t)}`).onmessage = (m) => {
        const e = JSON.parse(String(m.data)) as { type: string };
        if (e.type === 'copy-progress') seen.push(e);
      };
    }, token!);
    await page.getByRole('button', { name: 'Make a playback copy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Who is reviewing?' });
    const label = page.getByTestId('playback-copy-label');
    await Promise.race([dialog.waitFor(), label.waitFor({ timeout: 120_000 })]);
    if (await dialog.isVisible()) {
      await dialog.getByLabel('Examiner name').fill(EXAMINER);
      await dialog.getByRole('button', { name: 'Continue' }).click();
    }
    await label.waitFor({ timeout: 120_000 });
    expect(await label.textContent()).toMatch(/Playing a playback copy, not the evidence file/);
    const progress = (await page.evaluate(() => (window as unknown as { copyEvents: unknown[] }).copyEvents)) as { taskId: null; stage: string; fraction: number }[];
    expect(progress[0]).toMatchObject({ taskId: null, stage: 'verify', fraction: 0 });
    expect(progress.at(-1)).toMatchObject({ taskId: null, stage: 'transcode', fraction: 1 });
    expect(await player.getAttribute('src')).toMatch(/\/api\/playback-copy\//);

    // The copy plays: seek to sampled frame 3's timestamp, then play on from there.
    const markers = page.getByRole('button', { name: /^Seek to sampled frame/ });
    expect(await markers.count()).toBe(4);
    await markers.nth(2).dispatchEvent('click');
    const state = await afterSeek(page);
    expect(state.err, 'the browser could not play the playback copy').toBeNull();
    expect(state.t).toBeGreaterThan(0);
    const reached = await playOn(page, state.t);
    expect(reached).toBeGreaterThan(state.t + 0.5);
    await shot(page, '11-video-playback-copy');
  });

  it('left the evidence folder exactly as it was, and recorded the copy in the audit log', async () => {
    expect(snapshotFolder(folder)).toEqual(before);
    await page.keyboard.press('Alt+7');
    await page.locator('main[aria-label="Audit"]').waitFor();
    await page.getByText(/playback-copy-made|Playback copy made/i).first().waitFor({ timeout: 30_000 });
  });
});
