import type { Tensor } from '../torch/checkpoint.js';
import { efficientNetArch, expectedStateDictShapes, type EfficientNetVariant } from './arch.js';

/**
 * A state dict with the exact key set and shapes of a variant and seeded random weights
 * (BatchNorm scales and variances kept at 1 so activations stay finite). For tests and the
 * benchmark only: it stands in for the released checkpoints' size, not their numbers.
 */
export function syntheticStateDict(variant: EfficientNetVariant, seed = 7): Map<string, Tensor> {
  const shapes = expectedStateDictShapes(efficientNetArch(variant));
  const sd = new Map<string, Tensor>();
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  for (const [key, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (key.endsWith('num_batches_tracked')) {
      sd.set(key, { dtype: 'int64', storedDtype: 'int64', shape, data: new BigInt64Array(n) });
      continue;
    }
    const one = key.endsWith('running_var') || /\.bn\d\.weight$/.test(key);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = one ? 1 : rand();
    sd.set(key, { dtype: 'float32', storedDtype: 'float32', shape, data });
  }
  return sd;
}
