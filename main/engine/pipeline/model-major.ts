/**
 * Memory-bounded scoring. The streaming path keeps every model's session open while frames flow
 * through detection and classification; for a large ensemble (7 × B7) that can exceed the
 * machine. The model-major path instead scores the stored lossless crops after detection: load
 * one model, score every pending face of the case, release it, load the next. The crops are
 * PNG (lossless) and the canvases are prepared by the same code, so each model sees the same
 * input tensors and, on the CPU (batch 1 in both paths), gives bit-identical scores.
 */
import { stat } from 'node:fs/promises';
import { freemem } from 'node:os';
import { ClassifierEnsemble, type FaceScore } from '../classify/ensemble.js';
import type { ExecutionProviderChoice } from '../classify/execution.js';
import { getModel } from '../classify/model-store.js';
import { prepareFace } from '../classify/preprocess.js';
import { decodePng } from '../image/png.js';
import type { StoredFace } from '../store/case-store.js';
import { DeepscanError } from '../util/errors.js';

export type ScoringStrategy = 'streaming' | 'model-major';

/**
 * Resident bytes of one onnxruntime CPU session: about its ONNX size in weights plus a fixed part
 * (thread pool, allocator arena, activations at 380 × 380). `npm run bench -- --attention --b7`
 * measured +278 MiB RSS for a 243 MiB B7 after one run and +134 MiB for a 15 MiB B0; the
 * constants below cover both with a margin, so that the estimate errs towards model-major.
 */
export const SESSION_BYTES_PER_ONNX_BYTE = 1.2;
export const SESSION_OVERHEAD_BYTES = 150 * 2 ** 20;
/** The process besides the classifiers: Node, the face detector, one video's decoded frames. */
export const WORKING_SET_BYTES = 600 * 2 ** 20;

export interface ScoringPlan {
  strategy: ScoringStrategy;
  /** Estimated peak bytes of the streaming path (all sessions open). */
  streamingBytes: number;
  /** Estimated peak bytes of the model-major path (the largest single session). */
  modelMajorBytes: number;
  budgetBytes: number;
}

/** Default budget: three quarters of the memory free now (the rest for the OS and other work). */
export function defaultMemoryBudget(): number {
  return Math.floor(freemem() * 0.75);
}

/** Streaming when every session fits the budget at once, model-major otherwise. */
export async function planScoring(home: string, modelIds: readonly string[], budgetBytes = defaultMemoryBudget()): Promise<ScoringPlan> {
  const sizes = await Promise.all(modelIds.map(async (id) => (await stat((await getModel(home, id)).onnxPath)).size * SESSION_BYTES_PER_ONNX_BYTE + SESSION_OVERHEAD_BYTES));
  const streamingBytes = sizes.reduce((a, b) => a + b, 0) + WORKING_SET_BYTES;
  const modelMajorBytes = Math.max(0, ...sizes) + WORKING_SET_BYTES;
  const strategy: ScoringStrategy = modelIds.length > 1 && streamingBytes > budgetBytes ? 'model-major' : 'streaming';
  return { strategy, streamingBytes, modelMajorBytes, budgetBytes };
}

/** Parses `--memory-budget`: bytes, or a number with K/M/G (binary units), e.g. 3G. */
export function parseMemoryBudget(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(v.trim());
  if (!m) throw new DeepscanError('invalid-argument', `--memory-budget must be a size such as 3G or 2048M (got "${v}")`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  const n = Number(m[1]) * (unit === 'k' ? 2 ** 10 : unit === 'm' ? 2 ** 20 : unit === 'g' ? 2 ** 30 : 1);
  if (!Number.isFinite(n) || n < 64 * 2 ** 20) throw new DeepscanError('invalid-argument', `--memory-budget must be at least 64M (got "${v}")`);
  return Math.floor(n);
}

/**
 * Faces per inference call in model-major scoring. One session is open, so a batch's larger
 * activations fit; on the CPU a batch of 8 gave bit-identical logits to batch 1 for B0 and B7
 * (onnxruntime-node 1.30) and B7 ran at 484 against 660 ms/face (npm run bench -- --b7, 2 cores).
 * The streaming path scores per frame (a few faces) and keeps the providers' own batch size.
 */
export const MODEL_MAJOR_BATCH = 8;

export interface PendingItem {
  key: number;
  faces: readonly StoredFace[];
  context: string;
}

/**
 * Scores every pending item's stored faces model by model; one session is open at a time.
 * Returns item key → face id → model id → score, and the providers the sessions used.
 */
export async function scoreModelMajor(
  home: string, modelIds: readonly string[], ep: ExecutionProviderChoice, items: readonly PendingItem[],
  /** onProgress: the model being run and the fraction of all (model, face) inferences done. */
  opts: { signal?: AbortSignal; onProgress?: (model: string, fraction: number) => void } = {},
): Promise<{ scores: Map<number, Map<number, Record<string, FaceScore>>>; executionProviders: string }> {
  const scores = new Map(items.map((it) => [it.key, new Map<number, Record<string, FaceScore>>()]));
  const eps = new Set<string>();
  const total = items.reduce((n, it) => n + it.faces.length, 0);
  for (const [m, id] of modelIds.entries()) {
    const one = await ClassifierEnsemble.load(home, [id], ep);
    eps.add(one.executionProviders);
    try {
      let done = 0;
      for (const it of items) {
        const scorable = it.faces.filter((f) => f.cropWidth > 0 && f.cropHeight > 0);
        // Chunks bound the canvases held at once (16 × 433 kB) whatever the case's size.
        for (let i = 0; i < scorable.length; i += 16) {
          if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'analysis was cancelled');
          const chunk = scorable.slice(i, i + 16);
          const list = (await one.score(chunk.map((f) => prepareFace(decodePng(f.cropPng))), it.context, MODEL_MAJOR_BATCH)).get(id)!;
          const byFace = scores.get(it.key)!;
          chunk.forEach((f, k) => {
            const rec = byFace.get(f.id) ?? {};
            rec[id] = list[k];
            byFace.set(f.id, rec);
          });
          done += chunk.length;
          opts.onProgress?.(id, (m + done / Math.max(1, total)) / modelIds.length);
        }
        done += it.faces.length - scorable.length;
      }
    } finally {
      await one.release();
    }
  }
  return { scores, executionProviders: [...eps].join(',') || 'none' };
}
