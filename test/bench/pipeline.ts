/**
 * `npm run bench -- --b7` (and `-- --ensembles 1,7` alone): the per-video report of issue 12 for
 * 1 × B7 and the 7 × B7 ensemble — synthetic B7 checkpoints of the released size built with
 * seven seeds (random weights: the time and memory of the real ensemble, not its numbers) — on
 * the 96-face 1080p fixture (three_faces.mp4: 3 faces × 32 sampled frames). Each configuration
 * runs the real analysis (analyzeCase, CPU) in its own child process, so its peak RSS is its
 * own. Prints decode, detect, classify and total time, faces per second per model, peak RSS,
 * the scoring strategy the planner's default chose, and whether the per-model logits equal those
 * of the other configurations. Asserts nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { syntheticStateDict } from '../../main/engine/classify/efficientnet/synthetic.js';
import { importModel, listModels } from '../../main/engine/classify/model-store.js';
import { FIXTURE_VIDEO } from '../helpers/paths.js';
import { writeLegacyCheckpoint } from '../helpers/torch-legacy-writer.js';
import type { ChildArgs, ChildResult } from './pipeline-child.js';

const run = promisify(execFile);
const SEEDS = [1, 2, 3, 4, 5, 6, 7];

/**
 * A models home with the seven synthetic B7s, kept in the temp folder between bench runs
 * (building and converting seven 267 MB checkpoints takes minutes). Returns the ids by seed.
 */
async function syntheticB7Home(count: number): Promise<{ home: string; ids: string[] }> {
  const home = join(tmpdir(), 'deepscan-bench-b7-home');
  const index = join(home, 'bench-models.json');
  const known: Record<string, string> = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as Record<string, string>) : {};
  const installed = new Set((await listModels(home).catch(() => [])).map((m) => m.id));
  mkdirSync(home, { recursive: true });
  const ids: string[] = [];
  for (const seed of SEEDS.slice(0, count)) {
    if (known[seed] && installed.has(known[seed])) {
      ids.push(known[seed]);
      continue;
    }
    const file = join(home, `synthetic_b7_seed${seed}.pth`);
    writeFileSync(file, writeLegacyCheckpoint(syntheticStateDict('b7', seed), { epoch: 1, bceBest: 0.5 }));
    try {
      known[seed] = (await importModel(home, file)).manifest.id;
    } finally {
      rmSync(file, { force: true });
    }
    writeFileSync(index, JSON.stringify(known));
    ids.push(known[seed]);
  }
  return { home, ids };
}

async function runChild(args: ChildArgs): Promise<ChildResult> {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'pipeline-child.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, JSON.stringify(args)], { maxBuffer: 16 * 2 ** 20 });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`bench child printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as ChildResult;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/**
 * `sizes`: ensemble sizes (1 and 7 by default). `memoryBudget`: bytes, or the planner's
 * default. `frames`: sampled frames (32 gives the 96-face video).
 */
export async function benchPipeline(sizes: readonly number[] = [1, 7], opts: { memoryBudget?: number; frames?: number } = {}): Promise<void> {
  const { home, ids } = await syntheticB7Home(Math.max(...sizes));
  console.log(`per-video pipeline bench: ${FIXTURE_VIDEO.split('/').pop()} (1920×1080), ${opts.frames ?? 32} frames, synthetic B7 models from ${home}, cpu, each configuration in its own process`);
  console.log('| models | strategy | decode | detect | load sessions | classify | total | faces | faces/s per model | peak RSS |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const digests = new Map<string, Set<string>>();
  for (const n of sizes) {
    const r = await runChild({ home, models: ids.slice(0, n), video: FIXTURE_VIDEO, frames: opts.frames ?? 32, memoryBudget: opts.memoryBudget });
    if (r.status !== 'completed') console.log(`${n} × B7: ${r.status}`);
    for (const [id, d] of Object.entries(r.logitDigests)) digests.set(id, (digests.get(id) ?? new Set()).add(d));
    const perModel = r.faces / (r.classifyMs / 1000 / n);
    console.log(`| ${n} × B7 | ${r.strategy} (budget ${gib(r.budgetBytes)}) | ${s(r.decodeMs)} | ${s(r.detectMs)} | ${s(r.loadMs)} | ${s(r.classifyMs)} | ${s(r.totalMs)} | ${r.faces} | ${perModel.toFixed(2)} | ${gib(r.maxRssBytes)} |`);
  }
  const shared = [...digests.values()].filter((d) => d.size > 1).length;
  console.log(`logits per model across configurations: ${shared === 0 ? 'identical' : `DIFFER for ${shared} model(s)`} (decode: waiting for ffmpeg's frames; load: session creation; classify includes crop preparation)`);
}
