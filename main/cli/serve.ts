import { spawn } from 'node:child_process';
import path from 'node:path';
import { startWorkerEngine } from '../engine/host/worker.js';
import type { EngineHost } from '../engine/host/client.js';
import { defaultRendererDir, startWebHost } from '../web/server.js';
import { intOption, parse, UsageError } from './args.js';

export const SERVE_HELP = `deepscan serve [<case-folder>] [--port P] [--open]

Serves the workstation UI to a browser on this machine. Listens on 127.0.0.1 only and prints a
URL holding a random per-session token: only a browser given that URL can use the API.
Requests addressed to any other host name, and cross-origin requests, are refused.

With a case folder, the case is opened (its evidence registered and hashed) before the URL
is printed, and the URL opens that case.

Options:
  --port P    TCP port on 127.0.0.1 (default: a free port chosen by the system)
  --open      open the URL in the default browser
  -h, --help  this help

Stop with Ctrl-C: running analyses are cancelled cleanly (no partial results are kept).`;

export interface ServeOptions {
  /** Resolves when the host should stop (default: SIGINT or SIGTERM). */
  stop?: Promise<unknown>;
  home?: string;
  /** Called with the printed URL once the host is listening (tests). */
  onListening?: (url: string) => void;
}

export async function cmdServe(args: string[], out: NodeJS.WritableStream, opts: ServeOptions = {}): Promise<number> {
  const { values, positionals } = parse(args, { port: { type: 'string' }, open: { type: 'boolean' } });
  if (values.help) {
    out.write(`${SERVE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('serve takes at most one case folder');
  const port = intOption(values.port as string | undefined, '--port', 0, 65535) ?? 0;
  const log = (message: string, error: unknown) => process.stderr.write(`deepscan serve: ${message}: ${error instanceof Error ? (error.stack ?? error.message) : String(error ?? '')}\n`);
  // The engine runs in a worker thread, so analyses never stall the HTTP API.
  const service = startWorkerEngine({ home: opts.home, log });
  try {
    return await serveWith(service, { port, open: values.open === true, folder: positionals[0] }, out, opts, log);
  } finally {
    await service.close();
  }
}

async function serveWith(
  service: EngineHost,
  args: { port: number; open: boolean; folder: string | undefined },
  out: NodeJS.WritableStream,
  opts: ServeOptions,
  log: (message: string, error: unknown) => void,
): Promise<number> {
  const { port } = args;
  let caseId: string | null = null;
  if (args.folder !== undefined) {
    const opened = await service.openCase({ folder: path.resolve(args.folder) });
    if (!opened.ok) {
      process.stderr.write(`deepscan: ${opened.error.message}\n`);
      return 1;
    }
    caseId = opened.value.id;
    out.write(`Case ${opened.value.name} (${opened.value.id}): ${opened.value.evidenceCount} evidence item(s) in ${opened.value.folder}\n`);
  }
  const rendererDir = defaultRendererDir();
  if (!rendererDir) process.stderr.write('deepscan: the renderer is not built (run "npm run build"); serving the API only.\n');
  const host = await startWebHost({
    service, rendererDir, port, log,
  });
  // The renderer's routes live in the hash (renderer/src/lib/workstation.svelte.ts).
  const url = caseId ? `${host.url}#view=evidence&case=${caseId}` : host.url;
  out.write(`Deepscan is serving on ${host.origin} (this machine only).\nOpen: ${url}\nPress Ctrl-C to stop.\n`);
  opts.onListening?.(url);
  if (args.open) openInBrowser(url);

  await (opts.stop ?? untilSignal());
  out.write('Stopping: cancelling running analyses…\n');
  await service.cancelAll();
  await host.close();
  out.write('Stopped.\n');
  return 0;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Hands the URL to the platform's opener (no shell: the URL is one argument). */
function openInBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]]
    : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
    : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`deepscan: could not start ${cmd}; open the URL yourself.\n`));
    child.unref();
  } catch {
    process.stderr.write(`deepscan: could not start ${cmd}; open the URL yourself.\n`);
  }
}
