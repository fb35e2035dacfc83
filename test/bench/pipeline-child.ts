/**
 * One configuration of the per-video pipeline bench (pipeline.ts), run in its own process so
 * that the peak RSS it reports (getrusage maxRSS) belongs to this configuration alone. Analyses
 * one video in a fresh case with the given installed models on the CPU and prints one JSON
 * line: stage times, faces, the scoring strategy the planner chose, peak RSS, and a digest of
 * every face's logits per model (so that configurations can be checked for identical results).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCase } from '../../main/engine/case/open-case.js';
import { analyzeCase } from '../../main/engine/pipeline/analyze-case.js';
import { newStageTimings } from '../../main/engine/pipeline/analyze-item.js';
import { planScoring } from '../../main/engine/pipeline/model-major.js';
import { tempDir } from '../helpers/paths.js';

export interface ChildArgs {
  home: string;
  models: string[];
  video: string;
  frames: number;
  /** Bytes; absent: the planner's default budget. */
  memoryBudget?: number;
}

export interface ChildResult {
  strategy: string;
  budgetBytes: number;
  totalMs: number;
  decodeMs: number;
  detectMs: number;
  classifyMs: number;
  loadMs: number;
  faces: number;
  maxRssBytes: number;
  score: number | null;
  /** Model id → SHA-256 of its logits over the faces in frame then detection order. */
  logitDigests: Record<string, string>;
  status: string;
}

const args = JSON.parse(process.argv[2]) as ChildArgs;
const work = tempDir('deepscan-bench-case-');
try {
  const folder = join(work, 'evidence');
  mkdirSync(folder);
  copyFileSync(args.video, join(folder, 'clip.mp4'));
  const plan = await planScoring(args.home, args.models, args.memoryBudget);
  const c = await openCase({ folder, home: args.home });
  try {
    const timings = newStageTimings();
    const t0 = performance.now();
    const summary = await analyzeCase(c, { frames: args.frames, models: args.models, ep: 'cpu', memoryBudget: args.memoryBudget, timings });
    const totalMs = performance.now() - t0;
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    const a = c.store.getAnalysis(e.id);
    const faces = c.store.listFaces(e.id);
    const byId = c.store.faceScores(e.id);
    const logitDigests: Record<string, string> = {};
    for (const id of args.models) {
      const h = createHash('sha256');
      for (const f of faces) h.update(`${f.frameIndex}/${f.faceNo}:${byId.get(f.id)?.[id]?.logit ?? 'none'};`);
      logitDigests[id] = h.digest('hex').slice(0, 16);
    }
    const result: ChildResult = {
      strategy: plan.strategy, budgetBytes: plan.budgetBytes, totalMs, ...timings, faces: faces.length,
      maxRssBytes: process.resourceUsage().maxRSS * 1024, score: a?.score ?? null, logitDigests, status: summary.error ?? summary.status,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    c.store.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
