/**
 * `npm run bench -- --attention [--b7]`: the cost of model attention per face against one face's
 * scoring, on the CPU: the class activation map (one pass of the sibling graph + Σ w·A + b) and
 * occlusion sensitivity (two batches at its batch size measured, extrapolated to the default grid). Also
 * the resident memory one session adds (RSS before/after creating it), which calibrates
 * SESSION_BYTES_PER_ONNX_BYTE of the model-major planner. Prints numbers, asserts nothing.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { camFromFeatures, camGraph } from '../../main/engine/classify/cam-graph.js';
import { buildDeepfakeClassifierOnnx } from '../../main/engine/classify/efficientnet/onnx.js';
import { syntheticStateDict } from '../../main/engine/classify/efficientnet/synthetic.js';
import { createSession } from '../../main/engine/classify/execution.js';
import { CLASSIFIER_INPUT_SIZE, toNormalizedNCHW } from '../../main/engine/classify/preprocess.js';
import { readTorchCheckpoint } from '../../main/engine/classify/torch/checkpoint.js';
import { checkParams } from '../../main/engine/masks/occlusion.js';
import { occlusionCost } from '../../main/engine/pipeline/heatmap.js';
import { FIXTURES } from '../helpers/paths.js';

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function timeRuns(session: ort.InferenceSession, input: ort.Tensor, n: number): Promise<number> {
  await session.run({ input }); // warm-up: first run allocates the arena
  const t = performance.now();
  for (let i = 0; i < n; i++) await session.run({ input });
  return (performance.now() - t) / n;
}

async function benchOne(label: string, bytes: Uint8Array, runs: number): Promise<void> {
  // A textured canvas (not all black), as a face would be.
  const data = new Uint8Array(CLASSIFIER_INPUT_SIZE * CLASSIFIER_INPUT_SIZE * 3).map((_, i) => (i * 37) % 251);
  const input = new ort.Tensor('float32', toNormalizedNCHW([{ width: CLASSIFIER_INPUT_SIZE, height: CLASSIFIER_INPUT_SIZE, channels: 3, data }]), [1, 3, CLASSIFIER_INPUT_SIZE, CLASSIFIER_INPUT_SIZE]);
  const rss0 = process.memoryUsage().rss;
  const plain = (await createSession(bytes, 'cpu', label)).session;
  const rss1 = process.memoryUsage().rss;
  const scoreMs = await timeRuns(plain, input, runs);
  const rss2 = process.memoryUsage().rss;
  const g = camGraph(bytes)!;
  const sibling = (await createSession(g.bytes, 'cpu', `${label} (CAM)`)).session;
  await sibling.run({ input });
  const t = performance.now();
  for (let i = 0; i < runs; i++) {
    const out = await sibling.run({ input });
    const f = out[g.featureName];
    const [, ch, h, w] = f.dims.map(Number);
    camFromFeatures(f.data as Float32Array, 0, ch, h, w, g.weight, g.bias);
  }
  const camMs = (performance.now() - t) / runs;
  await sibling.release();
  const params = checkParams({});
  const occInferences = occlusionCost(params, 1);
  // Occlusion at its own batch size, measured on two batches (a stated fraction of the grid) and extrapolated.
  const measured = 2 * params.batch;
  const batchInput = new ort.Tensor('float32', toNormalizedNCHW(Array.from({ length: params.batch }, () => ({ width: CLASSIFIER_INPUT_SIZE, height: CLASSIFIER_INPUT_SIZE, channels: 3 as const, data }))), [params.batch, 3, CLASSIFIER_INPUT_SIZE, CLASSIFIER_INPUT_SIZE]);
  const occPerInference = (await timeRuns(plain, batchInput, 2)) / params.batch;
  await plain.release();
  console.log(
    `${label}: score ${scoreMs.toFixed(0)} ms/face | CAM ${camMs.toFixed(0)} ms/face (${(camMs / scoreMs).toFixed(2)}× scoring) | ` +
      `occlusion (default grid, batch ${params.batch}) ${occInferences} inferences: measured ${measured} (${((100 * measured) / occInferences).toFixed(0)}% of the grid) at ${occPerInference.toFixed(0)} ms each, ` +
      `extrapolated ≈ ${((occInferences * occPerInference) / 1000).toFixed(1)} s/face per model | ` +
      `session RSS +${mib(rss1 - rss0)} at creation, +${mib(rss2 - rss0)} after a run, ONNX ${mib(bytes.length)} (${((rss2 - rss0) / bytes.length).toFixed(2)}× ONNX)`,
  );
}

export async function benchAttention(withB7: boolean): Promise<void> {
  const b0 = buildDeepfakeClassifierOnnx(readTorchCheckpoint(join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth')));
  await benchOne('B0 (fixture checkpoint)', b0.bytes, 5);
  if (withB7) {
    const b7 = buildDeepfakeClassifierOnnx({ stateDict: syntheticStateDict('b7') });
    await benchOne('B7 (synthetic weights, released size)', b7.bytes, 2);
  }
}
