/**
 * The loopback web host: the workstation UI in a browser on this machine (`deepscan serve`).
 *
 * - Listens on 127.0.0.1 only. Every /api request must carry the per-session token, a random
 *   256-bit value printed in the start URL (`Authorization: Bearer <token>`, compared in
 *   constant time; the event stream, which EventSource opens without headers, takes it as
 *   `?token=`).
 * - Requests whose Host header is not this loopback address and port are refused (DNS
 *   rebinding), as are cross-origin requests (Origin, Sec-Fetch-Site).
 * - POST /api/<operation> with a JSON array of the operation's arguments answers the same
 *   Result JSON as the Electron IPC: the routes come from the operation table and run the IPC
 *   handlers, so the same runtime validation applies. The service is usually the engine in a
 *   worker thread (main/engine/host/), so this loop only parses, routes and answers. GET /api/events is a Server-Sent Events stream of task events.
 * - GET /api/evidence/<caseId>/<evidenceId> streams a registered evidence file read-only, with
 *   byte ranges, for playback (evidence-stream.ts); like the event stream it takes `?token=`.
 *   GET /api/playback-copy/<caseId>/<evidenceId> does the same for its transcoded playback copy.
 * - POST /api/reports/<caseId>/<reportId>/link (Bearer) answers a short-lived link ticket, and
 *   GET /api/reports/<caseId>/<reportId>?ticket=…&disposition=attachment|inline serves that
 *   report's PDF, verified against its recorded SHA-256 (report-download.ts). Bearer works too.
 * - Everything else is a file of the built renderer (dist/renderer), with the desktop app's
 *   Content-Security-Policy; nothing outside that folder is ever served.
 *
 * Plain node:http, no framework; no Electron.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { DeepscanApi, TaskEvent } from '../../common/api.js';
import { OPERATION_NAMES, OPERATIONS } from '../../common/operations.js';
import type { ApiError } from '../../common/result.js';
import { createIpcHandlers, type IpcHandler } from '../ipc/handlers.js';
import { APP_ORIGIN } from '../ipc/validate.js';
import { CONTENT_SECURITY_POLICY, rendererFileFor } from '../security.js';
import { openEvidenceStream, openPlaybackCopyStream, StreamRefused } from './evidence-stream.js';
import { loadReport, reportIds, ReportTickets, type Disposition } from './report-download.js';

export const LOOPBACK = '127.0.0.1';
/** Largest request body accepted (the largest real request, a folder path, is a few KiB). */
export const MAX_BODY_BYTES = 256 * 1024;
const HEARTBEAT_MS = 20_000;
/**
 * Open event streams allowed at once. One page holds one; the cap stops a runaway (or hostile)
 * page from pinning sockets, timers and listeners without bound.
 */
export const MAX_EVENT_STREAMS = 16;

export interface WebHostOptions {
  service: DeepscanApi;
  /** Folder of the built renderer (index.html and assets); null serves the API only. */
  rendererDir: string | null;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** The session token; default: 32 random bytes (tests may pass their own). */
  token?: string;
  maxBodyBytes?: number;
  /** At most this many open event streams (default MAX_EVENT_STREAMS); more get 503. */
  maxEventStreams?: number;
  /** Receives unexpected errors (never sent to the browser). */
  log?: (message: string, error: unknown) => void;
}

export interface WebHost {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  /** The start URL: origin + `/?token=…`. */
  url: string;
  /** Number of open event streams (tests, diagnostics). */
  eventStreams(): number;
  /** Stops listening, ends the event streams and closes every connection. */
  close(): Promise<void>;
}

/**
 * The built renderer: dist/renderer beside the compiled code (dist/main/web/ → dist/renderer)
 * or, run from source (main/web/), the repository's dist/renderer. Never the renderer's
 * source folder, whose index.html points at unbuilt TypeScript.
 */
export function defaultRendererDir(here = import.meta.dirname): string | null {
  const up = path.resolve(here, '..', '..');
  const dir = path.basename(up) === 'dist' ? path.join(up, 'renderer') : path.join(up, 'dist', 'renderer');
  return existsSync(path.join(dir, 'index.html')) ? dir : null;
}

/** The routes: POST /api/<name> for every operation of the table, to that operation's handler. */
const ROUTES: ReadonlyMap<string, string> = new Map(OPERATION_NAMES.map((name) => [name, OPERATIONS[name].channel]));

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison (of fixed-length digests, so the length leaks nothing either). */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: HttpError): void {
  const error: ApiError = { code: e.code, message: e.message };
  sendJson(res, e.status, { ok: false, error }, e.headers);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(header(req, 'content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, 'payload-too-large', `Request body over ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'payload-too-large', `Request body over ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxStreams = opts.maxEventStreams ?? MAX_EVENT_STREAMS;
  const log = opts.log;
  const handlers = createIpcHandlers(opts.service, { log }) as unknown as Record<string, IpcHandler<unknown>>;
  const streams = new Set<ServerResponse>();
  const tickets = new ReportTickets();
  const sockets = new Set<Socket>();
  let port = 0;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  /** Host must name this loopback listener: anything else is DNS rebinding or a misdirected request. */
  function checkHost(req: IncomingMessage): void {
    const host = header(req, 'host')?.toLowerCase();
    if (!host || !allowedHosts.has(host)) throw new HttpError(403, 'forbidden', 'Requests must be addressed to this loopback host.');
  }

  /** Only our own page may call the API: a foreign Origin or a cross-site fetch is refused. */
  function checkOrigin(req: IncomingMessage): void {
    const origin = header(req, 'origin');
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) throw new HttpError(403, 'forbidden', 'Cross-origin requests are refused.');
    const site = header(req, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'forbidden', 'Cross-site requests are refused.');
  }

  function checkToken(req: IncomingMessage, url: URL, allowQuery: boolean): void {
    const auth = header(req, 'authorization');
    const bearer = auth && /^Bearer [^\s]+$/.test(auth) ? auth.slice(7) : null;
    const given = bearer ?? (allowQuery ? url.searchParams.get('token') : null);
    if (!tokenMatches(given, token)) {
      throw new HttpError(401, 'unauthorized', 'Missing or wrong session token: open the URL that "deepscan serve" printed.', { 'WWW-Authenticate': 'Bearer' });
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    checkOrigin(req);
    const name = url.pathname.slice('/api/'.length);
    if (name === 'events') {
      checkToken(req, url, true);
      if (req.method !== 'GET') throw new HttpError(405, 'method-not-allowed', 'Use GET for the event stream.', { Allow: 'GET' });
      if (streams.size >= maxStreams) {
        throw new HttpError(503, 'too-many-streams', `Already ${streams.size} event streams open (the most allowed); close another window or tab first.`, { 'Retry-After': '5' });
      }
      openEventStream(res);
      return;
    }
    const media = /^(evidence|playback-copy)\/([A-Za-z0-9_-]{1,128})\/(\d{1,12})$/.exec(name);
    if (media) {
      // A <video> element sends no Authorization header: like the event stream, ?token= is accepted.
      checkToken(req, url, true);
      await streamEvidence(req, res, media[2], Number(media[3]), media[1] === 'playback-copy');
      return;
    }
    const report = /^reports\/([^/]{1,128})\/([^/]{1,16})(\/link)?$/.exec(name);
    if (report) {
      await handleReport(req, res, url, report[1], report[2], report[3] !== undefined);
      return;
    }
    checkToken(req, url, false);
    const channel = ROUTES.get(name);
    if (!channel) throw new HttpError(404, 'not-found', `No operation "${name.slice(0, 64)}".`);
    if (req.method !== 'POST') throw new HttpError(405, 'method-not-allowed', 'Operations are called with POST.', { Allow: 'POST' });
    const type = header(req, 'content-type')?.split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'unsupported-media-type', 'Send the arguments as application/json.');
    const body = await readBody(req, limit);
    let args: unknown;
    try {
      args = body.length === 0 ? [] : (JSON.parse(body.toString('utf8')) as unknown);
    } catch {
      throw new HttpError(400, 'invalid-argument', 'The request body is not valid JSON.');
    }
    if (!Array.isArray(args)) throw new HttpError(400, 'invalid-argument', 'The request body must be a JSON array of the operation\'s arguments.');
    const result = await handlers[channel](args);
    sendJson(res, 200, result);
  }

  /** A report's link ticket (POST …/link), or its PDF (GET/HEAD), by id only. */
  async function handleReport(req: IncomingMessage, res: ServerResponse, url: URL, rawCase: string, rawId: string, link: boolean): Promise<void> {
    const ticket = url.searchParams.get('ticket');
    // A ticket stands in for the token only for the report it was issued for, and only to read it.
    const admitted = !link && tickets.admits(ticket, rawCase, Number(rawId));
    if (!admitted) checkToken(req, url, false);
    try {
      const [caseId, reportId] = reportIds(rawCase, rawId);
      if (link) {
        if (req.method !== 'POST') throw new HttpError(405, 'method-not-allowed', 'Ask for a report link with POST.', { Allow: 'POST' });
        const info = await opts.service.getReportFile(caseId, reportId);
        if (!info.ok) throw new HttpError(info.error.code === 'report-missing' || info.error.code === 'case-missing' ? 404 : 400, info.error.code, info.error.message);
        const t = tickets.issue(caseId, reportId);
        sendJson(res, 200, { ok: true, value: { url: `/api/reports/${caseId}/${reportId}?ticket=${t.ticket}`, expiresAt: t.expiresAt } });
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'Reports are only read (GET, HEAD).', { Allow: 'GET, HEAD' });
      const disp = url.searchParams.get('disposition') ?? 'attachment';
      if (disp !== 'attachment' && disp !== 'inline') throw new HttpError(400, 'invalid-argument', 'disposition must be "attachment" or "inline".');
      const out = await loadReport(opts.service, caseId, reportId, disp as Disposition);
      res.writeHead(200, out.headers);
      res.end(req.method === 'HEAD' ? undefined : out.bytes);
    } catch (e) {
      if (e instanceof StreamRefused) throw new HttpError(e.status, e.code, e.message, e.headers);
      throw e;
    }
  }

  async function streamEvidence(req: IncomingMessage, res: ServerResponse, caseId: string, evidenceId: number, copy: boolean): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'Evidence is only read (GET, HEAD).', { Allow: 'GET, HEAD' });
    let out;
    try {
      const open = copy ? openPlaybackCopyStream : openEvidenceStream;
      out = await open(opts.service, caseId, evidenceId, header(req, 'range'), req.method === 'HEAD');
    } catch (e) {
      if (e instanceof StreamRefused) throw new HttpError(e.status, e.code, e.message, e.headers);
      throw e;
    }
    res.writeHead(out.status, { ...BASE_HEADERS, ...out.headers });
    if (!out.body) {
      res.end();
      return;
    }
    const body = out.body;
    res.on('close', () => body.destroy());
    body.on('error', () => res.destroy());
    body.pipe(res);
  }

  function openEventStream(res: ServerResponse): void {
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n: connected\n\n');
    streams.add(res);
    const unsubscribe = opts.service.onTaskEvent((e: TaskEvent) => {
      res.write(`data: ${JSON.stringify(e)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const done = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    // The response's 'close' fires when the browser goes away (or the host ends the stream).
    res.on('close', done);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'Only GET and HEAD are served here.', { Allow: 'GET, HEAD' });
    if (!opts.rendererDir) throw new HttpError(404, 'not-found', 'The renderer is not built: run "npm run build", then start "deepscan serve" again.');
    // Same mapping as the desktop app's app:// protocol: nothing outside the renderer folder.
    const target = rendererFileFor(`${APP_ORIGIN}${url.pathname}`, opts.rendererDir);
    if (!target) throw new HttpError(404, 'not-found', 'Not found.');
    let body: Buffer;
    try {
      body = await readFile(target.file);
    } catch {
      throw new HttpError(404, 'not-found', 'Not found.');
    }
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': target.type,
      'Content-Length': String(body.length),
      // The page URL carries the token: never cache the page itself.
      'Cache-Control': target.type.startsWith('text/html') ? 'no-store' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      checkHost(req);
      const raw = req.url ?? '/';
      if (!raw.startsWith('/')) throw new HttpError(400, 'invalid-argument', 'Only origin-form request targets are accepted.');
      const url = new URL(raw, `http://${LOOPBACK}:${port}`);
      if (url.pathname === '/api' || url.pathname.startsWith('/api/')) await handleApi(req, res, url);
      else await handleStatic(req, res, url);
    } catch (e) {
      if (e instanceof HttpError) sendError(res, e);
      else {
        log?.(`${req.method} ${req.url?.split('?')[0]} failed`, e);
        sendError(res, new HttpError(500, 'internal', 'The request failed.'));
      }
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`]);
  const origin = `http://${LOOPBACK}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    origin,
    port,
    token,
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    eventStreams: () => streams.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 1000).unref();
      });
      return closing;
    },
  };
}
