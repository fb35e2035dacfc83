import ort from 'onnxruntime-node';
import type { Image8 } from '../image/image.js';
import { DeepscanError, errorMessage } from '../util/errors.js';
import { createSession, type ExecutionProvider, type ExecutionProviderChoice } from './execution.js';
import { loadVerifiedOnnx, type ModelManifest } from './model-store.js';
import { toNormalizedNCHW } from './preprocess.js';

export interface FaceScore {
  logit: number;
  prob: number;
}

/**
 * Faces per inference call. On the CPU, batching measured slower per face (npm run bench: B0
 * 175 ms/face at batch 1 against 359 ms/face at batch 8 on 2 cores; B7 in interleaved A/B runs:
 * batch 3, one frame's faces, 1.16–1.18× and batch 8 1.15–1.38× batch 1's time per face, logits
 * bit-identical), so faces go one by one; GPUs get batches of 8 (3 × 380 × 380 floats each: 14 MB a batch).
 */
function batchSize(ep: ExecutionProvider): number {
  return ep === 'cpu' ? 1 : 8;
}

/**
 * The installed classifiers chosen for a run, each an onnxruntime session. Scores each face
 * with every model; the per-video strategy and ensemble are computed by the caller.
 */
export class ClassifierEnsemble {
  private constructor(
    readonly models: { manifest: ModelManifest; session: ort.InferenceSession; ep: ExecutionProvider }[],
  ) {}

  static async load(home: string, modelIds: readonly string[], ep: ExecutionProviderChoice): Promise<ClassifierEnsemble> {
    const models: ClassifierEnsemble['models'] = [];
    for (const id of modelIds) {
      const { manifest, bytes } = await loadVerifiedOnnx(home, id);
      const s = await createSession(bytes, ep, `model ${id}`);
      models.push({ manifest, session: s.session, ep: s.ep });
    }
    return new ClassifierEnsemble(models);
  }

  get executionProviders(): string {
    return [...new Set(this.models.map((m) => m.ep))].join(',') || 'none';
  }

  /**
   * Scores 380×380 RGB canvases (prepareFace output) with every model: result[modelId][face].
   * `batch` overrides the provider's batch size (model-major scoring batches stored crops).
   */
  async score(canvases: readonly Image8[], context: string, batch?: number): Promise<Map<string, FaceScore[]>> {
    const out = new Map<string, FaceScore[]>();
    for (const m of this.models) out.set(m.manifest.id, []);
    for (const m of this.models) {
      const step = batch ?? batchSize(m.ep);
      for (let start = 0; start < canvases.length; start += step) {
        const batch = canvases.slice(start, start + step);
        const size = m.manifest.input.size;
        if (batch.some((c) => c.width !== size || c.height !== size || c.channels !== 3)) {
          throw new DeepscanError('inference-failed', `${context}: model ${m.manifest.id} expects ${size}×${size} RGB input`);
        }
        const data = toNormalizedNCHW(batch, m.manifest.input.mean as [number, number, number], m.manifest.input.std as [number, number, number]);
        const input = new ort.Tensor('float32', data, [batch.length, 3, size, size]);
        let logits: Float32Array;
        try {
          const result = await m.session.run({ [m.manifest.input.name]: input });
          logits = result[m.manifest.output.logit].data as Float32Array;
        } catch (e) {
          throw new DeepscanError('inference-failed', `${context}: model ${m.manifest.id} failed (${errorMessage(e)})`);
        }
        const list = out.get(m.manifest.id)!;
        for (const logit of logits) {
          if (!Number.isFinite(logit)) throw new DeepscanError('inference-failed', `${context}: model ${m.manifest.id} produced a non-finite logit`);
          list.push({ logit, prob: sigmoid32(logit) });
        }
      }
    }
    return out;
  }

  async release(): Promise<void> {
    for (const m of this.models) await m.session.release();
  }
}

/** torch.sigmoid on a float32 logit, rounded back to float32 as the reference's tensor holds it. */
export function sigmoid32(x: number): number {
  return Math.fround(1 / (1 + Math.exp(-x)));
}
