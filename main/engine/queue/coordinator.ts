import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { acquireAnalysisLock, isProcessAlive } from '../case/lock.js';
import type { OpenedCase } from '../case/open-case.js';
import { listModels } from '../classify/model-store.js';
import { mtcnnChecksums, mtcnnModelDir } from '../faces/detector-models.js';
import { checkAfterDecode, checkBeforeDecode } from '../ingest/decode-guard.js';
import { ingestCaseFolder } from '../ingest/ingest.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import { runSetup, saveItemResult, type AnalysisEvent, type AnalyzeSummary, type RunSetup } from '../pipeline/analyze-case.js';
import { DEFAULT_FRAMES } from '../pipeline/stages.js';
import type { EvidenceRecord } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { QUEUE_NAME, queueUnavailable, type QueueTarget } from './connection.js';
import { deserialiseResult, JOB_VERSION, jobIdOf, payloadDigest, type ItemJob, type JobReturn } from './job.js';

export type QueueEvent =
  | AnalysisEvent
  | { type: 'item-held'; path: string; worker: string; stage: string; fraction: number }
  | { type: 'item-failed'; path: string; code: string; error: string }
  | { type: 'queue-unavailable'; message: string }
  | { type: 'queue-back' };

export interface QueuedAnalyzeOptions {
  target: QueueTarget;
  frames?: number;
  models?: string[];
  signal?: AbortSignal;
  onEvent?: (e: QueueEvent) => void;
  tools?: FfmpegTools;
  /** Attempts per job before it is reported as failed (default 3). */
  attempts?: number;
  /** How often job states are read from Redis (default 300 ms). */
  pollMs?: number;
}

export interface QueuedSummary extends AnalyzeSummary {
  /** Items whose job failed on every attempt (not written; a rerun enqueues them again). */
  failed: number;
  failures: { path: string; code: string; error: string }[];
}

interface Pending {
  e: EvidenceRecord;
  jobId: string;
  index: number;
  /** When the item was handed to the queue: the start of the window its bytes must survive. */
  since: Date;
  data: ItemJob;
}

/** Adds the item's job; a no-op when a job with its id is already in the queue (BullMQ de-duplicates by id). */
async function enqueue(queue: Queue, p: Pending, opts: QueuedAnalyzeOptions): Promise<void> {
  await queue.add('item', p.data, { jobId: p.jobId, attempts: opts.attempts ?? 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: false, removeOnFail: false });
}

/**
 * `analyze --queue`: registers and hashes the evidence here as a local run does, enqueues one
 * job per item that has no current result, and writes each returned result in one transaction
 * after checking its digest, its shape and (re-hashing here) that the file is still the one
 * registered. Job ids are deterministic, so a rerun after a crash picks up finished jobs and
 * enqueues only what is missing; a job is removed only after its result is written.
 */
export async function analyzeCaseQueued(c: OpenedCase, opts: QueuedAnalyzeOptions): Promise<QueuedSummary> {
  const frames = opts.frames ?? DEFAULT_FRAMES;
  if (!Number.isInteger(frames) || frames < 1 || frames > 1000) throw new DeepscanError('invalid-argument', `--frames must be an integer from 1 to 1000 (got ${frames})`);
  const tools = opts.tools ?? (await locateFfmpeg());
  const installed = await listModels(c.home);
  const modelIds = opts.models ?? installed.map((m) => m.id);
  const manifests = modelIds.map((id) => installed.find((m) => m.id === id) ?? (() => { throw new DeepscanError('model-invalid', `model ${id} is not installed; see "deepscan models list"`); })());
  const modelShas = Object.fromEntries(manifests.map((m) => [m.id, m.onnxSha256]));
  const detectorShas = mtcnnChecksums(mtcnnModelDir());
  const queue = new Queue(QUEUE_NAME, { connection: { ...opts.target.connection, maxRetriesPerRequest: 1, enableOfflineQueue: true } });
  queue.on('error', () => {}); // reported by the polling loop, with a name
  try {
    await withTimeout(queue.waitUntilReady(), 5_000).catch((err: unknown) => {
      throw queueUnavailable(opts.target, err);
    });
    const release = await acquireAnalysisLock(c.workspace);
    try {
      return await coordinate(c, opts, queue, { frames, modelIds, modelShas, detectorShas, tools, manifests });
    } finally {
      await release();
    }
  } finally {
    await queue.close().catch(() => {});
  }
}

async function coordinate(
  c: OpenedCase, opts: QueuedAnalyzeOptions, queue: Queue,
  s: { frames: number; modelIds: string[]; modelShas: Record<string, string>; detectorShas: Record<string, string>; tools: FfmpegTools; manifests: Awaited<ReturnType<typeof listModels>> },
): Promise<QueuedSummary> {
  const emit = (e: QueueEvent) => opts.onEvent?.(e);
  c.store.markInterruptedRuns(isProcessAlive, c.actor);
  const ingest = await ingestCaseFolder(c.store, c.folder, s.tools, c.actor, { signal: opts.signal, onProgress: (p) => emit({ type: 'verify-progress', ...p }) });
  for (const m of s.manifests) c.store.recordCaseModel(m.id, m.onnxSha256, m);
  const setup = runSetup(s.frames, s.modelIds, s.modelShas, s.detectorShas);
  const runId = c.store.startRun({ params: setup.params, softwareVersion: softwareVersion(), stageVersions: setup.versions, executionProvider: null, host: hostname(), pid: process.pid }, c.actor);
  const run: RunSetup = { ...setup, runId, modelShas: s.modelShas };
  const summary: QueuedSummary = { runId, status: 'completed', ingest, analyzed: 0, rescored: 0, skipped: 0, unreadable: 0, integrityFailed: 0, models: s.modelIds, executionProvider: null, error: null, failed: 0, failures: [] };
  const items = c.store.listEvidence().filter((e) => e.kind !== 'other' && e.status !== 'not-media' && e.status !== 'integrity-failed' && e.sha256 !== null);
  emit({ type: 'run-started', runId, total: items.length, models: s.modelIds, executionProvider: null });
  const pending = new Map<string, Pending>();
  try {
    for (const [index, e] of items.entries()) {
      const base = { path: e.relPath, index, total: items.length };
      const jobId = jobIdOf(c.info.id, e.relPath, e.sha256!, run.keys.classifyKey);
      const current = c.store.getAnalysis(e.id);
      if (current !== null && current.evidenceSha256 === e.sha256 && current.status === 'analyzed' && current.classifyKey === run.keys.classifyKey) {
        summary.skipped++;
        // Written by an earlier coordinator that died before removing the job.
        await queue.remove(jobId).catch(() => 0);
        emit({ type: 'item-finished', ...base, status: e.status, error: e.error, skipped: true, score: current.score });
        continue;
      }
      // Bytes first checked here; the worker hashes what it decodes, and this side re-hashes when the result is back.
      const absPath = join(c.folder, ...e.relPath.split('/'));
      const refused = await checkBeforeDecode(c.store, e, absPath, c.actor);
      if (refused) {
        summary.integrityFailed++;
        emit({ type: 'item-finished', ...base, status: 'integrity-failed', error: c.store.getEvidence(e.id)?.error ?? refused.detail, skipped: false, score: null });
        continue;
      }
      const existing = await queue.getJob(jobId);
      // A job that failed in an earlier run is tried again; one waiting, running or finished is kept.
      if (existing && (await existing.getState()) === 'failed') await existing.remove();
      const p: Pending = { e, jobId, index, since: new Date(), data: jobOf(c, e, run, s.frames) };
      await enqueue(queue, p, opts);
      pending.set(jobId, p);
    }
    await collect(c, opts, queue, run, pending, summary, items.length);
  } catch (err) {
    summary.status = isDeepscanError(err) && err.code === 'cancelled' ? 'cancelled' : 'failed';
    summary.error = errorMessage(err);
  }
  if (summary.status === 'completed' && summary.failed) summary.error = `${summary.failed} item(s) failed on every attempt: ${summary.failures.map((f) => `${f.path}: ${f.error}`).join('; ')}`;
  c.store.finishRun(runId, summary.status, summary.error, c.actor, { analyzed: summary.analyzed, skipped: summary.skipped, unreadable: summary.unreadable, integrityFailed: summary.integrityFailed, failed: summary.failed, queue: opts.target.display });
  return summary;
}

/** Polls the queue until every pending job is written or reported failed; survives Redis outages. */
async function collect(c: OpenedCase, opts: QueuedAnalyzeOptions, queue: Queue, run: RunSetup, pending: Map<string, Pending>, summary: QueuedSummary, total: number): Promise<void> {
  const emit = (e: QueueEvent) => opts.onEvent?.(e);
  const held = new Map<string, string>();
  const seen = new Map<string, string>();
  // Outages are seen on the connection itself: commands issued meanwhile just wait for it.
  let down = false;
  let lastError = 'connection lost';
  const client = await queue.client;
  const onError = (err: Error) => (lastError = err.message);
  const onClose = () => {
    if (down) return;
    down = true;
    emit({ type: 'queue-unavailable', message: queueUnavailable(opts.target, lastError).message });
  };
  client.on('error', onError);
  client.on('close', onClose);
  try {
    await poll();
  } finally {
    client.off('error', onError);
    client.off('close', onClose);
  }

  async function poll(): Promise<void> {
    while (pending.size) {
      if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'analysis was cancelled (queued jobs stay in the queue; a rerun collects them)');
      // Only this run's jobs are read (by id, pipelined): other cases' results never travel here.
      const done: Job[] = [];
      const active: Job[] = [];
      try {
        const list = [...pending.values()];
        const jobs = await Promise.all(list.map((p) => queue.getJob(p.jobId)));
        for (const [i, j] of jobs.entries()) {
          // A Redis restarted without persistence has lost its jobs: enqueue again what is missing.
          if (!j) await enqueue(queue, list[i], opts);
          else if (j.finishedOn) done.push(j);
          else if (j.processedOn) active.push(j);
        }
        if (down) emit({ type: 'queue-back' });
        down = false;
      } catch (err) {
        if (!down) emit({ type: 'queue-unavailable', message: queueUnavailable(opts.target, err).message });
        down = true;
        await sleep(1000);
        continue;
      }
      for (const j of active) {
        const p = j.id ? pending.get(j.id) : undefined;
        const prog = j.progress as { worker?: unknown; stage?: unknown; fraction?: unknown } | number;
        if (!p || typeof prog !== 'object' || typeof prog.worker !== 'string') continue;
        const key = `${prog.worker}|${String(prog.stage)}|${String(prog.fraction)}`;
        if (seen.get(p.jobId) === key) continue;
        seen.set(p.jobId, key);
        // A new holder: the first worker, or another one after a stalled (killed) worker's job was retried.
        if (held.get(p.jobId) !== prog.worker) emit({ type: 'item-held', path: p.e.relPath, worker: prog.worker.slice(0, 200), stage: String(prog.stage).slice(0, 40), fraction: Number(prog.fraction) || 0 });
        held.set(p.jobId, prog.worker);
        emit({ type: 'item-progress', path: p.e.relPath, stage: `${String(prog.stage).slice(0, 40)} on ${prog.worker.slice(0, 200)}`, fraction: Number(prog.fraction) || 0, index: p.index, total });
      }
      for (const j of done) {
        const p = j.id ? pending.get(j.id) : undefined;
        if (!p) continue;
        const base = { path: p.e.relPath, index: p.index, total };
        if (j.finishedOn && j.failedReason && !j.returnvalue) {
          // Failed on every attempt: reported with its cause; nothing is written, a rerun tries again.
          const m = /^([a-z-]+): ([\s\S]*)$/.exec(j.failedReason);
          const f = { path: p.e.relPath, code: m ? m[1] : 'job-failed', error: m ? m[2] : j.failedReason };
          summary.failed++;
          summary.failures.push(f);
          emit({ type: 'item-failed', ...f });
          emit({ type: 'item-finished', ...base, status: 'pending', error: `${f.code}: ${f.error}`, skipped: false, score: null });
          // Reported and recorded with the run: no need to keep it in Redis (a rerun enqueues it afresh).
          await j.remove().catch(() => {});
          pending.delete(p.jobId);
          continue;
        }
        await writeResult(c, run, p, j, summary, emit, base);
        // Removed only once written: a coordinator killed before this line finds the item written and skips it.
        await j.remove().catch(() => {});
        pending.delete(p.jobId);
      }
      if (pending.size) await sleep(opts.pollMs ?? 300);
    }
  }
}

async function writeResult(
  c: OpenedCase, run: RunSetup, p: Pending, j: Job, summary: QueuedSummary, emit: (e: QueueEvent) => void,
  base: { path: string; index: number; total: number },
): Promise<void> {
  const where = `${p.e.relPath}: result of job ${j.id}`;
  let result;
  let worker;
  try {
    const r = j.returnvalue as JobReturn;
    if (!r || typeof r !== 'object' || typeof r.digest !== 'string' || !r.payload) throw new DeepscanError('job-invalid', `${where} has no payload and digest`);
    if (payloadDigest(r.payload) !== r.digest) throw new DeepscanError('job-invalid', `${where}: its digest does not match its content (altered in the queue)`);
    const pj = r.payload.job;
    if (r.payload.v !== JOB_VERSION || pj?.caseId !== c.info.id || pj.relPath !== p.e.relPath || pj.sha256 !== p.e.sha256 || pj.classifyKey !== run.keys.classifyKey) {
      throw new DeepscanError('job-invalid', `${where} is for another item, file version or parameters`);
    }
    result = deserialiseResult(r.payload.result, Object.keys(run.modelShas), 'result');
    const w = r.payload.worker;
    if (!w || typeof w.name !== 'string' || typeof w.host !== 'string' || typeof w.softwareVersion !== 'string' || !Number.isInteger(w.pid) || (w.executionProvider !== null && typeof w.executionProvider !== 'string')) {
      throw new DeepscanError('job-invalid', `${where}: the worker's description is malformed`);
    }
    worker = { name: w.name.slice(0, 300), host: w.host.slice(0, 255), pid: w.pid, softwareVersion: w.softwareVersion.slice(0, 64), executionProvider: w.executionProvider?.slice(0, 64) ?? null };
  } catch (err) {
    const f = { path: p.e.relPath, code: isDeepscanError(err) ? err.code : 'job-invalid', error: errorMessage(err) };
    summary.failed++;
    summary.failures.push(f);
    emit({ type: 'item-failed', ...f });
    emit({ type: 'item-finished', ...base, status: 'pending', error: `${f.code}: ${f.error}`, skipped: false, score: null });
    return;
  }
  // The result counts only if the file here still is the one registered when the job was queued.
  const changed = await checkAfterDecode(c.store, p.e, join(c.folder, ...p.e.relPath.split('/')), p.since, c.actor);
  if (changed) {
    summary.integrityFailed++;
    emit({ type: 'item-finished', ...base, status: 'integrity-failed', error: c.store.getEvidence(p.e.id)?.error ?? changed.detail, skipped: false, score: null });
    return;
  }
  saveItemResult(c, run, p.e, result, worker.executionProvider, worker);
  if (result.status === 'analyzed') summary.analyzed++;
  else summary.unreadable++;
  emit({ type: 'item-finished', ...base, status: result.status, error: result.error, skipped: false, score: result.verdict?.score ?? null });
}

function jobOf(c: OpenedCase, e: EvidenceRecord, run: RunSetup, frames: number): ItemJob {
  return {
    v: JOB_VERSION, caseId: c.info.id, caseFolder: c.folder, relPath: e.relPath, sha256: e.sha256!, size: e.size ?? 0,
    kind: e.kind === 'image' ? 'image' : 'video', errorCode: e.errorCode, error: e.error,
    probe: {
      container: e.container, codec: e.codec, pixelFormat: e.pixelFormat, durationSec: e.durationSec, fps: e.fps, width: e.width, height: e.height,
      rotation: e.rotation, frameCount: e.frameCount, frameCountSource: e.frameCountSource, containerFrameCount: e.containerFrameCount,
      audioCodecs: e.audioCodecs, videoStreamIndex: e.videoStreamIndex,
    },
    frames, models: run.modelShas, detector: run.params.detector.nets, keys: run.keys,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (err: unknown) => { clearTimeout(t); reject(err instanceof Error ? err : new Error(String(err))); });
  });
}
