import { mkdtemp, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EvidenceStatus } from '../../../common/api.js';
import { acquireAnalysisLock, isProcessAlive } from '../case/lock.js';
import type { OpenedCase } from '../case/open-case.js';
import { ingestCaseFolder, type IngestSummary } from '../ingest/ingest.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { analyzeItem } from './analyze-item.js';
import { analysisKey, DEFAULT_PARAMS, stageVersions, type AnalysisParams } from './stages.js';

export type AnalysisEvent =
  | { type: 'verify-progress'; done: number; total: number; path: string }
  | { type: 'run-started'; runId: number; total: number }
  | { type: 'item-started'; path: string; index: number; total: number }
  | { type: 'item-progress'; path: string; stage: string; fraction: number; index: number; total: number }
  | { type: 'item-finished'; path: string; status: EvidenceStatus; error: string | null; skipped: boolean; index: number; total: number };

export interface AnalyzeOptions {
  params?: Partial<AnalysisParams>;
  signal?: AbortSignal;
  onEvent?: (e: AnalysisEvent) => void;
  tools?: FfmpegTools;
}

export interface AnalyzeSummary {
  runId: number;
  status: 'completed' | 'cancelled' | 'failed';
  ingest: IngestSummary;
  analyzed: number;
  skipped: number;
  unreadable: number;
  error: string | null;
}

/**
 * Verifies the evidence folder, then analyses each media item that has no current result for
 * these parameters and stage versions. Each item's results are written in one transaction, so
 * a crash or Ctrl-C leaves only complete items and the next run resumes where this one stopped.
 */
export async function analyzeCase(c: OpenedCase, opts: AnalyzeOptions = {}): Promise<AnalyzeSummary> {
  const params: AnalysisParams = { ...DEFAULT_PARAMS, ...opts.params };
  if (!Number.isInteger(params.frames) || params.frames < 1 || params.frames > 1000) {
    throw new DeepscanError('invalid-argument', `--frames must be an integer from 1 to 1000 (got ${params.frames})`);
  }
  const tools = opts.tools ?? (await locateFfmpeg());
  const release = await acquireAnalysisLock(c.workspace);
  const tmpDir = await mkdtemp(join(c.workspace, 'tmp-'));
  try {
    c.store.markInterruptedRuns(isProcessAlive, c.actor);
    const ingest = await ingestCaseFolder(c.store, c.folder, tools, c.actor, {
      signal: opts.signal,
      onProgress: (p) => opts.onEvent?.({ type: 'verify-progress', ...p }),
    });
    const versions = stageVersions();
    const key = analysisKey(params, versions);
    const runId = c.store.startRun({ params, softwareVersion: softwareVersion(), stageVersions: versions, executionProvider: null, host: hostname(), pid: process.pid }, c.actor);
    const summary: AnalyzeSummary = { runId, status: 'completed', ingest, analyzed: 0, skipped: 0, unreadable: 0, error: null };
    const items = c.store.listEvidence().filter((e) => e.kind !== 'other' && e.status !== 'not-media' && e.status !== 'integrity-failed' && e.sha256 !== null);
    opts.onEvent?.({ type: 'run-started', runId, total: items.length });
    try {
      for (const [index, e] of items.entries()) {
        if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'analysis was cancelled');
        const base = { path: e.relPath, index, total: items.length };
        const current = c.store.getAnalysis(e.id);
        if (current && current.paramsKey === key && current.evidenceSha256 === e.sha256 && current.status === 'analyzed') {
          summary.skipped++;
          opts.onEvent?.({ type: 'item-finished', ...base, status: e.status, error: e.error, skipped: true });
          continue;
        }
        opts.onEvent?.({ type: 'item-started', ...base });
        const result = await analyzeItem(e, params, {
          tools, absPath: join(c.folder, ...e.relPath.split('/')), tmpDir, signal: opts.signal,
          onProgress: (stage, fraction) => opts.onEvent?.({ type: 'item-progress', ...base, stage, fraction }),
        });
        // Computation is done; the write below is short and all-or-nothing.
        c.store.saveAnalysis({ evidenceId: e.id, runId, evidenceSha256: e.sha256!, paramsKey: key, params, stageVersions: versions, ...result }, c.actor);
        if (result.status === 'analyzed') summary.analyzed++;
        else summary.unreadable++;
        opts.onEvent?.({ type: 'item-finished', ...base, status: result.status, error: result.error, skipped: false });
      }
    } catch (err) {
      summary.status = isDeepscanError(err) && err.code === 'cancelled' ? 'cancelled' : 'failed';
      summary.error = errorMessage(err);
    }
    c.store.finishRun(runId, summary.status, summary.error, c.actor, { analyzed: summary.analyzed, skipped: summary.skipped, unreadable: summary.unreadable });
    return summary;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
    await release();
  }
}
