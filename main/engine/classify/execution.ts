import ort from 'onnxruntime-node';
import { DeepscanError, errorMessage } from '../util/errors.js';

/**
 * Execution providers. CPU is always there. CUDA works when the user opted in to
 * onnxruntime-node's CUDA libraries (README, "GPU support"); WebGPU is in onnxruntime-node's
 * default build and works where the OS offers an adapter. 'auto' tries them in that order and
 * falls back; the provider actually used is recorded with every score.
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

export async function createSession(model: Uint8Array, choice: ExecutionProviderChoice, what: string): Promise<LoadedSession> {
  const order: ExecutionProvider[] = choice === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [choice];
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
