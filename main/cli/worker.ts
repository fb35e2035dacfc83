import { deepscanHome } from '../engine/case/workspace.js';
import { parseEp, type ExecutionProviderChoice } from '../engine/classify/execution.js';
import { parseQueueUrl } from '../engine/queue/connection.js';
import type { QueueEvent } from '../engine/queue/coordinator.js';
import { startWorker } from '../engine/queue/worker.js';
import { resolve } from 'node:path';
import { intOption, parse, UsageError } from './args.js';
import type { ProgressOutput } from './progress.js';

export const WORKER_HELP = `deepscan worker --queue redis://[user:password@]host:port [options]

Pulls evidence-item jobs from the queue that "deepscan analyze <case-folder> --queue URL"
fills and runs the same per-item analysis. The worker reads evidence from shared storage (it
never writes to it), hashes the bytes it decodes and refuses a file whose SHA-256 is not the
registered one, and refuses jobs naming a model it does not have (import models on every
worker beforehand: "deepscan models import"). The queue carries evidence paths, hashes and
results, never the evidence bytes.

Options:
  --queue URL           redis://[user:password@]host:port[/db] (rediss:// for TLS); a Redis without a
                        password is refused unless it is on loopback
  --tls                 connect with TLS
  --evidence-root DIR   the case folder as this machine mounts it (default: the coordinator's path)
  --concurrency N       jobs run at once (default 1; each holds its own detector and models)
  --ep PROVIDER         execution provider for the classifiers: auto (default), cpu, cuda, webgpu
  --lock-ms MS          stalled-job detection: a killed worker's job is retried elsewhere after about
                        this long (default 30000)
  -h, --help            this help

Stops cleanly on Ctrl-C or SIGTERM (the running job finishes first).`;

export async function cmdWorker(args: string[], out: NodeJS.WritableStream, opts: { stop?: Promise<void> } = {}): Promise<number> {
  const { values, positionals } = parse(args, {
    queue: { type: 'string' }, tls: { type: 'boolean' }, 'evidence-root': { type: 'string' }, concurrency: { type: 'string' }, ep: { type: 'string' }, 'lock-ms': { type: 'string' },
  });
  if (values.help) {
    out.write(`${WORKER_HELP}\n`);
    return 0;
  }
  if (positionals.length) throw new UsageError('worker takes no positional arguments');
  if (!values.queue) throw new UsageError('worker needs --queue redis://host:port');
  let ep: ExecutionProviderChoice;
  try {
    ep = parseEp(values.ep as string | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const target = parseQueueUrl(values.queue as string, { tls: values.tls === true });
  const w = await startWorker({
    target, home: deepscanHome(), ep,
    evidenceRoot: values['evidence-root'] ? resolve(values['evidence-root'] as string) : undefined,
    concurrency: intOption(values.concurrency as string | undefined, '--concurrency', 1, 64),
    lockMs: intOption(values['lock-ms'] as string | undefined, '--lock-ms', 2000, 3_600_000),
    onLog: (line) => out.write(`${new Date().toISOString()} ${line}\n`),
  });
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void opts.stop?.then(stop);
  });
  out.write(`worker ${w.name}: stopping after the running job\n`);
  await w.close();
  return 0;
}

/** The coordinator's progress lines: which worker holds which item, failures, queue outages. */
export function reportQueueEvent(p: ProgressOutput, e: QueueEvent): boolean {
  switch (e.type) {
    case 'item-held':
      p.log(`… ${e.path} held by worker ${e.worker}`);
      return true;
    case 'item-failed':
      p.log(`✗ ${e.path} — job failed on every attempt: ${e.code}: ${e.error}`);
      return true;
    case 'queue-unavailable':
      p.log(`deepscan: ${e.message}`);
      return true;
    case 'queue-back':
      p.log('The job queue is back; resuming.');
      return true;
    default:
      return false;
  }
}
