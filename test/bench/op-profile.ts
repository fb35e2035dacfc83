/**
 * `npm run bench -- --op-profile [--b7]`: where one face's classification time goes, by kind of
 * operation, from onnxruntime's own profiler on the CPU provider with the session options used for
 * scoring. Convolutions are split by shape (1×1 expand/project, depthwise, squeeze-excite, other),
 * each with its share of the multiply-adds and the rate it reached, so a tuning idea can be
 * weighed against the time it could save before it is tried. Prints numbers, asserts nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { buildDeepfakeClassifierOnnx } from '../../main/engine/classify/efficientnet/onnx.js';
import { syntheticStateDict } from '../../main/engine/classify/efficientnet/synthetic.js';
import { CLASSIFIER_INPUT_SIZE, toNormalizedNCHW } from '../../main/engine/classify/preprocess.js';
import { readTorchCheckpoint } from '../../main/engine/classify/torch/checkpoint.js';
import { FIXTURES } from '../helpers/paths.js';

interface ProfileEvent {
  cat?: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

interface Row { kind: string; us: number; nodes: number; macs: number }

const shapeOf = (s: Record<string, number[]> | undefined): number[] => (s ? Object.values(s)[0] ?? [] : []);

/** The kind of a kernel, and its multiply-adds (convolutions only). */
export function classifyKernel(e: ProfileEvent): { kind: string; macs: number } {
  const op = e.args?.op_name ?? '?';
  if (op !== 'Conv') return { kind: op, macs: 0 };
  const w = shapeOf(e.args?.input_type_shape?.[1]);
  const out = shapeOf(e.args?.output_type_shape?.[0]);
  if (w.length !== 4 || out.length < 4) return { kind: 'Conv (shape unknown)', macs: 0 };
  const macs = out.reduce((a, b) => a * b, 1) * w[1] * w[2] * w[3];
  const spatial = out[2] * out[3];
  if (spatial === 1) return { kind: 'Conv squeeze-excite (1×1 on pooled)', macs };
  if (w[2] === 1 && w[3] === 1) return { kind: 'Conv pointwise 1×1', macs };
  if (w[1] === 1) return { kind: `Conv depthwise`, macs };
  return { kind: `Conv ${w[2]}×${w[3]} dense (stem)`, macs };
}

async function profileOne(label: string, bytes: Uint8Array, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'deepscan-op-profile-'));
  try {
    // The scoring session's options (execution.ts) plus the profiler.
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    });
    const data = new Uint8Array(CLASSIFIER_INPUT_SIZE * CLASSIFIER_INPUT_SIZE * 3).map((_, i) => (i * 37) % 251);
    const input = new ort.Tensor('float32', toNormalizedNCHW([{ width: CLASSIFIER_INPUT_SIZE, height: CLASSIFIER_INPUT_SIZE, channels: 3, data }]), [1, 3, CLASSIFIER_INPUT_SIZE, CLASSIFIER_INPUT_SIZE]);
    await session.run({ input }); // warm-up, left out below
    for (let i = 0; i < runs; i++) await session.run({ input });
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile in ${dir}`);
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    const modelRuns = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
    if (modelRuns.length < runs + 1) throw new Error(`profile has ${modelRuns.length} runs, expected ${runs + 1}`);
    const from = modelRuns[modelRuns.length - runs].ts;
    const wallUs = modelRuns.slice(-runs).reduce((a, e) => a + e.dur, 0) / runs;
    const rows = new Map<string, Row>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
      const { kind, macs } = classifyKernel(e);
      const r = rows.get(kind) ?? { kind, us: 0, nodes: 0, macs: 0 };
      r.us += e.dur / runs;
      r.nodes += 1 / runs;
      r.macs += macs / runs;
      rows.set(kind, r);
    }
    const list = [...rows.values()].sort((a, b) => b.us - a.us);
    const kernelUs = list.reduce((a, r) => a + r.us, 0);
    const macs = list.reduce((a, r) => a + r.macs, 0);
    console.log(`${label}: ${(wallUs / 1000).toFixed(0)} ms/face (run), kernels ${(kernelUs / 1000).toFixed(0)} ms, ${(macs / 1e9).toFixed(2)} G multiply-adds, ` +
      `${((2 * macs) / (wallUs * 1e3)).toFixed(0)} GFLOP/s overall (${runs} runs after a warm-up)`);
    console.log('| kernel | ms per face | share | nodes | GFLOP/s |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of list) {
      if (r.us < 1) continue;
      const rate = r.macs ? ((2 * r.macs) / (r.us * 1e3)).toFixed(0) : '';
      console.log(`| ${r.kind} | ${(r.us / 1000).toFixed(1)} | ${((100 * r.us) / kernelUs).toFixed(1)} % | ${Math.round(r.nodes)} | ${rate} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchOpProfile(withB7: boolean): Promise<void> {
  const b0 = buildDeepfakeClassifierOnnx(readTorchCheckpoint(join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth')));
  await profileOne('B0 (fixture checkpoint)', b0.bytes, 10);
  if (withB7) {
    const b7 = buildDeepfakeClassifierOnnx({ stateDict: syntheticStateDict('b7') });
    await profileOne('B7 (synthetic weights, released size)', b7.bytes, 6);
  }
}
