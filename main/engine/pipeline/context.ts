import { rm } from 'node:fs/promises';
import { makeScratchDir, removeStaleScratch } from '../case/scratch.js';
import { mtcnnChecksums, mtcnnModelDir } from '../faces/detector-models.js';
import { MtcnnDetector } from '../faces/mtcnn.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import { DeepscanError } from '../util/errors.js';

/**
 * What every feature pipeline (analyse, re-score, compare, heatmap, dataset export) needs
 * around its own stages: the ffmpeg tools, the face detector, a scratch folder for decoded
 * frames, the cancellation signal and a progress sink. Set up in one place so that each
 * pipeline gets the same guarantees: the detector always runs on the CPU (faces must not
 * depend on the machine), decoded evidence goes only to an owned scratch folder that is
 * removed afterwards (and swept at the next start when its process died).
 */
export interface PipelineContext {
  readonly tools: FfmpegTools;
  /** SHA-256 of each bundled detector net (recorded with results). */
  readonly detectorShas: Record<string, string>;
  /** Owned scratch folder for this run's decoded frames. */
  readonly scratch: string;
  readonly signal: AbortSignal | undefined;
  /** The face detector, loaded on first use (a run that never detects never loads it). */
  detector(): Promise<MtcnnDetector>;
  /** Reports progress of one stage of the pipeline. */
  progress(stage: string, done: number, total: number): void;
  /** Throws 'cancelled' naming `what` once the signal has fired. */
  throwIfCancelled(what: string): void;
  /** Releases the detector (unless it was given) and removes the scratch folder. */
  close(): Promise<void>;
}

export interface PipelineContextOptions {
  /**
   * Where decoded frames go: a case workspace (an owned folder below its scratch/, stale ones
   * swept first), or { dir } for a folder the caller owns and keeps (e.g. the dataset export's).
   */
  scratch: { workspace: string; purpose: string } | { dir: string };
  tools?: FfmpegTools;
  /** A detector already loaded by the caller (kept open on close). */
  detector?: MtcnnDetector;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export async function createPipelineContext(opts: PipelineContextOptions): Promise<PipelineContext> {
  const tools = opts.tools ?? (await locateFfmpeg());
  const detectorDir = mtcnnModelDir();
  const detectorShas = mtcnnChecksums(detectorDir);
  let scratch: string;
  let ownsScratch = false;
  if ('dir' in opts.scratch) scratch = opts.scratch.dir;
  else {
    await removeStaleScratch(opts.scratch.workspace);
    scratch = await makeScratchDir(opts.scratch.workspace, opts.scratch.purpose);
    ownsScratch = true;
  }
  let loading: Promise<MtcnnDetector> | null = opts.detector ? Promise.resolve(opts.detector) : null;
  let closed = false;
  return {
    tools, detectorShas, scratch, signal: opts.signal,
    detector() {
      if (closed) throw new Error('pipeline context used after close');
      loading ??= MtcnnDetector.load(detectorDir, { executionProviders: ['cpu'] });
      return loading;
    },
    progress: (stage, done, total) => opts.onProgress?.(stage, done, total),
    throwIfCancelled(what) {
      if (opts.signal?.aborted) throw new DeepscanError('cancelled', `${what} was cancelled`);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (loading && !opts.detector) await (await loading.catch(() => null))?.release();
      } finally {
        if (ownsScratch) await rm(scratch, { recursive: true, force: true });
      }
    },
  };
}

/** Runs `fn` with a fresh context and always closes it. */
export async function withPipelineContext<T>(opts: PipelineContextOptions, fn: (ctx: PipelineContext) => Promise<T>): Promise<T> {
  const ctx = await createPipelineContext(opts);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
