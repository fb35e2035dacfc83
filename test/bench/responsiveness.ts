/**
 * API responsiveness while an analysis runs (issue 11): the loopback web host over the real
 * service, once with the engine on the host's own event loop (as before) and once with the
 * engine in worker threads (as `deepscan serve` runs it: a tasks thread for the analysis, a
 * queries thread for reads such as getCase). Each run: a fresh DEEPSCAN_HOME
 * with the B0 fixture checkpoint imported, a case folder holding the fixture videos, an
 * analysis started over HTTP, and getCase called back to back over HTTP until the analysis
 * ends (or `maxCalls`); latencies as p50/p90/p99/max. Also an idle baseline per mode.
 *
 * The HTTP client shares the host's process, like a browser shares nothing: in the
 * in-process mode a blocked loop delays the client's own timers too, which only makes the
 * numbers less bad than a separate browser would see, never better.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeepscanApi, TaskEvent } from '../../common/api.js';
import type { EngineHost } from '../../main/engine/host/client.js';
import { startWorkerEngine } from '../../main/engine/host/worker.js';
import { createWorkstationService, type WorkstationService } from '../../main/engine/service/index.js';
import { startWebHost } from '../../main/web/server.js';
import { FIXTURES, FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO } from '../helpers/paths.js';

export interface Latencies {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarise(ms: number[]): Latencies {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

const fmt = (l: Latencies) => `n=${l.n} p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`;

type Mode = 'in-process' | 'worker';

async function measure(mode: Mode, opts: { frames: number; maxCalls: number }): Promise<{ idle: Latencies; busy: Latencies; analysisMs: number }> {
  const work = mkdtempSync(join(tmpdir(), `deepscan-bench-${mode}-`));
  const home = join(work, 'home');
  const folder = join(work, 'evidence');
  mkdirSync(folder, { recursive: true });
  for (const v of [FIXTURE_VIDEO, FIXTURE_SWAP_VIDEO]) copyFileSync(v, join(folder, v.split('/').pop()!));
  const engine: WorkstationService & { close?: () => Promise<void> } = mode === 'worker' ? startWorkerEngine({ home }) : createWorkstationService({ home });
  // Both engine threads up before timing (`deepscan serve` starts them lazily, on first use).
  if ('start' in engine) await (engine as EngineHost).start();
  const host = await startWebHost({ service: engine as DeepscanApi, rendererDir: null });
  const api = async (op: string, args: unknown[]) => {
    const res = await fetch(`${host.origin}/api/${op}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
    });
    const body = (await res.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
    if (!body.ok) throw new Error(`${op}: ${body.error?.message}`);
    return body.value;
  };
  try {
    await api('importModel', [join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth')]);
    const c = (await api('openCase', [{ folder }])) as { id: string };
    const timeCalls = async (until: () => boolean, max: number) => {
      const ms: number[] = [];
      while (ms.length < max && !until()) {
        const t = performance.now();
        await api('getCase', [c.id]);
        ms.push(performance.now() - t);
      }
      return ms;
    };
    // One call first, not counted: it opens the case database (and, lazily, nothing else).
    await api('getCase', [c.id]);
    const idle = summarise(await timeCalls(() => false, 100));
    let finished = false;
    const off = engine.onTaskEvent((e: TaskEvent) => {
      if (e.type === 'task-finished') finished = true;
    });
    const t0 = performance.now();
    await api('startAnalysis', [{ caseId: c.id, frames: opts.frames, examiner: 'Bench Examiner' }]);
    const busy = summarise(await timeCalls(() => finished, opts.maxCalls));
    while (!finished) await new Promise((r) => setTimeout(r, 50));
    off();
    return { idle, busy, analysisMs: performance.now() - t0 };
  } finally {
    await engine.cancelAll();
    await host.close();
    await engine.close?.();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Prints the comparison; returns the measurements (for a caller that wants to check them). */
export async function benchResponsiveness(opts = { frames: 32, maxCalls: 2000 }): Promise<Record<Mode, { idle: Latencies; busy: Latencies }>> {
  const out = {} as Record<Mode, { idle: Latencies; busy: Latencies }>;
  for (const mode of ['in-process', 'worker'] as Mode[]) {
    const r = await measure(mode, opts);
    out[mode] = r;
    console.log(`API responsiveness, engine ${mode}: idle getCase ${fmt(r.idle)} | during a ${opts.frames}-frame B0 analysis of 2 videos (${(r.analysisMs / 1000).toFixed(1)} s): ${fmt(r.busy)}`);
  }
  const w = out.worker.busy;
  console.log(`API responsiveness target (p99 ≤ 30 ms, max ≤ 100 ms during analysis, engine in a worker): ${w.p99 <= 30 && w.max <= 100 ? 'met' : 'NOT met'}`);
  return out;
}
