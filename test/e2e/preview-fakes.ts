/**
 * Design preview against the renderer's fake client (no engine): every view, light and dark,
 * into test/e2e/screenshots/fake-*.png. Run: npx tsx test/e2e/preview-fakes.ts
 * The fake lives in Node; the page reaches it through an exposed function.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysedFake, heatmapOverlay, maskOverlay, row, videoDetail } from '../../renderer/src/lib/test-fakes.js';
import { buildRenderer, clipped, launch, ROOT, serveStatic, shot, VIEWPORTS } from './harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'deepscan-preview-'));
const video = join(ROOT, '../shared/fixtures/videos/three_faces_swap.mp4');
const frameJpg = join(tmp, 'frame.jpg');
const cropPng = join(tmp, 'crop.png');
execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-ss', '1', '-i', video, '-frames:v', '1', '-vf', 'scale=1280:720', frameJpg]);
execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', frameJpg, '-vf', 'crop=300:360:720:140', cropPng]);
const FRAME = `data:image/jpeg;base64,${readFileSync(frameJpg).toString('base64')}`;
const CROP = `data:image/png;base64,${readFileSync(cropPng).toString('base64')}`;

const api = analysedFake(
  {
    getFramePreview: async () => ({ ok: true, value: FRAME }),
    getFaceCrop: async () => ({ ok: true, value: CROP }),
  },
  false,
);
api.rows.push(row({ id: 4, path: 'clips/street/cam2_0412.mp4', status: 'analyzed', integrity: 'ok', durationSec: 64, sampledFrames: 8, faces: 16, score: 0.12 }));
api.videos.set(4, { ...videoDetail(api.rows[3]), score: 0.12, models: videoDetail().models.map((m) => ({ ...m, value: 0.12, branch: 'confident-real' as const })) });

// Overlays for the first video: difference masks everywhere, attention maps for person 2.
for (const fr of api.videos.get(1)?.frames ?? [])
  for (const f of fr.faces) api.overlays.set(f.id, { mask: maskOverlay(f, f.track === 1 ? 0.41 : 0.04), heatmap: f.track === 1 ? heatmapOverlay() : null });

if (!process.argv.includes('--no-build')) buildRenderer();
const { url, server } = await serveStatic();
const { browser, profile } = await launch();
try {
  const problems: string[] = [];
  for (const [theme, viewport] of [['light', VIEWPORTS[0]], ['dark', VIEWPORTS[0]], ['light', VIEWPORTS[1]]] as const) {
    const ctx = await browser.newContext({ viewport, colorScheme: theme, bypassCSP: true });
    const size = viewport.width === 1440 ? '' : `-${viewport.width}`;
    const check = async (name: string) => {
      for (const c of await clipped(page)) problems.push(`${name}${size}: ${c}`);
    };
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('pageerror', e));
    page.on('console', (m) => m.type() === 'error' && console.error('console', m.text()));
    await page.exposeFunction('__fake', async (op: string, args: unknown[]) => {
      const f = (api as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
      return f(...args);
    });
    // A string, not a function: tsx's helpers must not leak into the page.
    await page.addInitScript(`
      const ops = ['openCase','listEvidence','startAnalysis','cancelAnalysis','getCase','listRecentCases','getVideo','getFramePreview','getFaceCrop','getReviewQueue','submitReview','listModels','importModel','getAudit','getFaceOverlays','computeHeatmap','compareVideos','exportReport'];
      const client = {};
      for (const op of ops) client[op] = (...args) => window.__fake(op, args);
      client.onTaskEvent = () => () => {};
      window.deepscan = client;
    `);
    await page.goto(url);
    await page.waitForSelector('text=Recent cases');
    await page.waitForTimeout(200);
    await shot(page, `fake-${theme}${size}-1-cases`);
    await check('1-cases');
    await page.getByRole('button', { name: 'Open case Harbour fraud' }).click();
    await page.waitForSelector('text=loading…', { state: 'detached' }).catch(() => {});
    await page.waitForTimeout(300);
    await shot(page, `fake-${theme}${size}-2-evidence`);
    await check('2-evidence');
    await page.getByRole('button', { name: 'Open clips/interview.mp4' }).click();
    await page.waitForSelector('figure.plot');
    await page.waitForTimeout(600);
    await shot(page, `fake-${theme}${size}-3-video`);
    await check('3-video');
    await shot(page, `fake-${theme}${size}-3-video-full`, true);
    await page.getByRole('button', { name: /Next flagged face/ }).click();
    await page.getByRole('button', { name: /Open face/ }).click();
    await page.waitForTimeout(400);
    await shot(page, `fake-${theme}${size}-4-face`);
    await check('4-face');
    await page.keyboard.press('Alt+5');
    await page.waitForTimeout(500);
    await shot(page, `fake-${theme}${size}-5-review`);
    await check('5-review');
    await page.keyboard.press('Alt+6');
    await page.waitForTimeout(300);
    await shot(page, `fake-${theme}${size}-6-models`);
    await check('6-models');
    await page.keyboard.press('Alt+7');
    await page.waitForTimeout(300);
    await shot(page, `fake-${theme}${size}-7-audit`);
    await check('7-audit');
    await ctx.close();
  }
  console.log(problems.length ? `clipped:\n${problems.join('\n')}` : 'nothing clipped');
} finally {
  await browser.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}
console.log('screenshots written');
