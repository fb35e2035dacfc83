/**
 * Memory-bounded scoring. The streaming path keeps every model's session open while frames flow
 * through detection and classification; for a large ensemble (7 × B7) that can exceed the
 * machine. The model-major path instead scores the stored lossless crops after detection: load
 * one model, score every pending face of the case, release it, load the next. The crops are
 * PNG (lossless) and the canvases are prepared by the same code, so each model sees the same
 * input tensors and, on the CPU, gives bit-identical scores (the batch size does not change them either).
 */
import { stat } from 'node:fs/promises';
import { freemem } from 'node:os';
import { ClassifierEnsemble, type FaceScore } from '../classify/ensemble.js';
import type { ExecutionProviderChoice } from '../classify/execution.js';
import { getModel } from '../classify/model-store.js';
import { prepareFace } from '../classify/preprocess.js';
import type { Image8 } from '../image/image.js';
import { decodePng } from '../image/png.js';
import type { StoredFace } from '../store/case-store.js';
import { DeepscanError } from '../util/errors.js';
import type { StageTimings } from './analyze-item.js';

export type ScoringStrategy = 'streaming' | 'model-major';

/**
 * Resident bytes of one onnxruntime CPU session: about its ONNX size in weights plus a fixed part
 * (thread pool, allocator arena, activations at 380 × 380). `npm run bench -- --attention --b7`
 * measured +278 MiB RSS for a 243 MiB B7 after one run and +134 MiB for a 15 MiB B0; the
 * constants below cover both with a margin, so that the estimate errs towards model-major.
 */
export const SESSION_BYTES_PER_ONNX_BYTE = 1.2;
export const SESSION_OVERHEAD_BYTES = 150 * 2 ** 20;
/**
 * The process besides the classifiers: Node, the face detector, one video's decoded frames
 * (streaming), or the cached canvases (model-major: CANVAS_CACHE_BYTES, once the frames are gone).
 */
export const WORKING_SET_BYTES = 600 * 2 ** 20;

export interface ScoringPlan {
  strategy: ScoringStrategy;
  /** Estimated peak bytes of the streaming path (all sessions open). */
  streamingBytes: number;
  /** Estimated peak bytes of the model-major path (the largest single session). */
  modelMajorBytes: number;
  budgetBytes: number;
}

/**
 * Ceiling of the default budget. Three quarters of the free memory alone would let a 24 GB
 * machine hold all seven B7 sessions at once (estimated 3.7 GB, measured 3.69 GB peak), beyond
 * the 3 GB an ensemble must fit on a modest workstation; model-major gives the same scores
 * (model-major.test.ts), so the default stays under 3 GiB and `--memory-budget` raises it.
 */
export const DEFAULT_BUDGET_CEILING_BYTES = 3 * 2 ** 30;

/** Default budget: the smaller of three quarters of the free memory (the rest for the OS and other work) and the ceiling. */
export function defaultMemoryBudget(free = freemem()): number {
  return Math.min(Math.floor(free * 0.75), DEFAULT_BUDGET_CEILING_BYTES);
}

/** Estimated resident bytes of one CPU session for an ONNX file of this size. */
export function sessionBytes(onnxBytes: number): number {
  return onnxBytes * SESSION_BYTES_PER_ONNX_BYTE + SESSION_OVERHEAD_BYTES;
}

/** Streaming when every session fits the budget at once, model-major otherwise. */
export async function planScoring(home: string, modelIds: readonly string[], budgetBytes = defaultMemoryBudget()): Promise<ScoringPlan> {
  const sizes = await Promise.all(modelIds.map(async (id) => (await stat((await getModel(home, id)).onnxPath)).size));
  return planForSizes(sizes, budgetBytes);
}

/** The plan for models of these ONNX sizes (bytes); pure, so the default decision is testable without real models. */
export function planForSizes(onnxSizes: readonly number[], budgetBytes = defaultMemoryBudget()): ScoringPlan {
  const sizes = onnxSizes.map(sessionBytes);
  const streamingBytes = sizes.reduce((a, b) => a + b, 0) + WORKING_SET_BYTES;
  const modelMajorBytes = Math.max(0, ...sizes) + WORKING_SET_BYTES;
  const strategy: ScoringStrategy = sizes.length > 1 && streamingBytes > budgetBytes ? 'model-major' : 'streaming';
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
 * Bytes of classifier canvases kept between models (about 300 faces of 380 × 380 RGB, 433 kB
 * each). Decoding a stored PNG crop and preparing its canvas took about 40 + 80 ms per face on
 * 2 cores (npm run bench, loaded machine), paid once per model without the cache: for 7 models
 * and a 96-face video about 6 × 96 × 120 ms ≈ 70 s. Faces beyond the cap are prepared again
 * for every model, so memory stays bounded whatever the case's size.
 */
export const CANVAS_CACHE_BYTES = 128 * 2 ** 20;

/** Prepared canvases by face id, kept while they fit `capBytes`; the canvas is the same either way. */
class CanvasCache {
  private readonly kept = new Map<number, Image8>();
  private bytes = 0;
  constructor(private readonly capBytes: number) {}

  get(face: StoredFace): Image8 {
    const hit = this.kept.get(face.id);
    if (hit) return hit;
    const canvas = prepareFace(decodePng(face.cropPng));
    if (this.bytes + canvas.data.length <= this.capBytes) {
      this.kept.set(face.id, canvas);
      this.bytes += canvas.data.length;
    }
    return canvas;
  }
}

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
  opts: { signal?: AbortSignal; onProgress?: (model: string, fraction: number) => void; timings?: StageTimings } = {},
): Promise<{ scores: Map<number, Map<number, Record<string, FaceScore>>>; executionProviders: string }> {
  const scores = new Map(items.map((it) => [it.key, new Map<number, Record<string, FaceScore>>()]));
  const eps = new Set<string>();
  const total = items.reduce((n, it) => n + it.faces.length, 0);
  const canvases = new CanvasCache(CANVAS_CACHE_BYTES);
  for (const [m, id] of modelIds.entries()) {
    const loadStarted = performance.now();
    const one = await ClassifierEnsemble.load(home, [id], ep);
    const scoreStarted = performance.now();
    if (opts.timings) opts.timings.loadMs += scoreStarted - loadStarted;
    eps.add(one.executionProviders);
    try {
      let done = 0;
      for (const it of items) {
        const scorable = it.faces.filter((f) => f.cropWidth > 0 && f.cropHeight > 0);
        // Chunks bound the canvases held at once beyond the cache (16 × 433 kB) whatever the case's size.
        for (let i = 0; i < scorable.length; i += 16) {
          if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'analysis was cancelled');
          const chunk = scorable.slice(i, i + 16);
          // The provider's own batch size (1 on the CPU), as streaming. Batch 8 was used here
          // before; on a B7 on 2 cores interleaved A/B runs measured it at 1.15–1.38× batch 1's
          // time per face (batch 2 1.05×, 4 1.19×) whenever other work left the cores free;
          // logits are bit-identical at every batch size (model-major.test.ts: 1, 3 and 8).
          const list = (await one.score(chunk.map((f) => canvases.get(f)), it.context)).get(id)!;
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
      if (opts.timings) opts.timings.classifyMs += performance.now() - scoreStarted;
    }
  }
  return { scores, executionProviders: [...eps].join(',') || 'none' };
}
