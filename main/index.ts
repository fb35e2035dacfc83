/**
 * Electron main process: one locked-down window that shows the built renderer from the
 * app://deepscan origin, and the IPC bridge to the engine service, which runs in its own
 * utility process (main/ipc/engine-process.ts). All forensic logic lives in main/engine
 * (plain Node); this file only wires it to Electron.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import { app, BrowserWindow, protocol, safeStorage, session, type Session, type WebContents } from 'electron';
import { setKeyProtector, type KeyProtector } from './engine/case/signing-key.js';
import { deepscanHome } from './engine/case/workspace.js';
import { keyHandoff } from './engine/host/key-handoff.js';
import { startUtilityEngine } from './ipc/engine-process.js';
import { registerIpc } from './ipc/register.js';
import { APP_ORIGIN, isAppUrl } from './ipc/validate.js';
import { CONTENT_SECURITY_POLICY, rendererFileFor, securityHeaders } from './security.js';
import { openEvidenceStream, openPlaybackCopyStream, StreamRefused } from './web/evidence-stream.js';
import type { DeepscanApi } from '../common/api.js';

const RENDERER_DIR = path.join(import.meta.dirname, '..', 'renderer');
const PRELOAD = path.join(import.meta.dirname, '..', 'preload', 'index.cjs');

/** Permissions the page may have: writing plain text to the clipboard (copy a hash). Nothing else. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

protocol.registerSchemesAsPrivileged([
  // stream: media elements read evidence from app://deepscan/evidence/… with byte ranges.
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);
app.enableSandbox();

/** The engine, once started: the source of the evidence list that playback is checked against. */
let evidenceSource: Pick<DeepscanApi, 'getCase' | 'listEvidence' | 'getPlaybackCopy'> | null = null;

/** app://deepscan/evidence/<caseId>/<evidenceId> (and /playback-copy/…): the same read-only checks as the web host. */
async function serveEvidence(request: Request, caseId: string, evidenceId: number, copy: boolean): Promise<Response> {
  if (!evidenceSource || (request.method !== 'GET' && request.method !== 'HEAD')) return new Response('Not found', { status: 404 });
  try {
    const open = copy ? openPlaybackCopyStream : openEvidenceStream;
    const out = await open(evidenceSource, caseId, evidenceId, request.headers.get('range') ?? undefined, request.method === 'HEAD');
    const body = out.body ? (Readable.toWeb(out.body) as ReadableStream<Uint8Array>) : null;
    return new Response(body, { status: out.status, headers: out.headers });
  } catch (e) {
    if (e instanceof StreamRefused) return new Response(e.message, { status: e.status, headers: e.headers });
    return new Response('The evidence could not be read.', { status: 500 });
  }
}

/** Serves files of the built renderer, and nothing outside its folder. */
async function serveRenderer(request: Request): Promise<Response> {
  const media = isAppUrl(request.url) ? /^\/(evidence|playback-copy)\/([A-Za-z0-9_-]{1,128})\/(\d{1,12})$/.exec(new URL(request.url).pathname) : null;
  if (media) return serveEvidence(request, media[2], Number(media[3]), media[1] === 'playback-copy');
  const target = request.method === 'GET' ? rendererFileFor(request.url, RENDERER_DIR) : null;
  if (!target) return new Response('Not found', { status: 404 });
  try {
    const body = await readFile(target.file);
    return new Response(new Uint8Array(body), { status: 200, headers: securityHeaders(target.type) });
  } catch {
    return new Response('Not found', { status: 404 });
  }
}

function lockDownSession(ses: Session): void {
  ses.protocol.handle('app', serveRenderer);
  // No remote content: only our origin, devtools, and in-page data:/blob: URLs load.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = isAppUrl(details.url) || /^(devtools|data|blob):/i.test(details.url);
    callback({ cancel: !ok });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => ALLOWED_PERMISSIONS.has(permission));
  ses.setDevicePermissionHandler(() => false);
  ses.on('will-download', (event) => event.preventDefault());
}

/** Applied to every web contents the app ever creates (defence in depth). */
function lockDownContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Deepscan',
    autoHideMenuBar: true,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  return win;
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const log = (message: string, error: unknown): void => {
    console.error(`[deepscan] ${message}`, error ?? '');
  };

  /** Electron's safeStorage (Keychain, DPAPI, libsecret) as the engine's KeyProtector. */
  function safeStorageProtector(): KeyProtector {
    return {
      name: 'safe-storage',
      wrap: (bytes) => safeStorage.encryptString(bytes.toString('base64')),
      unwrap: (bytes) => Buffer.from(safeStorage.decryptString(bytes), 'base64'),
    };
  }

  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

  void app.whenReady().then(async () => {
    lockDownSession(session.defaultSession);
    // The audit signing key is wrapped with the OS keychain here (its own key file; the CLI keeps a
    // plain one). Only main can call safeStorage, so the engine process gets the key unwrapped.
    const home = process.env.DEEPSCAN_HOME ?? deepscanHome();
    const protector = safeStorage.isEncryptionAvailable() ? safeStorageProtector() : null;
    if (protector) setKeyProtector(protector);
    // The engine runs in a utility process: its work never blocks IPC or window events.
    const service = startUtilityEngine({ home, log, signingKey: () => (protector ? keyHandoff(home, protector) : undefined) });
    evidenceSource = service;
    void service.start().catch((e: unknown) => log('the engine did not start', e));
    const win = createWindow();
    const unregister = registerIpc({ service, window: win, log });
    win.on('closed', unregister);
    // Quitting mid-analysis cancels it cleanly (each item is written whole or not at all).
    let quitting = false;
    app.on('before-quit', (event) => {
      if (quitting) return;
      quitting = true;
      event.preventDefault();
      void service.close().finally(() => app.quit());
    });
    app.on('second-instance', () => {
      if (win.isDestroyed()) return;
      if (win.isMinimized()) win.restore();
      win.focus();
    });
    await win.loadURL(`${APP_ORIGIN}/index.html`);
  });

  app.on('window-all-closed', () => app.quit());
}

main();
