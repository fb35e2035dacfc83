/**
 * The engine in a worker thread (`deepscan serve`, the bench): a worker_threads Worker
 * running worker-entry.ts, behind the protocol client. better-sqlite3, onnxruntime-node and
 * ffmpeg child processes all work from a worker.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createEngineClient, type EngineConnection, type EngineHost } from './client.js';
import { nodePortChannel, type NodePortLike } from './protocol.js';

/**
 * How to start the worker: the compiled entry beside this file (.js), or, run from source
 * (tsx, vitest), a small bootstrap that installs tsx's loader inside the worker first —
 * Node 20 workers neither inherit the parent's TypeScript transform nor apply `--import`
 * hooks given in their execArgv.
 */
export function workerSource(here = import.meta.url): { source: URL | string; eval: boolean } {
  const js = new URL('./worker-entry.js', here);
  if (existsSync(fileURLToPath(js))) return { source: js, eval: false };
  // The ESM build of tsx's register API (require.resolve would pick its CommonJS build).
  const api = pathToFileURL(join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('./worker-entry.ts', here).href;
  const code = `(async () => { const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)}); })()
    .catch((e) => { console.error(e); process.exit(1); });`;
  return { source: code, eval: true };
}

export function workerConnection(home: string | undefined): EngineConnection {
  const { source, eval: isCode } = workerSource();
  const worker = new Worker(source, { eval: isCode, workerData: { home } });
  let stopping = false;
  let onExit: (reason: string) => void = () => {};
  let lastError = '';
  worker.on('error', (e) => (lastError = e instanceof Error ? e.message : String(e)));
  const exited = new Promise<void>((resolve) => {
    worker.on('exit', (code) => {
      if (!stopping) onExit(lastError ? `${lastError}; exit code ${code}` : `exit code ${code}`);
      resolve();
    });
  });
  return {
    channel: nodePortChannel(worker as unknown as NodePortLike),
    onExit: (l) => (onExit = l),
    async terminate() {
      stopping = true;
      await worker.terminate();
      await exited;
    },
  };
}

/** The workstation service in worker threads, one per lane (started on first use; restarted after a crash). */
export function startWorkerEngine(opts: { home?: string; log?: (message: string, error: unknown) => void } = {}): EngineHost {
  return createEngineClient(() => workerConnection(opts.home), { log: opts.log });
}
