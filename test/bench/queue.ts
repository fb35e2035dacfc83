/**
 * `npm run bench -- --queue`: one case analysed by one local process, then through the job
 * queue by one and by two `deepscan worker` processes on this machine (a loopback
 * redis-server started here). Prints seconds and throughput ratios; asserts nothing. On one
 * machine the workers share its cores, so the ratio shows the queue's overhead and how far
 * this machine's cores go, not what more machines would add.
 */
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { openCase } from '../../main/engine/case/open-case.js';
import { importModel } from '../../main/engine/classify/model-store.js';
import { analyzeCase } from '../../main/engine/pipeline/analyze-case.js';
import { parseQueueUrl } from '../../main/engine/queue/connection.js';
import { analyzeCaseQueued } from '../../main/engine/queue/coordinator.js';
import { startCli } from '../helpers/cli.js';
import { FIXTURES, FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, tempDir } from '../helpers/paths.js';
import { startRedis } from '../helpers/redis-server.js';

const FRAMES = 8;
const ITEMS = 6;

export async function benchQueue(): Promise<void> {
  const work = tempDir('deepscan-bench-queue-');
  const redis = await startRedis();
  const workers: ChildProcess[] = [];
  try {
    const evidence = join(work, 'evidence');
    mkdirSync(evidence);
    // Copies of the two reference videos (links leaving the case folder are not followed).
    for (let i = 0; i < ITEMS; i++) copyFileSync(i % 2 ? FIXTURE_SWAP_VIDEO : FIXTURE_VIDEO, join(evidence, `clip${i}.mp4`));
    const modelsHome = join(work, 'home-models');
    const { manifest } = await importModel(modelsHome, join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth'));
    const homeFor = (name: string) => {
      const h = join(work, name);
      cpSync(join(modelsHome, 'models'), join(h, 'models'), { recursive: true });
      return h;
    };
    console.log(`queue bench: ${ITEMS} items × ${FRAMES} frames, model ${manifest.id}, ${cpus().length} CPU cores, redis on loopback`);

    let t = performance.now();
    const lc = await openCase({ folder: evidence, home: homeFor('home-local') });
    const ls = await analyzeCase(lc, { frames: FRAMES, models: [manifest.id] });
    lc.store.close();
    const localSec = (performance.now() - t) / 1000;
    console.log(`local process: ${localSec.toFixed(1)} s (${ls.analyzed} analysed)`);

    const results: { workers: number; sec: number }[] = [];
    for (const n of [1, 2]) {
      while (workers.length < n) workers.push(await startWorker(redis.url, modelsHome));
      t = performance.now();
      const qc = await openCase({ folder: evidence, home: homeFor(`home-q${n}`) });
      const qs = await analyzeCaseQueued(qc, { target: parseQueueUrl(redis.url), frames: FRAMES, models: [manifest.id], pollMs: 100 });
      qc.store.close();
      const sec = (performance.now() - t) / 1000;
      results.push({ workers: n, sec });
      console.log(`${n} worker(s): ${sec.toFixed(1)} s (${qs.analyzed} analysed, ${qs.failed} failed) — ${(localSec / sec).toFixed(2)}× the local throughput`);
    }
    // Other work on the machine moves these numbers: the load average says how much there was.
    console.log(`ratio 2 workers : 1 worker = ${(results[0].sec / results[1].sec).toFixed(2)}× (on ${cpus().length} cores shared by both workers; load average ${loadavg()[0].toFixed(1)})`);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function startWorker(url: string, home: string): Promise<ChildProcess> {
  const { child } = startCli(['worker', '--queue', url], { DEEPSCAN_HOME: home });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('pulling jobs')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${text}`)));
  });
  return child;
}
