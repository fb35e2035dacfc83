import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { refuseExternalData } from '../onnx/external-data.js';
import { DeepscanError, errorMessage } from '../util/errors.js';

/**
 * Execution providers. CPU is always there. CUDA works when the user opted in to
 * onnxruntime-node's CUDA libraries (README, "GPU support"); WebGPU is in onnxruntime-node's
 * default build and works where the OS offers an adapter. 'auto' uses CUDA when its provider
 * library is installed (falling back to the CPU if it fails to start) and the CPU otherwise;
 * WebGPU is used when asked for, because its availability and numerics vary by driver and a
 * silent switch would change results between machines. The provider actually used is recorded
 * with every score.
 */
export type ExecutionProviderChoice = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

export const EP_CHOICES: readonly ExecutionProviderChoice[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export function parseEp(value: string | undefined): ExecutionProviderChoice {
  const v = (value ?? process.env.DEEPSCAN_EP ?? 'auto').toLowerCase();
  if (!(EP_CHOICES as readonly string[]).includes(v)) {
    throw new DeepscanError('invalid-argument', `unknown execution provider "${value}" (choose ${EP_CHOICES.join(', ')})`);
  }
  return v as ExecutionProviderChoice;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  ep: ExecutionProvider;
  /** Why preferred providers were not used (for the run log). */
  fallbacks: string[];
}

const threads = Number(process.env.DEEPSCAN_THREADS) || undefined;

/** True when onnxruntime-node's CUDA provider library was installed (npm run gpu:install-cuda). */
export function cudaProviderInstalled(): boolean {
  try {
    const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(ortDir, 'bin', 'napi-v6', process.platform, process.arch, lib));
  } catch {
    return false;
  }
}

export async function createSession(model: Uint8Array, choice: ExecutionProviderChoice, what: string): Promise<LoadedSession> {
  // Models installed before the import check existed are checked here too.
  refuseExternalData(model, what);
  const order: ExecutionProvider[] = choice === 'auto' ? (cudaProviderInstalled() ? ['cuda', 'cpu'] : ['cpu']) : [choice];
  const fallbacks: string[] = [];
  for (const ep of order) {
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        // Failed provider probes are expected under 'auto': keep onnxruntime's own log quiet.
        logSeverityLevel: choice === 'auto' && ep !== 'cpu' ? 4 : 3,
        ...(threads ? { intraOpNumThreads: threads } : {}),
      });
      return { session, ep, fallbacks };
    } catch (e) {
      fallbacks.push(`${ep}: ${firstLine(errorMessage(e))}`);
    }
  }
  throw new DeepscanError('inference-failed', `${what}: no execution provider could load the model (${fallbacks.join('; ')})`);
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 200);
}
