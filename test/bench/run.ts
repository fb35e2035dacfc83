/**
 * `npm run bench [-- --b7 | --queue]`: measured throughput of every pipeline stage on the shared fixture
 * videos — hashing, probing, decoding, face detection, classification per execution provider
 * — and the memory peak. Prints numbers (ratios where they say more than seconds); asserts
 * nothing. `--b7` adds a synthetic EfficientNet-B7 classifier (random weights, the released
 * models' size) to estimate the cost of the real 7-model ensemble. `--responsiveness` runs only
 * the API-responsiveness comparison (engine in-process vs in a worker thread), which otherwise
 * runs last. `--b7` also prints the per-video report for 1 × B7 and the 7 × B7 ensemble
 * (decode, detect, classify, total, faces/s per model, peak RSS; pipeline.ts) and the attention
 * cost per face on a B7 (attention.ts); `--ensembles 1,2` prints only that report for the
 * sizes given, `--memory-budget SIZE` overrides the planner's default budget there.
 * `--op-profile [--b7]` prints where one face's classification time goes, by kind of kernel.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { buildDeepfakeClassifierOnnx } from '../../main/engine/classify/efficientnet/onnx.js';
import { createSession, type ExecutionProvider } from '../../main/engine/classify/execution.js';
import { prepareFace, toNormalizedNCHW } from '../../main/engine/classify/preprocess.js';
import { syntheticStateDict } from '../../main/engine/classify/efficientnet/synthetic.js';
import { readTorchCheckpoint } from '../../main/engine/classify/torch/checkpoint.js';
import { mtcnnModelDir } from '../../main/engine/faces/detector-models.js';
import { MtcnnDetector } from '../../main/engine/faces/mtcnn.js';
import { detectSeedFaces } from '../../main/engine/faces/seed-faces.js';
import { makeImage, type Image8 } from '../../main/engine/image/image.js';
import { sha256File } from '../../main/engine/ingest/hash.js';
import { decodeFrames } from '../../main/engine/media/decode.js';
import { locateFfmpeg } from '../../main/engine/media/ffmpeg.js';
import { probeMedia } from '../../main/engine/media/probe.js';
import { sampleFrameIndices } from '../../main/engine/media/sample.js';
import { FIXTURES, FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO } from '../helpers/paths.js';
import { benchResponsiveness } from './responsiveness.js';
import { benchQueue } from './queue.js';
import { benchAttention } from './attention.js';
import { benchOpProfile } from './op-profile.js';
import { benchPipeline } from './pipeline.js';
import { parseMemoryBudget } from '../../main/engine/pipeline/model-major.js';

let peakRss = 0;
const sampleMemory = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const timer = setInterval(sampleMemory, 50);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  // --queue: local process vs one and two `deepscan worker` processes (test/bench/queue.ts).
  if (process.argv.includes('--queue')) return benchQueue();
  // --attention [--b7]: CAM and occlusion cost per face against scoring, and session memory (attention.ts).
  if (process.argv.includes('--attention')) {
    await benchAttention(process.argv.includes('--b7'));
    clearInterval(timer);
    return;
  }
  // --op-profile [--b7]: one face's classification time by kind of kernel (op-profile.ts).
  if (process.argv.includes('--op-profile')) {
    await benchOpProfile(process.argv.includes('--b7'));
    clearInterval(timer);
    return;
  }
  // --responsiveness: only the API latency during an analysis, engine in-process vs in workers (responsiveness.ts).
  if (process.argv.includes('--responsiveness')) {
    await benchResponsiveness();
    clearInterval(timer);
    return;
  }
  // --ensembles 1,2 [--memory-budget 3G]: only the per-video report for those B7 ensemble sizes (pipeline.ts).
  const ensembles = argValue('--ensembles');
  const budget = argValue('--memory-budget');
  const memoryBudget = budget === undefined ? undefined : parseMemoryBudget(budget);
  if (ensembles !== undefined) {
    await benchPipeline(ensembles.split(',').map(Number), { memoryBudget });
    clearInterval(timer);
    return;
  }
  const withB7 = process.argv.includes('--b7');
  const tools = await locateFfmpeg();
  const tmp = mkdtempSync(join(tmpdir(), 'deepscan-bench-'));
  console.log(`ffmpeg ${tools.version} (${tools.source}); node ${process.version}; onnxruntime-node ${ort.env.versions.node ?? ''}; ${process.platform}/${process.arch}`);
  const detector = await MtcnnDetector.load(mtcnnModelDir(), { executionProviders: ['cpu'] });
  const crops: Image8[] = [];
  const perVideo: { name: string; decodeMs: number; detectMs: number; faces: number }[] = [];
  try {
    for (const video of [FIXTURE_VIDEO, FIXTURE_SWAP_VIDEO]) {
      const name = video.split('/').pop()!;
      const size = statSync(video).size;
      let t = performance.now();
      await sha256File(video);
      const hashMs = performance.now() - t;
      t = performance.now();
      const probe = await probeMedia(tools, video, name);
      const probeMs = performance.now() - t;
      const indices = sampleFrameIndices(probe.frameCount, 32);
      let decodeMs = 0;
      let detectMs = 0;
      let faces = 0;
      t = performance.now();
      for await (const f of decodeFrames(tools, video, probe, indices, { tmpDir: tmp })) {
        decodeMs += performance.now() - t;
        const d0 = performance.now();
        const r = await detectSeedFaces(detector, { data: f.rgb, width: f.width, height: f.height });
        detectMs += performance.now() - d0;
        faces += r.faces.length;
        for (const face of r.faces) {
          const [x0, y0, x1, y1] = face.crop;
          if (crops.length < 32) crops.push(prepareFace(makeImage(x1 - x0, y1 - y0, 3, face.cropPixels)));
        }
        sampleMemory();
        t = performance.now();
      }
      // The integrity guard's re-hash after decoding (the page cache is warm, as in a real run).
      t = performance.now();
      await sha256File(video);
      const rehashMs = performance.now() - t;
      perVideo.push({ name, decodeMs, detectMs, faces });
      const videoSec = probe.frameCount / (probe.fps ?? 30);
      console.log(
        `${name}: hash ${(size / 1e6 / (hashMs / 1000)).toFixed(0)} MB/s | probe ${probeMs.toFixed(0)} ms | ` +
          `decode 32 of ${probe.frameCount} frames ${decodeMs.toFixed(0)} ms (${(videoSec / (decodeMs / 1000)).toFixed(1)}× real time) | ` +
          `detect ${(detectMs / 32).toFixed(0)} ms/frame = ${(32000 / detectMs).toFixed(2)} frames/s, ${faces} faces | decode:detect ${(decodeMs / detectMs).toFixed(2)} | ` +
          `re-hash after decode ${rehashMs.toFixed(1)} ms (${(rehashMs / (size / 1e6)).toFixed(2)} ms/MB, ${((100 * rehashMs) / (decodeMs + detectMs)).toFixed(2)}% of decode+detect)`,
      );
    }

    const b0 = buildDeepfakeClassifierOnnx(readTorchCheckpoint(join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth')));
    const b0MsPerFace = await benchClassifier('B0 (fixture checkpoint)', b0.bytes, crops);
    for (const v of perVideo) {
      const classifyMs = v.faces * b0MsPerFace;
      console.log(`${v.name}: total per video with one B0 on cpu ≈ ${((v.decodeMs + v.detectMs + classifyMs) / 1000).toFixed(1)} s ` +
        `(decode ${(v.decodeMs / 1000).toFixed(1)} + detect ${(v.detectMs / 1000).toFixed(1)} + classify ${v.faces} faces ${(classifyMs / 1000).toFixed(1)})`);
    }
    if (withB7) {
      const b7 = buildDeepfakeClassifierOnnx({ stateDict: syntheticStateDict('b7') });
      const b7MsPerFace = await benchClassifier('B7 (synthetic weights, released size)', b7.bytes, crops.slice(0, 8));
      // Sequential sum of the measured stages (no overlap): the 7-model figure is 7 × one B7's classify time.
      for (const v of perVideo) {
        for (const models of [1, 7]) {
          const classifyMs = v.faces * b7MsPerFace * models;
          console.log(`${v.name}: ${models} × B7 on cpu ≈ ${((v.decodeMs + v.detectMs + classifyMs) / 1000).toFixed(1)} s (decode ${(v.decodeMs / 1000).toFixed(1)} + detect ${(v.detectMs / 1000).toFixed(1)} + ` +
            `classify ${v.faces} faces ${(classifyMs / 1000).toFixed(1)}; ${(1000 / b7MsPerFace).toFixed(2)} faces/s per model)`);
        }
      }
    }
  } finally {
    await detector.release();
    rmSync(tmp, { recursive: true, force: true });
    clearInterval(timer);
  }
  console.log(`memory peak (RSS, sampled every 50 ms): ${mib(peakRss)}`);
  if (withB7) {
    // The issue-12 report: 1 × B7 and the 7 × B7 ensemble per 96-face video, then attention per face.
    await benchPipeline([1, 7], { memoryBudget });
    await benchAttention(true);
  }
  await benchResponsiveness();
}

/** Prints faces/s per execution provider and batch size; returns the CPU's ms per face at batch 1. */
async function benchClassifier(label: string, bytes: Uint8Array, crops: Image8[]): Promise<number> {
  let cpuMsPerFace = NaN;
  for (const ep of ['cpu', 'cuda', 'webgpu'] as ExecutionProvider[]) {
    let session;
    const t0 = performance.now();
    try {
      session = (await createSession(bytes, ep, label)).session;
    } catch (e) {
      console.log(`${label} on ${ep}: not available (${(e as Error).message.slice(0, 90)}…)`);
      continue;
    }
    const loadMs = performance.now() - t0;
    for (const batch of [1, 8]) {
      const n = Math.min(crops.length, batch === 1 ? 4 : 16);
      const t = performance.now();
      for (let i = 0; i < n; i += batch) {
        const chunk = crops.slice(i, Math.min(n, i + batch));
        await session.run({ input: new ort.Tensor('float32', toNormalizedNCHW(chunk), [chunk.length, 3, 380, 380]) });
        sampleMemory();
      }
      const ms = performance.now() - t;
      if (ep === 'cpu' && batch === 1) cpuMsPerFace = ms / n;
      console.log(`${label} on ${ep}, batch ${batch}: ${(n / (ms / 1000)).toFixed(2)} faces/s (${(ms / n).toFixed(0)} ms/face; session ${loadMs.toFixed(0)} ms; ONNX ${mib(bytes.length)})`);
    }
    await session.release();
  }
  return cpuMsPerFace;
}

await main();
