/**
 * Lab scale (issue 14): a case analysed by `deepscan worker` processes through a real
 * redis-server gives the same results as a local run, survives a worker killed with SIGKILL
 * and a coordinator killed mid-run, and refuses a missing model and a changed file by name.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../main/engine/case/open-case.js';
import { importModel } from '../../main/engine/classify/model-store.js';
import { analyzeCase } from '../../main/engine/pipeline/analyze-case.js';
import { parseQueueUrl, QUEUE_NAME } from '../../main/engine/queue/connection.js';
import { analyzeCaseQueued, type QueueEvent } from '../../main/engine/queue/coordinator.js';
import { payloadDigest } from '../../main/engine/queue/job.js';
import { buildCaseJson, type CaseJson } from '../../main/engine/report/case-json.js';
import { createWorkstationService } from '../../main/engine/service/index.js';
import { verifyCaseAudit } from '../../main/engine/store/verify-audit.js';
import type { TaskEvent } from '../../common/api.js';
import type { Result } from '../../common/result.js';
import { runCli, startCli } from '../helpers/cli.js';
import { makeStillImage, makeTestVideo } from '../helpers/make-media.js';
import { FIXTURE_VIDEO, FIXTURES, tempDir } from '../helpers/paths.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis-server.js';

const FRAMES = 3;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}
let work: string;
let evidence: string;
let redis: TestRedis;
let local: { json: unknown; digests: Record<string, Record<string, string>> };
const children = new Set<ChildProcess>();

/** Starts `deepscan worker`; resolves once it pulls jobs. */
async function startWorker(home: string, extra: string[] = []): Promise<ChildProcess> {
  const { child } = startCli(['worker', '--queue', redis.url, '--lock-ms', '4000', ...extra], { DEEPSCAN_HOME: home });
  children.add(child);
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('pulling jobs')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${text}`)));
  });
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  }
  children.delete(child);
}

/** The JSON minus what differs between any two runs (times, run numbers, the audit head). */
function comparable(j: CaseJson): unknown {
  return {
    folder: j.case.folder,
    evidence: j.evidence.map((e) => ({ ...e, analysis: e.analysis ? { ...e.analysis, completedAt: null, run: null } : null })),
  };
}

/** Per item, the row hashes its audit entry recorded for frames, faces and scores (the analyses row holds times). */
function rowDigests(home: string, folder: string): Promise<Record<string, Record<string, string>>> {
  return openCase({ folder, home, mustExist: true, readonly: true }).then((c) => {
    try {
      const out: Record<string, Record<string, string>> = {};
      const rows = c.store.db.prepare("SELECT details FROM audit_log WHERE action = 'evidence-analyzed' ORDER BY seq").pluck().all() as string[];
      for (const d of rows.map((r) => JSON.parse(r) as { path: string; results: { rows: Record<string, string> } })) {
        expect(out[d.path], `${d.path} written twice`).toBeUndefined();
        const { ['analyses row']: _a, ...rest } = d.results.rows;
        out[d.path] = rest;
      }
      return out;
    } finally {
      c.store.close();
    }
  });
}

async function queuedRun(home: string, events: QueueEvent[] = [], models: string[] = [], onEvent?: (e: QueueEvent) => void) {
  const c = await openCase({ folder: evidence, home });
  try {
    const s = await analyzeCaseQueued(c, { target: parseQueueUrl(redis.url), frames: FRAMES, models, pollMs: 100, onEvent: (e) => { events.push(e); onEvent?.(e); } });
    return { summary: s, json: buildCaseJson(c.store), audit: verifyCaseAudit(c.store.db, { trustedKeyIds: c.store.keyring?.trustedKeyIds }) };
  } finally {
    c.store.close();
  }
}

async function expectLikeLocal(home: string): Promise<void> {
  const c = await openCase({ folder: evidence, home, mustExist: true, readonly: true });
  try {
    expect(comparable(buildCaseJson(c.store))).toEqual(local.json);
  } finally {
    c.store.close();
  }
  expect(await rowDigests(home, evidence)).toEqual(local.digests);
}

async function jobsLeft(): Promise<number> {
  const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(redis.url).connection });
  try {
    const counts = await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

beforeAll(async () => {
  redis = await startRedis();
  work = tempDir('deepscan-queue-');
  evidence = join(work, 'evidence');
  mkdirSync(join(evidence, 'sub'), { recursive: true });
  makeTestVideo(join(evidence, 'a.mp4'), { width: 64, height: 48, frames: 6 });
  makeTestVideo(join(evidence, 'sub', 'b.mp4'), { width: 80, height: 60, frames: 5 });
  makeStillImage(join(evidence, 'c.png'));
  // A real face, small: crops and boxes travel through the queue too.
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', FIXTURE_VIDEO, '-frames:v', '8', '-vf', 'scale=480:-2', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', join(evidence, 'face.mp4')]);
  writeFileSync(join(evidence, 'notes.txt'), 'not media');
  const c = await openCase({ folder: evidence, home: join(work, 'home-local') });
  try {
    const s = await analyzeCase(c, { frames: FRAMES, models: [] });
    expect(s.analyzed).toBe(4);
    local = { json: comparable(buildCaseJson(c.store)), digests: {} };
  } finally {
    c.store.close();
  }
  local.digests = await rowDigests(join(work, 'home-local'), evidence);
  expect(JSON.stringify(local.json)).toContain('"faces":[{');
}, 120_000);

afterAll(async () => {
  for (const child of [...children]) await stop(child, 'SIGKILL');
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('analyze --queue without a Redis', () => {
  it('an unreachable Redis is a named error, before anything is written', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const c = await openCase({ folder: evidence, home: join(work, 'home-q0') });
    try {
      await expect(analyzeCaseQueued(c, { target: parseQueueUrl(url), frames: FRAMES, models: [] })).rejects.toMatchObject({
        code: 'queue-unavailable', message: expect.stringMatching(/^the job queue at redis:\/\/127\.0\.0\.1:\d+ is unavailable \(.+\)/),
      });
      expect(c.store.listEvidence()).toEqual([]);
    } finally {
      c.store.close();
    }
  }, 30_000);
});

describe('analyze --queue with deepscan worker processes', () => {
  let w1: ChildProcess;
  let w2: ChildProcess;

  it('two workers and a coordinator give the local run\'s JSON and digests; each entry names its worker', async () => {
    [w1, w2] = await Promise.all([startWorker(join(work, 'home-w1')), startWorker(join(work, 'home-w2'))]);
    const events: QueueEvent[] = [];
    const { summary, audit } = await queuedRun(join(work, 'home-q1'), events);
    expect(summary.analyzed).toBe(4);
    expect(summary.failed).toBe(0);
    expect(audit.problems).toEqual([]);
    await expectLikeLocal(join(work, 'home-q1'));
    const c = await openCase({ folder: evidence, home: join(work, 'home-q1'), mustExist: true, readonly: true });
    const workers = (c.store.db.prepare("SELECT details FROM audit_log WHERE action = 'evidence-analyzed'").pluck().all() as string[]).map((d) => (JSON.parse(d) as { worker: { name: string; softwareVersion: string; executionProvider: null } }).worker);
    c.store.close();
    expect(workers).toHaveLength(4);
    for (const w of workers) expect(w.name).toMatch(new RegExp(`:(${w1.pid}|${w2.pid})$`));
    expect(events.some((e) => e.type === 'item-held')).toBe(true);
    expect(await jobsLeft()).toBe(0);
  }, 90_000);

  it('the workstation service (the UI\'s path) starts a queued analysis: same results, progress names the worker, an insecure URL is refused', async () => {
    const service = createWorkstationService({ home: join(work, 'home-svc') });
    try {
      const summary = value(await service.openCase({ folder: evidence, examiner: 'Q. Examiner' }));
      // No password and not on loopback: refused before any task starts, without contacting it.
      const refused = await service.startAnalysis({ caseId: summary.id, frames: FRAMES, queue: 'redis://192.0.2.10:6379' });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.code).toBe('queue-insecure');
      const events: TaskEvent[] = [];
      const finished = new Promise<TaskEvent>((resolve) => {
        const off = service.onTaskEvent((e) => {
          events.push(e);
          if (e.type === 'task-finished') {
            off();
            resolve(e);
          }
        });
      });
      value(await service.startAnalysis({ caseId: summary.id, frames: FRAMES, queue: redis.url }));
      expect(await finished).toMatchObject({ status: 'completed', error: null });
      expect(events.some((e) => e.type === 'item-progress' && / on .+:\d+$/.test(e.stage))).toBe(true);
    } finally {
      await service.cancelAll();
    }
    await expectLikeLocal(join(work, 'home-svc'));
    const c = await openCase({ folder: evidence, home: join(work, 'home-svc'), mustExist: true, readonly: true });
    const entries = (c.store.db.prepare("SELECT actor, details FROM audit_log WHERE action = 'evidence-analyzed'").all() as { actor: string; details: string }[]);
    c.store.close();
    expect(entries).toHaveLength(4);
    for (const e of entries) {
      expect(e.actor).toBe('Q. Examiner');
      expect((JSON.parse(e.details) as { worker: { name: string } }).worker.name).toMatch(new RegExp(`:(${w1.pid}|${w2.pid})$`));
    }
    expect(await jobsLeft()).toBe(0);
  }, 90_000);

  it('a worker killed with SIGKILL mid-job: its job is retried on the other, the result is complete and identical', async () => {
    let killed: { path: string; pid: number } | null = null;
    const { summary, audit } = await queuedRun(join(work, 'home-q2'), [], [], (e) => {
      if (killed || e.type !== 'item-held') return;
      const pid = Number(e.worker.split(':').pop());
      const victim = [w1, w2].find((w) => w.pid === pid);
      if (victim) {
        killed = { path: e.path, pid };
        victim.kill('SIGKILL');
      }
    });
    expect(killed).not.toBeNull();
    // The killed worker's item was finished by the other one (stalled-job detection).
    const c = await openCase({ folder: evidence, home: join(work, 'home-q2'), mustExist: true, readonly: true });
    const entries = (c.store.db.prepare("SELECT details FROM audit_log WHERE action = 'evidence-analyzed'").pluck().all() as string[]).map((d) => JSON.parse(d) as { path: string; worker: { pid: number } });
    c.store.close();
    const redone = entries.find((x) => x.path === killed!.path)!;
    expect(redone.worker.pid).not.toBe(killed!.pid);
    expect(summary.analyzed).toBe(4);
    expect(summary.failed).toBe(0);
    expect(audit.problems).toEqual([]);
    await expectLikeLocal(join(work, 'home-q2'));
    await stop(w1, 'SIGKILL');
    await stop(w2, 'SIGKILL');
  }, 90_000);

  it('a worker without the model and a worker seeing a changed file fail their jobs with named errors; the run goes on', async () => {
    const home = join(work, 'home-q3');
    const { manifest: { id: model } } = await importModel(home, join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth'));
    // This worker's view of the case folder has one file with other bytes.
    const altered = join(work, 'altered');
    cpSync(evidence, altered, { recursive: true });
    copyFileSync(join(evidence, 'a.mp4'), join(altered, 'sub', 'b.mp4'));
    const w = await startWorker(join(work, 'home-w3'), ['--evidence-root', altered]);
    const noModel = await queuedRun(home, [], [model]);
    expect(noModel.summary.failed).toBe(4);
    expect(noModel.summary.failures.map((f) => f.code)).toEqual(['model-missing', 'model-missing', 'model-missing', 'model-missing']);
    expect(noModel.summary.failures[0].error).toMatch(new RegExp(`model ${model} .*not imported on this worker`));
    const changed = await queuedRun(home);
    expect(changed.summary.analyzed).toBe(3);
    expect(changed.summary.failures).toEqual([{ path: 'sub/b.mp4', code: 'evidence-changed', error: expect.stringMatching(/sub\/b\.mp4: .* has SHA-256 [0-9a-f]{64}, not the registered [0-9a-f]{64}; refused/) }]);
    const b = changed.json.evidence.find((e) => e.path === 'sub/b.mp4')!;
    expect(b.status).toBe('pending');
    expect(b.frames).toEqual([]);
    await stop(w);
    expect(await jobsLeft()).toBe(0);
  }, 120_000);

  it('a coordinator killed mid-run: rerunning it collects finished jobs and completes without duplicates', async () => {
    const home = join(work, 'home-q4');
    const w = await startWorker(join(work, 'home-w4'));
    const first = startCli(['analyze', evidence, '--queue', redis.url, '--no-models', '--frames', String(FRAMES)], { DEEPSCAN_HOME: home });
    children.add(first.child);
    let out = '';
    await new Promise<void>((resolve) => {
      first.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('✓ ')) resolve();
      });
      first.child.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('✓ ')) resolve();
      });
      first.child.once('exit', () => resolve());
    });
    await stop(first.child, 'SIGKILL');
    const again = await runCli(['analyze', evidence, '--queue', redis.url, '--no-models', '--frames', String(FRAMES)], { DEEPSCAN_HOME: home });
    expect(again.code, again.stderr).toBe(0);
    const m = /(\d+) analysed, 0 re-scored, (\d+) unchanged \(skipped\)/.exec(again.stdout);
    expect(m, again.stdout).not.toBeNull();
    expect(Number(m![1]) + Number(m![2])).toBe(4);
    expect(Number(m![2])).toBeGreaterThanOrEqual(1); // written by the killed coordinator
    expect(again.stdout).toMatch(/audit verified/);
    await expectLikeLocal(home); // rowDigests also fails on an item written twice
    expect(await jobsLeft()).toBe(0);
    await stop(w);
  }, 120_000);

  it('a result altered in the queue (digest mismatch) or for another item is refused by name, nothing is written', async () => {
    // A hostile "worker" in this process: answers each job with a forged or misaddressed result.
    let n = 0;
    const forger = new Worker(QUEUE_NAME, async (job) => {
      const j = job.data as { caseId: string; relPath: string; sha256: string; keys: { classifyKey: string } };
      const payload = { v: 1, job: { caseId: j.caseId, relPath: n++ % 2 ? 'other.mp4' : j.relPath, sha256: j.sha256, classifyKey: j.keys.classifyKey }, worker: { name: 'x:1', host: 'x', pid: 1, softwareVersion: '0', executionProvider: null }, result: { status: 'analyzed', frames: [] } };
      return { payload, digest: n % 2 ? payloadDigest({ ...payload, result: { status: 'unreadable' } }) : payloadDigest(payload) };
    }, { connection: { ...parseQueueUrl(redis.url).connection, maxRetriesPerRequest: null } });
    try {
      const { summary, json } = await queuedRun(join(work, 'home-q6'));
      expect(summary.analyzed).toBe(0);
      expect(summary.failures.map((f) => f.code)).toEqual(['job-invalid', 'job-invalid', 'job-invalid', 'job-invalid']);
      expect(summary.failures.map((f) => f.error).join('\n')).toMatch(/its digest does not match its content \(altered in the queue\)[\s\S]*is for another item|is for another item[\s\S]*its digest does not match/);
      expect(json.evidence.every((e) => e.frames.length === 0 && e.analysis === null)).toBe(true);
    } finally {
      await forger.close();
    }
    expect(await jobsLeft()).toBe(0);
  }, 60_000);

  it('Redis killed and restarted mid-run (its jobs lost): a named error, then the run resumes and completes identically', async () => {
    const home = join(work, 'home-q5');
    const w = await startWorker(join(work, 'home-w5'));
    const events: QueueEvent[] = [];
    let restart: Promise<void> | null = null;
    const { summary, audit } = await queuedRun(home, events, [], (e) => {
      if (restart || e.type !== 'item-finished' || e.skipped) return;
      const port = redis.port;
      restart = (async () => {
        await redis.stop();
        await new Promise((r) => setTimeout(r, 2500));
        redis = await startRedis(port);
      })();
    });
    await restart;
    expect(summary.analyzed).toBe(4);
    expect(summary.failed).toBe(0);
    expect(audit.problems).toEqual([]);
    const outage = events.find((e) => e.type === 'queue-unavailable');
    expect(outage && 'message' in outage ? outage.message : '').toMatch(/^the job queue at redis:\/\/127\.0\.0\.1:\d+ is unavailable \(.+\); waiting for it to come back$/);
    expect(events.some((e) => e.type === 'queue-back')).toBe(true);
    await expectLikeLocal(home);
    await stop(w);
  }, 120_000);
});
