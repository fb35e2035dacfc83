/**
 * Review at scale in a real browser (issue 13): a queue of 5,000 flagged faces in Debian's
 * Chromium, the renderer built as shipped, against the renderer's fake client (no engine: the
 * engine's side of large cases is tested in Node). jsdom has no layout, so what only a browser
 * can show is checked here: the rows the virtual window renders sit exactly where the full list
 * would put them (spacers and measured row height agree with the real CSS) at the top, the
 * middle and the end of the queue; the DOM stays bounded; and Home/End/arrows reach rows far
 * outside the window, focused and not hidden under the sticky header. The same for the Video
 * view's face strip (2,500 faces per person, windowed horizontally).
 */
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_OPERATIONS } from '../../common/operations.js';
import { ok } from '../../common/result.js';
import { analysedFake, stretchVideo, SUMMARY, type FakeApi } from '../../renderer/src/lib/test-fakes.js';
import { buildRenderer, CHROMIUM, launch, requirePaths, serveStatic, shot } from './harness.js';

const FACES = 5000;
/** A 1×1 PNG: every row gets a thumbnail, as in a real case (the crops' content is not under test). */
const CROP = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The fake's analysed video stretched to FACES / 2 sampled frames of two people, every face flagged, scores distinct. */
function bigFake(): FakeApi {
  const api = analysedFake({ getFaceCrop: async () => ok(CROP) }, false);
  stretchVideo(api, FACES / 2, (n) => 0.99 - (n * 0.49) / FACES);
  return api;
}

interface Geometry {
  rowCount: string | null;
  domRows: number;
  rowHeight: number;
  /** Rendered rows whose top is not where row index × height (below the header) puts it. */
  misplaced: string[];
  /** data-row indices of the rows inside the scroll area's visible part. */
  visible: number[];
  scrollHeight: number;
  expectedHeight: number;
}

/** Measures the queue's rendered rows against the positions of the full list. */
function geometry(page: Page): Promise<Geometry> {
  return page.evaluate(() => {
    const area = document.querySelector<HTMLElement>('main[aria-label="Review"] .scroll-area')!;
    const table = area.querySelector('table')!;
    const head = table.querySelector('thead')!.getBoundingClientRect();
    const rows = [...table.querySelectorAll<HTMLElement>('tr[data-row]')];
    const tableTop = table.getBoundingClientRect().top;
    const h = rows[0].getBoundingClientRect().height;
    const misplaced: string[] = [];
    for (const r of rows) {
      const i = Number(r.dataset.row);
      const top = r.getBoundingClientRect().top - tableTop;
      const want = head.height + i * h;
      if (Math.abs(top - want) > 1) misplaced.push(`row ${i}: top ${top.toFixed(1)} px, expected ${want.toFixed(1)}`);
      if (r.getAttribute('aria-rowindex') !== String(i + 2)) misplaced.push(`row ${i}: aria-rowindex ${r.getAttribute('aria-rowindex')}`);
    }
    const view = area.getBoundingClientRect();
    // Visible: below the sticky header (which covers the top of the area) and above the area's bottom.
    const visible = rows
      .filter((r) => {
        const b = r.getBoundingClientRect();
        return b.top >= view.top + head.height - 1 && b.bottom <= view.bottom + 1;
      })
      .map((r) => Number(r.dataset.row));
    return {
      rowCount: table.getAttribute('aria-rowcount'),
      domRows: rows.length,
      rowHeight: h,
      misplaced,
      visible,
      scrollHeight: area.scrollHeight,
      expectedHeight: head.height + Number(table.getAttribute('aria-rowcount')!) * h - h,
    };
  });
}

/** Scrolls the queue's area to `fraction` of its range and waits for the window to follow. */
async function scrollTo(page: Page, fraction: number): Promise<void> {
  await page.evaluate((f) => {
    const area = document.querySelector<HTMLElement>('main[aria-label="Review"] .scroll-area')!;
    area.scrollTop = f * (area.scrollHeight - area.clientHeight);
  }, fraction);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

let browser: Browser | null = null;
let profile = '';
let server: { close(): void } | null = null;
let page: Page;

describe('review queue of 5,000 faces (built renderer in Chromium, fake client)', () => {
  beforeAll(async () => {
    requirePaths({ 'Chromium executable (DEEPSCAN_CHROMIUM)': CHROMIUM });
    buildRenderer();
    const api = bigFake();
    const served = await serveStatic();
    server = served.server;
    ({ browser, profile } = await launch());
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(60_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // The fake lives in Node; the page reaches it through one exposed function.
    await page.exposeFunction('__fake', (op: string, args: unknown[]) => (api as unknown as Record<string, (...a: unknown[]) => unknown>)[op](...args));
    // A string, not a function: tsx's helpers must not leak into the page.
    await page.addInitScript(`
      const client = {};
      for (const op of ${JSON.stringify(ENGINE_OPERATIONS)}) client[op] = (...args) => window.__fake(op, args);
      client.onTaskEvent = () => () => {};
      window.deepscan = client;
    `);
    await page.goto(served.url);
    await page.getByRole('button', { name: `Open case ${SUMMARY.name}` }).click();
    await page.locator('main[aria-label="Evidence"]').waitFor();
    await page.keyboard.press('Alt+5');
    await page.locator('main[aria-label="Review"] table[aria-rowcount]').waitFor();
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('announces all 5,000 faces, renders a bounded window, and the full list\'s height', async () => {
    const g = await geometry(page);
    expect(g.rowCount).toBe(String(FACES + 1));
    expect(g.domRows).toBeGreaterThan(5);
    expect(g.domRows).toBeLessThan(80);
    expect(g.misplaced).toEqual([]);
    expect(g.visible[0]).toBe(0);
    // The scrollbar stands for the whole queue (spacers + window), within a pixel or two.
    expect(Math.abs(g.scrollHeight - g.expectedHeight)).toBeLessThan(3);
  });

  it('puts the rendered rows exactly where the full list would, in the middle and at the end', async () => {
    for (const f of [0.37, 0.5, 1]) {
      await scrollTo(page, f);
      const g = await geometry(page);
      expect(g.misplaced, `scrolled to ${f}`).toEqual([]);
      expect(g.domRows, `scrolled to ${f}`).toBeLessThan(80);
      // What is in view is rendered: the window covers the visible part of the area.
      expect(g.visible.length, `scrolled to ${f}`).toBeGreaterThan(5);
      const approx = Math.round(f * FACES);
      expect(Math.abs(g.visible[0] - approx), `scrolled to ${f}: first visible row ${g.visible[0]}`).toBeLessThan(40);
    }
    const end = await geometry(page);
    expect(end.visible.at(-1)).toBe(FACES - 1);
    await shot(page, '12-review-5000-end');
  });

  it('reaches rows far outside the window from the keyboard, focused and in view', async () => {
    await scrollTo(page, 0);
    await page.locator('main[aria-label="Review"] tr[data-row="0"]').click();
    await page.keyboard.press('End');
    await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.dataset?.row === '4999');
    let g = await geometry(page);
    expect(g.visible).toContain(FACES - 1);
    expect(g.misplaced).toEqual([]);
    for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.dataset?.row === '4996');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.dataset?.row === '0');
    g = await geometry(page);
    expect(g.visible[0]).toBe(0);
    expect(g.domRows).toBeLessThan(80);
    expect(g.misplaced).toEqual([]);
  });

  it('windows the face strip too: 2,500 crops per person, each where the full strip puts it, the last reached by End', async () => {
    await page.keyboard.press('Alt+2');
    await page.getByRole('button', { name: 'Open clips/interview.mp4' }).click();
    await page.locator('main[aria-label="Video"]').waitFor();
    const strip = page.locator(`ul.crops[aria-label="Person 1: ${FACES / 2} faces"]`);
    await strip.waitFor();
    await strip.scrollIntoViewIfNeeded();
    /** Rendered crops of the strip: frame number (s of face id 100000 + 2s + k) and offset from the strip's start. */
    const measure = () =>
      strip.evaluate((ul) => {
        const origin = ul.getBoundingClientRect().left - ul.scrollLeft;
        const crops = [...ul.querySelectorAll<HTMLElement>('button[data-face]')].map((b) => ({
          s: Math.floor((Number(b.dataset.face) - 100_000) / 2),
          left: b.getBoundingClientRect().left - origin,
        }));
        return { crops, scrollWidth: ul.scrollWidth, clientWidth: ul.clientWidth };
      });
    const first = await measure();
    expect(first.crops.length).toBeGreaterThan(3);
    expect(first.crops.length).toBeLessThan(80);
    expect(first.crops[0].s).toBe(0);
    const step = first.crops[1].left - first.crops[0].left;
    const pad = first.crops[0].left;
    expect(step).toBeGreaterThan(10);
    const misplaced = (m: typeof first) => m.crops.filter((c) => Math.abs(c.left - (pad + c.s * step)) > 1).map((c) => `frame ${c.s} at ${c.left.toFixed(1)} px, expected ${(pad + c.s * step).toFixed(1)}`);
    expect(misplaced(first)).toEqual([]);
    // The strip's scroll width stands for all 2,500 crops.
    expect(first.scrollWidth).toBeGreaterThan((FACES / 2 - 1) * step);

    await strip.evaluate((ul) => (ul.scrollLeft = ul.scrollWidth));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const end = await measure();
    expect(end.crops.length).toBeLessThan(80);
    expect(end.crops.at(-1)!.s).toBe(FACES / 2 - 1);
    expect(misplaced(end)).toEqual([]);

    // From the keyboard: Home on the first crop, then End reaches the person's last crop, focused.
    await strip.evaluate((ul) => (ul.scrollLeft = 0));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await strip.locator('button[data-face]').first().focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => {
      const f = (document.activeElement as HTMLElement | null)?.dataset?.face;
      return f !== undefined && Math.floor((Number(f) - 100_000) / 2) === 2499;
    });
    expect(misplaced(await measure())).toEqual([]);
  });
});
