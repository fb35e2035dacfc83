import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EvidenceStatus } from '../../../common/api.js';
import { acquireAnalysisLock, isProcessAlive } from '../case/lock.js';
import type { OpenedCase } from '../case/open-case.js';
import type { Verdict } from '../classify/aggregate.js';
import { ClassifierEnsemble } from '../classify/ensemble.js';
import { cudaProviderInstalled, type ExecutionProvider, type ExecutionProviderChoice } from '../classify/execution.js';
import { listModels } from '../classify/model-store.js';
import type { MtcnnDetector } from '../faces/mtcnn.js';
import { SEED_FACTOR, SEED_MIN_FACE, SEED_THRESHOLDS } from '../faces/seed-faces.js';
import { checkAfterDecode, checkBeforeDecode } from '../ingest/decode-guard.js';
import { ingestCaseFolder, type IngestSummary } from '../ingest/ingest.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import type { EvidenceRecord, ModelResultRow, NewAnalysis } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { analyzeItem, rescoreStoredFaces, verdictFor, type ItemResult, type StageTimings } from './analyze-item.js';
import { planScoring, scoreModelMajor } from './model-major.js';
import { createPipelineContext } from './context.js';
import { analysisKeys, DEFAULT_FRAMES, stageVersions } from './stages.js';

export type AnalysisEvent =
  | { type: 'verify-progress'; done: number; total: number; path: string }
  | { type: 'run-started'; runId: number; total: number; models: string[]; executionProvider: string | null }
  | { type: 'item-started'; path: string; index: number; total: number }
  | { type: 'item-progress'; path: string; stage: string; fraction: number; index: number; total: number }
  | { type: 'item-finished'; path: string; status: EvidenceStatus; error: string | null; skipped: boolean; score: number | null; index: number; total: number };

export interface AnalyzeOptions {
  /** Frames sampled per video (default 32). */
  frames?: number;
  /** Classifier model ids; default: every installed model. An empty list scores nothing. */
  models?: string[];
  ep?: ExecutionProviderChoice;
  signal?: AbortSignal;
  onEvent?: (e: AnalysisEvent) => void;
  tools?: FfmpegTools;
  /**
   * Test-only: called at the points an attacker would use to swap a file (after the folder is
   * verified; after an item's pre-decode identity check, just before ffmpeg opens it; after its
   * decode, before the re-hash). Production callers never set it.
   */
  hooks?: AnalyzeHooks;
  /**
   * Bytes the classifier sessions may take (default: from the free memory). An ensemble whose
   * estimate exceeds it is scored model-major over the stored crops (pipeline/model-major.ts).
   */
  memoryBudget?: number;
  /** Accumulates the time per stage over the run (npm run bench); results do not depend on it. */
  timings?: StageTimings;
}

export interface AnalyzeHooks {
  afterIngest?(): Promise<void> | void;
  beforeDecode?(relPath: string): Promise<void> | void;
  afterDecode?(relPath: string): Promise<void> | void;
}

export interface AnalyzeSummary {
  runId: number;
  status: 'completed' | 'cancelled' | 'failed';
  ingest: IngestSummary;
  analyzed: number;
  rescored: number;
  skipped: number;
  unreadable: number;
  /** Items refused or discarded because the file changed between its hash and its decode. */
  integrityFailed: number;
  models: string[];
  executionProvider: string | null;
  error: string | null;
}

/**
 * Verifies the evidence folder, then analyses each media item that has no current result for
 * these parameters, models and stage versions. Each item's results are written in one
 * transaction, so a crash or Ctrl-C leaves only complete items and the next run resumes where
 * this one stopped. When only the classifiers changed, stored face crops are re-scored
 * without decoding the video again.
 */
export async function analyzeCase(c: OpenedCase, opts: AnalyzeOptions = {}): Promise<AnalyzeSummary> {
  const frames = opts.frames ?? DEFAULT_FRAMES;
  if (!Number.isInteger(frames) || frames < 1 || frames > 1000) {
    throw new DeepscanError('invalid-argument', `--frames must be an integer from 1 to 1000 (got ${frames})`);
  }
  const tools = opts.tools ?? (await locateFfmpeg());
  const installed = await listModels(c.home);
  const modelIds = opts.models ?? installed.map((m) => m.id);
  for (const id of modelIds) {
    if (!installed.some((m) => m.id === id)) throw new DeepscanError('model-invalid', `model ${id} is not installed; see "deepscan models list"`);
  }
  const release = await acquireAnalysisLock(c.workspace);
  // Decoded frames of evidence: in the case workspace, owned, and swept after a crash.
  const ctx = await createPipelineContext({ scratch: { workspace: c.workspace, purpose: 'analyze' }, tools, signal: opts.signal }).catch(async (e: unknown) => {
    await release();
    throw e;
  });
  const { detectorShas, scratch: tmpDir } = ctx;
  let detector: MtcnnDetector | null = null;
  let ensemble: ClassifierEnsemble | null = null;
  try {
    c.store.markInterruptedRuns(isProcessAlive, c.actor);
    const ingest = await ingestCaseFolder(c.store, c.folder, tools, c.actor, {
      signal: opts.signal,
      onProgress: (p) => opts.onEvent?.({ type: 'verify-progress', ...p }),
    });
    await opts.hooks?.afterIngest?.();
    // The face detector runs on the CPU: its results must not depend on the machine.
    detector = await ctx.detector();
    const plan = await planScoring(c.home, modelIds, opts.memoryBudget);
    const modelMajor = plan.strategy === 'model-major';
    const loadStarted = performance.now();
    ensemble = modelIds.length && !modelMajor ? await ClassifierEnsemble.load(c.home, modelIds, opts.ep ?? 'auto') : null;
    if (opts.timings) opts.timings.loadMs += performance.now() - loadStarted;
    const manifests = ensemble ? ensemble.models.map((m) => m.manifest) : modelIds.map((id) => installed.find((m) => m.id === id)!);
    const modelShas = Object.fromEntries(manifests.map((m) => [m.id, m.onnxSha256]));
    for (const m of manifests) c.store.recordCaseModel(m.id, m.onnxSha256, m);
    const { versions, keys, detectorInfo, params } = runSetup(frames, modelIds, modelShas, detectorShas);
    // Model-major: the provider each session really used is recorded with the scores (replaceScores).
    const ep = ensemble ? ensemble.executionProviders : modelMajor ? plannedProvider(opts.ep ?? 'auto') : null;
    // Model-major: items are first stored with faces only (these keys), then scored model by model.
    const facesOnly = runSetup(frames, [], {}, detectorShas);
    const pending: { e: EvidenceRecord; base: { path: string; index: number; total: number }; fresh: boolean }[] = [];
    const runId = c.store.startRun({ params, softwareVersion: softwareVersion(), stageVersions: versions, executionProvider: ep, host: hostname(), pid: process.pid }, c.actor);
    const summary: AnalyzeSummary = { runId, status: 'completed', ingest, analyzed: 0, rescored: 0, skipped: 0, unreadable: 0, integrityFailed: 0, models: modelIds, executionProvider: ep, error: null };
    const items = c.store.listEvidence().filter((e) => e.kind !== 'other' && e.status !== 'not-media' && e.status !== 'integrity-failed' && e.sha256 !== null);
    opts.onEvent?.({ type: 'run-started', runId, total: items.length, models: modelIds, executionProvider: ep });
    try {
      for (const [index, e] of items.entries()) {
        if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'analysis was cancelled');
        const base = { path: e.relPath, index, total: items.length };
        const current = c.store.getAnalysis(e.id);
        const sameItem = current !== null && current.evidenceSha256 === e.sha256 && current.status === 'analyzed';
        if (sameItem && current.classifyKey === keys.classifyKey) {
          summary.skipped++;
          opts.onEvent?.({ type: 'item-finished', ...base, status: e.status, error: e.error, skipped: true, score: current.score });
          continue;
        }
        opts.onEvent?.({ type: 'item-started', ...base });
        if (sameItem && current.facesKey === keys.facesKey && modelMajor) {
          pending.push({ e, base, fresh: false });
          continue;
        }
        if (sameItem && current.facesKey === keys.facesKey) {
          const { scores, verdict } = await rescoreStoredFaces(c.store.listFaces(e.id), ensemble, e.relPath);
          c.store.replaceScores(current.id, {
            runId, paramsKey: keys.classifyKey, classifyKey: keys.classifyKey, params, stageVersions: versions, score: verdict.score,
            scoreNote: verdict.note, executionProvider: ep, modelResults: modelRows(verdict, modelShas), faceScores: scores,
          }, c.actor);
          summary.rescored++;
          opts.onEvent?.({ type: 'item-finished', ...base, status: 'analyzed', error: null, skipped: false, score: verdict.score });
          continue;
        }
        const absPath = join(c.folder, ...e.relPath.split('/'));
        const refused = await checkBeforeDecode(c.store, e, absPath, c.actor);
        if (refused) {
          summary.integrityFailed++;
          opts.onEvent?.({ type: 'item-finished', ...base, status: 'integrity-failed', error: c.store.getEvidence(e.id)?.error ?? refused.detail, skipped: false, score: null });
          continue;
        }
        await opts.hooks?.beforeDecode?.(e.relPath);
        const decodeStarted = new Date();
        const result = await analyzeItem(e, {
          tools, absPath, tmpDir, frames, detector, ensemble, signal: opts.signal, timings: opts.timings,
          onProgress: (stage, fraction) => opts.onEvent?.({ type: 'item-progress', ...base, stage, fraction }),
        });
        await opts.hooks?.afterDecode?.(e.relPath);
        // ffmpeg read the file by path: only bytes that still hash (and stat) as registered count.
        const changed = await checkAfterDecode(c.store, e, absPath, decodeStarted, c.actor);
        if (changed) {
          summary.integrityFailed++;
          opts.onEvent?.({ type: 'item-finished', ...base, status: 'integrity-failed', error: c.store.getEvidence(e.id)?.error ?? changed.detail, skipped: false, score: null });
          continue;
        }
        // Computation is done; the write below is short and all-or-nothing.
        if (modelMajor && result.status === 'analyzed') {
          saveItemResult(c, { runId, keys: facesOnly.keys, params: facesOnly.params, versions, detectorInfo, modelShas: {} }, e, result, null);
          pending.push({ e, base, fresh: true });
          continue;
        }
        saveItemResult(c, { runId, keys, params, versions, detectorInfo, modelShas }, e, result, ep);
        if (result.status === 'analyzed') summary.analyzed++;
        else summary.unreadable++;
        opts.onEvent?.({ type: 'item-finished', ...base, status: result.status, error: result.error, skipped: false, score: result.verdict?.score ?? null });
      }
      if (pending.length) {
        const items = pending.map((p) => ({ key: p.e.id, faces: c.store.listFaces(p.e.id), context: p.e.relPath }));
        const scored = await scoreModelMajor(c.home, modelIds, opts.ep ?? 'auto', items, {
          signal: opts.signal, timings: opts.timings,
          // One progress line for the whole model-major pass (every pending item, model by model).
          onProgress: (model, fraction) => opts.onEvent?.({ type: 'item-progress', path: `${items.length} item(s), model ${model}`, stage: 'scores', fraction, index: 0, total: 1 }),
        });
        summary.executionProvider = scored.executionProviders;
        for (const [k, p] of pending.entries()) {
          const faceScores = scored.scores.get(p.e.id)!;
          const verdict = verdictFor(items[k].faces.map((f) => faceScores.get(f.id) ?? {}), modelIds);
          const analysisId = c.store.getAnalysis(p.e.id)!.id;
          c.store.replaceScores(analysisId, {
            runId, paramsKey: keys.classifyKey, classifyKey: keys.classifyKey, params, stageVersions: versions, score: verdict.score,
            scoreNote: verdict.note, executionProvider: scored.executionProviders, modelResults: modelRows(verdict, modelShas), faceScores,
          }, c.actor);
          if (p.fresh) summary.analyzed++;
          else summary.rescored++;
          opts.onEvent?.({ type: 'item-finished', ...p.base, status: 'analyzed', error: null, skipped: false, score: verdict.score });
        }
      }
    } catch (err) {
      summary.status = isDeepscanError(err) && err.code === 'cancelled' ? 'cancelled' : 'failed';
      summary.error = errorMessage(err);
    }
    c.store.finishRun(runId, summary.status, summary.error, c.actor, { analyzed: summary.analyzed, rescored: summary.rescored, skipped: summary.skipped, unreadable: summary.unreadable, integrityFailed: summary.integrityFailed });
    return summary;
  } finally {
    await ctx.close(); // the detector and the scratch folder
    await ensemble?.release();
    await release();
  }
}

/** What a run's parameters and stage versions make of its keys; shared by the local and the queued run. */
export function runSetup(frames: number, modelIds: string[], modelShas: Record<string, string>, detectorShas: Record<string, string>) {
  const versions = stageVersions();
  const keys = analysisKeys({ frames, detector: detectorShas, models: modelShas }, versions);
  const detectorInfo = { name: 'mtcnn', nets: detectorShas, thresholds: SEED_THRESHOLDS, minFaceSize: SEED_MIN_FACE, factor: SEED_FACTOR, downscale: 'pillow-bicubic-half', executionProvider: 'cpu' };
  const params = { frames, models: modelIds, modelOnnxSha256: modelShas, detector: detectorInfo };
  return { versions, keys, detectorInfo, params };
}

export type RunSetup = ReturnType<typeof runSetup> & { runId: number; modelShas: Record<string, string> };

/**
 * Writes one item's results in one transaction (the signed audit entry and its digest come
 * from saveAnalysis). `worker`: the queue worker that computed them, recorded in the entry.
 */
export function saveItemResult(c: OpenedCase, run: RunSetup, e: EvidenceRecord, result: ItemResult, ep: string | null, worker?: NewAnalysis['worker']): void {
  const { runId, keys, params, versions, detectorInfo, modelShas } = run;
  c.store.saveAnalysis({
    evidenceId: e.id, runId, evidenceSha256: e.sha256!, paramsKey: keys.classifyKey, facesKey: keys.facesKey, classifyKey: keys.classifyKey,
    params, stageVersions: versions, status: result.status, errorCode: result.errorCode, error: result.error, frameIndices: result.frameIndices,
    frames: result.frames, warnings: result.warnings, probeUpdate: result.probeUpdate, score: result.verdict?.score ?? null, scoreNote: result.verdict?.note ?? null,
    executionProvider: ep, detector: detectorInfo, modelResults: result.verdict ? modelRows(result.verdict, modelShas) : [], worker,
  }, c.actor);
}

export function modelRows(v: Verdict, shas: Record<string, string>): ModelResultRow[] {
  return Object.entries(shas).map(([modelId, onnxSha256]) => {
    const m = v.models[modelId];
    return { modelId, onnxSha256, value: m?.value ?? null, branch: m?.branch ?? null, faces: m?.faces ?? 0 };
  });
}

/** The provider a session will most likely get, for the run record before any session exists. */
function plannedProvider(choice: ExecutionProviderChoice): ExecutionProvider {
  return choice === 'auto' ? (cudaProviderInstalled() ? 'cuda' : 'cpu') : choice;
}
