import { realpath, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, sep } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { makeScratchDir, removeStaleScratch } from '../case/scratch.js';
import { ClassifierEnsemble } from '../classify/ensemble.js';
import type { ExecutionProviderChoice } from '../classify/execution.js';
import { listModels } from '../classify/model-store.js';
import { mtcnnChecksums, mtcnnModelDir } from '../faces/detector-models.js';
import { MtcnnDetector } from '../faces/mtcnn.js';
import { hashFile, identityDifference } from '../ingest/hash.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import { analyzeItem } from '../pipeline/analyze-item.js';
import { analysisKeys, stageVersions } from '../pipeline/stages.js';
import type { EvidenceRecord } from '../store/case-store.js';
import { canonicalJson } from '../util/canonical-json.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { QUEUE_NAME, type QueueTarget } from './connection.js';
import { JOB_VERSION, MAX_RESULT_BYTES, payloadDigest, serialiseResult, validateJob, type ItemJob, type JobReturn, type ResultPayload, type WorkerInfo } from './job.js';

export interface WorkerOptions {
  target: QueueTarget;
  home: string;
  /** The case folder as this machine sees it; default: the coordinator's path in the job. */
  evidenceRoot?: string;
  concurrency?: number;
  ep?: ExecutionProviderChoice;
  /** Stalled-job detection: a job whose worker stops renewing its lock is retried after about this long. */
  lockMs?: number;
  onLog?: (line: string) => void;
}

export interface RunningWorker {
  name: string;
  close(): Promise<void>;
}

/** One pipeline per concurrent job: a detector and the ensembles loaded so far (by model set). */
interface Slot {
  detector: MtcnnDetector;
  ensembles: Map<string, ClassifierEnsemble>;
}

/**
 * Pulls evidence-item jobs and runs the same per-item pipeline as a local analysis. The bytes
 * are hashed before and after the decode and must be the registered ones; models are found by
 * their ONNX SHA-256 among this machine's imported models; nothing is written to the evidence
 * (decoded frames go to this worker's own scratch folder in $DEEPSCAN_HOME).
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const tools = await locateFfmpeg();
  const detectorDir = mtcnnModelDir();
  const detectorShas = mtcnnChecksums(detectorDir);
  await removeStaleScratch(opts.home);
  const tmpDir = await makeScratchDir(opts.home, 'worker');
  const name = `${hostname()}:${process.pid}`;
  const free: Slot[] = [];
  const all: Slot[] = [];
  const log = opts.onLog ?? (() => {});
  const lockMs = opts.lockMs ?? 30_000;

  const process_ = async (job: Job): Promise<JobReturn> => {
    const slot = free.pop() ?? (await newSlot(all));
    try {
      return await runJob(job, slot);
    } catch (err) {
      // BullMQ keeps only the message: put the code in front so the coordinator can name it.
      const code = isDeepscanError(err) ? err.code : 'internal';
      log(`✗ job ${job.id} (${describe(job.data)}): ${code}: ${errorMessage(err)}`);
      throw new Error(`${code}: ${errorMessage(err)}`);
    } finally {
      free.push(slot);
    }
  };

  const runJob = async (job: Job, slot: Slot): Promise<JobReturn> => {
    const j = validateJob(job.data);
    log(`→ ${j.relPath} (job ${job.id}, attempt ${job.attemptsMade + 1})`);
    for (const [net, sha] of Object.entries(j.detector)) {
      if (detectorShas[net] !== sha) throw new DeepscanError('model-missing', `${j.relPath}: the job needs face detector net ${net} with SHA-256 ${sha}; this worker has ${detectorShas[net] ?? 'none'} (another Deepscan version)`);
    }
    const keys = analysisKeys({ frames: j.frames, detector: j.detector, models: j.models }, stageVersions());
    if (keys.facesKey !== j.keys.facesKey || keys.classifyKey !== j.keys.classifyKey) {
      throw new DeepscanError('job-invalid', `${j.relPath}: the job's analysis keys differ from this worker's (stage versions of another Deepscan version: ${softwareVersion()} here)`);
    }
    const ensemble = await ensembleFor(slot, j);
    const absPath = await evidencePath(opts.evidenceRoot ?? j.caseFolder, j.relPath);
    // The bytes this worker decodes must be the registered ones, before and after the decode.
    const before = await hashFile(absPath);
    if (before.sha256 !== j.sha256) {
      throw new DeepscanError('evidence-changed', `${j.relPath}: ${absPath} has SHA-256 ${before.sha256}, not the registered ${j.sha256}; refused`, { file: j.relPath });
    }
    const result = await analyzeItem(evidenceOf(j), {
      tools: tools as FfmpegTools, absPath, tmpDir, frames: j.frames, detector: slot.detector, ensemble,
      onProgress: (stage, fraction) => void job.updateProgress({ worker: name, stage, fraction }).catch(() => {}),
    });
    const after = await hashFile(absPath);
    const diff = identityDifference(before.identity, after.identity);
    if (after.sha256 !== j.sha256 || diff) {
      throw new DeepscanError('evidence-changed', `${j.relPath}: ${absPath} changed while it was being analysed (${after.sha256 !== j.sha256 ? `SHA-256 now ${after.sha256}` : diff}); its results were discarded`, { file: j.relPath });
    }
    const worker: WorkerInfo = { name, host: hostname(), pid: process.pid, softwareVersion: softwareVersion(), executionProvider: ensemble ? ensemble.executionProviders : null };
    const payload: ResultPayload = { v: JOB_VERSION, job: { caseId: j.caseId, relPath: j.relPath, sha256: j.sha256, classifyKey: j.keys.classifyKey }, worker, result: serialiseResult(result) };
    const bytes = Buffer.byteLength(canonicalJson(payload));
    if (bytes > MAX_RESULT_BYTES) {
      throw new DeepscanError('too-large', `${j.relPath}: its result takes ${(bytes / 2 ** 20).toFixed(1)} MiB, over the queue's bound of ${MAX_RESULT_BYTES / 2 ** 20} MiB; analyse it locally`);
    }
    log(`✓ ${j.relPath} (${result.status}${result.verdict?.score != null ? `, score ${result.verdict.score.toFixed(4)}` : ''})`);
    return { payload, digest: payloadDigest(payload) };
  };

  const ensembleFor = async (slot: Slot, j: ItemJob): Promise<ClassifierEnsemble | null> => {
    const ids = Object.keys(j.models).sort();
    if (!ids.length) return null;
    const key = canonicalJson(j.models);
    const have = slot.ensembles.get(key);
    if (have) return have;
    const installed = await listModels(opts.home);
    for (const id of ids) {
      if (!installed.some((m) => m.id === id && m.onnxSha256 === j.models[id])) {
        throw new DeepscanError('model-missing', `${j.relPath}: the job needs model ${id} (ONNX SHA-256 ${j.models[id]}), which is not imported on this worker (${name}); import it with "deepscan models import"`);
      }
    }
    const e = await ClassifierEnsemble.load(opts.home, ids, opts.ep ?? 'auto');
    slot.ensembles.set(key, e);
    return e;
  };

  const newSlot = async (into: Slot[]): Promise<Slot> => {
    // The face detector runs on the CPU, as in a local run: faces must not depend on the machine.
    const s: Slot = { detector: await MtcnnDetector.load(detectorDir, { executionProviders: ['cpu'] }), ensembles: new Map() };
    into.push(s);
    return s;
  };

  const worker = new Worker(QUEUE_NAME, process_, {
    connection: { ...opts.target.connection, maxRetriesPerRequest: null },
    concurrency: opts.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
    // A job is retried after a killed worker; a job that stalls again and again fails (with its cause).
    maxStalledCount: 2,
    autorun: true,
  });
  let lastError = '';
  worker.on('error', (err: Error) => {
    const msg = `queue-unavailable: the job queue at ${opts.target.display} is unavailable (${errorMessage(err)}); retrying`;
    if (msg !== lastError) log(msg);
    lastError = msg;
  });
  worker.on('ready', () => {
    if (lastError) log(`the job queue at ${opts.target.display} is back`);
    lastError = '';
  });
  await worker.waitUntilReady();
  log(`worker ${name} (Deepscan ${softwareVersion()}) pulling jobs from ${opts.target.display}, concurrency ${opts.concurrency ?? 1}`);
  return {
    name,
    close: async () => {
      await worker.close();
      for (const s of all) {
        await s.detector.release();
        for (const e of s.ensembles.values()) await e.release();
      }
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}

/** The item's path below the case folder as this worker sees it; links may not leave it. */
async function evidencePath(root: string, relPath: string): Promise<string> {
  const abs = join(root, ...relPath.split('/'));
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(abs);
  } catch (err) {
    throw new DeepscanError('file-unreadable', `${relPath}: ${abs} cannot be read on this worker (${errorMessage(err)}); is the case folder mounted (--evidence-root)?`, { file: relPath });
  }
  if (!real.startsWith(realRoot + sep)) throw new DeepscanError('symlink-outside', `${relPath}: ${abs} leads outside the case folder ${root}; refused`, { file: relPath });
  return real;
}

function evidenceOf(j: ItemJob): EvidenceRecord {
  return {
    ...j.probe, id: 0, relPath: j.relPath, size: j.size, mtimeMs: null, sha256: j.sha256, kind: j.kind, status: 'pending', errorCode: j.errorCode, error: j.error,
    integrity: 'ok', firstSeenAt: '', lastVerifiedAt: null, dev: null, ino: null, ctimeMs: null,
  };
}

function describe(data: unknown): string {
  const p = (data as { relPath?: unknown } | null)?.relPath;
  return typeof p === 'string' ? p.slice(0, 200) : 'unreadable payload';
}
