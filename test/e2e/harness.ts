/**
 * Shared pieces of the end-to-end runs: building the renderer, serving it (for the fake-backed
 * preview), launching the system Chromium through playwright-core, and screenshots.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SHOTS = join(ROOT, 'test/e2e/screenshots');
export const RENDERER_DIST = join(ROOT, 'dist/renderer');

export function buildRenderer(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`renderer build failed (${r.status})`);
  requirePaths({ 'renderer build (dist/renderer/index.html)': join(RENDERER_DIST, 'index.html') });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves dist/renderer on a loopback port (the fake-backed preview only). */
export async function serveStatic(dir = RENDERER_DIST): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const rel = normalize(decodeURIComponent(u.pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, rel);
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${addr.port}/`, server };
}

export const CHROMIUM = process.env.DEEPSCAN_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Throws, naming every missing prerequisite, instead of letting the suite skip: a machine
 * without Chromium or the shared fixtures must fail the e2e run, not pass it with zero tests.
 */
export function requirePaths(what: Record<string, string>): void {
  const missing = Object.entries(what).filter(([, p]) => !existsSync(p));
  if (missing.length === 0) return;
  const lines = missing.map(([name, p]) => `  - ${name}: ${p}`).join('\n');
  throw new Error(`end-to-end prerequisites missing:\n${lines}\n(set DEEPSCAN_CHROMIUM for another browser; fixtures live in ../shared/fixtures)`);
}

export async function launch(): Promise<{ browser: Browser; profile: string }> {
  requirePaths({ 'Chromium executable (DEEPSCAN_CHROMIUM)': CHROMIUM });
  const profile = mkdtempSync(join(tmpdir(), 'deepscan-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    // playwright gives each non-persistent launch a fresh temporary profile of its own.
    env: { ...process.env, HOME: profile },
  });
  return { browser, profile };
}

export async function shot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

export const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
] as const;

/**
 * Horizontal clipping in the page: the main column and every card or grid column inside it
 * whose content is wider than its box (scrollWidth > clientWidth), plus the document itself.
 * Tables inside a .scroll-area may scroll on purpose and are not counted; their scroll area is.
 */
export async function clipped(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) out.push(`document ${doc.scrollWidth}>${doc.clientWidth}`);
    const main = document.querySelector('main');
    if (!main) return ['no main'];
    const boxes = [main, ...main.querySelectorAll<HTMLElement>(':scope > *, .card, .grid > *, .side, .main-col, .scroll-area')];
    for (const el of boxes) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || el.clientWidth === 0) continue;
      if (el.scrollWidth > el.clientWidth + 1) {
        const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')}`;
        out.push(`${name} ${el.scrollWidth}>${el.clientWidth} (${(el.querySelector('h1, h2, h3')?.textContent ?? '').trim().slice(0, 30)})`);
      }
    }
    return out;
  });
}

/**
 * Vertically overlapping siblings inside `root` (issue 13: the Review card's note row over its
 * frame image). For every element in the root, each pair of its children whose extents (the
 * child's box together with every descendant's, so that overflowing content counts) share more
 * than a pixel both across and down is reported. Out-of-flow children (absolute, fixed: overlays
 * drawn on purpose over an image) and hidden ones are left out.
 */
export async function overlapping(page: Page, root: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const out: string[] = [];
    const top = document.querySelector(sel);
    if (!top) return [`no ${sel}`];
    const shown = (el: Element) => {
      const s = getComputedStyle(el);
      return s.display !== 'none' && s.visibility !== 'hidden' && s.position !== 'absolute' && s.position !== 'fixed';
    };
    const extent = (el: Element) => {
      let r = { top: Infinity, left: Infinity, bottom: -Infinity, right: -Infinity };
      for (const e of [el, ...el.querySelectorAll('*')]) {
        if (e !== el && !shown(e)) continue;
        const b = e.getBoundingClientRect();
        if (b.width === 0 && b.height === 0) continue;
        r = { top: Math.min(r.top, b.top), left: Math.min(r.left, b.left), bottom: Math.max(r.bottom, b.bottom), right: Math.max(r.right, b.right) };
      }
      return r;
    };
    const name = (el: Element) => `${el.tagName.toLowerCase()}${[...el.classList].map((c) => `.${c}`).join('')}`;
    for (const parent of [top, ...top.querySelectorAll('*')]) {
      const kids = [...parent.children].filter(shown).map((el) => ({ el, r: extent(el) })).filter((k) => Number.isFinite(k.r.top));
      for (let i = 0; i < kids.length; i++) {
        for (let j = i + 1; j < kids.length; j++) {
          const a = kids[i].r;
          const b = kids[j].r;
          const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const down = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (across > 1 && down > 1) out.push(`${name(kids[i].el)} and ${name(kids[j].el)} overlap by ${Math.round(down)}px in ${name(parent)}`);
        }
      }
    }
    return out;
  }, root);
}

/** The deepscan CLI (main/cli.ts) run to completion, with its status and output. */
export function cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/**
 * `deepscan serve <folder>` on a free loopback port; `url` resolves to the address it prints
 * (with its one-time token). Its output is appended to `log`.
 */
export function startServer(folder: string, env: NodeJS.ProcessEnv, log: string[]): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli.ts', 'serve', folder, '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in time:\n${out}`)), 180_000);
    child.stdout?.on('data', (b: Buffer) => {
      const s = b.toString();
      log.push(s);
      out += s;
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr?.on('data', (b: Buffer) => log.push(b.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}):\n${log.join('')}`));
    });
  });
  return { child, url };
}

/** Stops a server started by startServer (SIGTERM, then SIGKILL after 10 s). */
export async function stopServer(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * Waits for the page's <video> to finish the seek just asked for (15 s at most) and answers
 * where it is and its MediaError code (null when it plays).
 */
export function afterSeek(page: Page): Promise<{ t: number; err: number | null }> {
  return page.evaluate(() => {
    const v = document.querySelector('video') as HTMLVideoElement;
    return new Promise<{ t: number; err: number | null }>((resolve) => {
      const done = () => resolve({ t: v.currentTime, err: v.error?.code ?? null });
      if (v.readyState >= 2 && !v.seeking && v.currentTime > 0) done();
      else v.addEventListener('seeked', done, { once: true });
      setTimeout(done, 15_000);
    });
  });
}

/** Plays the page's <video> (muted) until it is 0.5 s past `from` or 10 s have gone; answers its position. */
export function playOn(page: Page, from: number): Promise<number> {
  return page.evaluate(async (start) => {
    const v = document.querySelector('video') as HTMLVideoElement;
    v.muted = true;
    await v.play();
    const until = Date.now() + 10_000;
    while (v.currentTime < start + 0.5 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    v.pause();
    return v.currentTime;
  }, from);
}
