/**
 * EfficientNet b0…b7 (timm `tf_efficientnet_bN[_ns]`) as used by the DFDC DeepFakeClassifier:
 * the architecture table, variant inference from a state dict's shapes, and the strict key /
 * shape check.
 *
 * Scaling (timm's `_gen_efficientnet`): channels = round_chs(c × width) with divisor 8 and a
 * 0.9 round-down limit; repeats per stage = ceil(r × depth). Stage 0 is DepthwiseSeparable
 * (conv_dw, bn1, se, conv_pw, bn2), the rest InvertedResidual (conv_pw, bn1, conv_dw, bn2,
 * se, conv_pwl, bn3). Squeeze-excite reduces to round(block_in × 0.25) channels. The stem is
 * round_chs(32), the head round_chs(1280). The DFDC model keeps timm's own 1000-class
 * `encoder.classifier` (unused by forward_features) and adds `fc` (features → 1).
 */
import { DeepscanError } from '../../util/errors.js';
import type { Tensor } from '../torch/checkpoint.js';

export type EfficientNetVariant = 'b0' | 'b1' | 'b2' | 'b3' | 'b4' | 'b5' | 'b6' | 'b7';

export const VARIANTS: readonly EfficientNetVariant[] = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'];

/** (channel multiplier, depth multiplier) per variant. */
export const SCALING: Record<EfficientNetVariant, [number, number]> = {
  b0: [1.0, 1.0],
  b1: [1.0, 1.1],
  b2: [1.1, 1.2],
  b3: [1.2, 1.4],
  b4: [1.4, 1.8],
  b5: [1.6, 2.2],
  b6: [1.8, 2.6],
  b7: [2.0, 3.1],
};

/** The b0 stage definitions: block type, repeats, kernel, stride, expansion, out channels. */
const BASE_STAGES = [
  { type: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, out: 16 },
  { type: 'ir', repeats: 2, kernel: 3, stride: 2, expand: 6, out: 24 },
  { type: 'ir', repeats: 2, kernel: 5, stride: 2, expand: 6, out: 40 },
  { type: 'ir', repeats: 3, kernel: 3, stride: 2, expand: 6, out: 80 },
  { type: 'ir', repeats: 3, kernel: 5, stride: 1, expand: 6, out: 112 },
  { type: 'ir', repeats: 4, kernel: 5, stride: 2, expand: 6, out: 192 },
  { type: 'ir', repeats: 1, kernel: 3, stride: 1, expand: 6, out: 320 },
] as const;

const SE_RATIO = 0.25;
const IMAGENET_CLASSES = 1000;

export interface BlockSpec {
  /** Key prefix, e.g. `encoder.blocks.1.0`. */
  prefix: string;
  type: 'ds' | 'ir';
  inChs: number;
  midChs: number;
  outChs: number;
  kernel: number;
  stride: number;
  seChs: number;
  /** Residual connection (stride 1 and in == out). */
  skip: boolean;
}

export interface EfficientNetArch {
  variant: EfficientNetVariant;
  stemChs: number;
  /** Blocks per stage. */
  depths: number[];
  blocks: BlockSpec[];
  headInChs: number;
  /** num_features: width of the pooled feature vector (1280 for b0, 2560 for b7). */
  features: number;
}

/** timm's make_divisible with divisor 8, min 8, round limit 0.9. */
export function roundChannels(chs: number, multiplier: number): number {
  const v = chs * multiplier;
  const divisor = 8;
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Python's round() (half to even), as timm uses for SE widths. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function efficientNetArch(variant: EfficientNetVariant): EfficientNetArch {
  const [width, depth] = SCALING[variant];
  const stemChs = roundChannels(32, width);
  const blocks: BlockSpec[] = [];
  const depths: number[] = [];
  let inChs = stemChs;
  BASE_STAGES.forEach((st, s) => {
    const repeats = Math.ceil(st.repeats * depth - 1e-9);
    depths.push(repeats);
    const outChs = roundChannels(st.out, width);
    for (let i = 0; i < repeats; i++) {
      const stride = i === 0 ? st.stride : 1;
      const midChs = st.type === 'ds' ? inChs : roundChannels(inChs * st.expand, 1);
      blocks.push({
        prefix: `encoder.blocks.${s}.${i}`,
        type: st.type,
        inChs,
        midChs,
        outChs,
        kernel: st.kernel,
        stride,
        seChs: Math.max(1, pyRound(inChs * SE_RATIO)),
        skip: stride === 1 && inChs === outChs,
      });
      inChs = outChs;
    }
  });
  return { variant, stemChs, depths, blocks, headInChs: inChs, features: roundChannels(1280, width) };
}

/** Expected state-dict keys (without `module.`) and shapes, in timm's registration order. */
export function expectedStateDictShapes(arch: EfficientNetArch): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const bn = (p: string, c: number): void => {
    m.set(`${p}.weight`, [c]);
    m.set(`${p}.bias`, [c]);
    m.set(`${p}.running_mean`, [c]);
    m.set(`${p}.running_var`, [c]);
    m.set(`${p}.num_batches_tracked`, []);
  };
  const se = (p: string, mid: number, rd: number): void => {
    m.set(`${p}.se.conv_reduce.weight`, [rd, mid, 1, 1]);
    m.set(`${p}.se.conv_reduce.bias`, [rd]);
    m.set(`${p}.se.conv_expand.weight`, [mid, rd, 1, 1]);
    m.set(`${p}.se.conv_expand.bias`, [mid]);
  };
  m.set('encoder.conv_stem.weight', [arch.stemChs, 3, 3, 3]);
  bn('encoder.bn1', arch.stemChs);
  for (const b of arch.blocks) {
    const p = b.prefix;
    if (b.type === 'ds') {
      m.set(`${p}.conv_dw.weight`, [b.inChs, 1, b.kernel, b.kernel]);
      bn(`${p}.bn1`, b.inChs);
      se(p, b.inChs, b.seChs);
      m.set(`${p}.conv_pw.weight`, [b.outChs, b.inChs, 1, 1]);
      bn(`${p}.bn2`, b.outChs);
    } else {
      m.set(`${p}.conv_pw.weight`, [b.midChs, b.inChs, 1, 1]);
      bn(`${p}.bn1`, b.midChs);
      m.set(`${p}.conv_dw.weight`, [b.midChs, 1, b.kernel, b.kernel]);
      bn(`${p}.bn2`, b.midChs);
      se(p, b.midChs, b.seChs);
      m.set(`${p}.conv_pwl.weight`, [b.outChs, b.midChs, 1, 1]);
      bn(`${p}.bn3`, b.outChs);
    }
  }
  m.set('encoder.conv_head.weight', [arch.features, arch.headInChs, 1, 1]);
  bn('encoder.bn2', arch.features);
  m.set('encoder.classifier.weight', [IMAGENET_CLASSES, arch.features]);
  m.set('encoder.classifier.bias', [IMAGENET_CLASSES]);
  m.set('fc.weight', [1, arch.features]);
  m.set('fc.bias', [1]);
  return m;
}

/** Trainable parameter count of the expected key set (BatchNorm running stats excluded). */
export function parameterCount(shapes: Map<string, number[]>): number {
  let n = 0;
  for (const [k, s] of shapes) {
    if (k.endsWith('.running_mean') || k.endsWith('.running_var') || k.endsWith('.num_batches_tracked')) continue;
    n += s.reduce((a, b) => a * b, 1);
  }
  return n;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function fail(file: string, msg: string): never {
  throw new DeepscanError('checkpoint-invalid', `${file}: ${msg}`, { file });
}

/**
 * Infers the variant from shapes: stem width, blocks per stage and head width must all match
 * one variant's table. The full strict check is `checkStateDict`.
 */
export function inferVariant(stateDict: Map<string, Tensor>, file = 'checkpoint'): EfficientNetVariant {
  const stem = stateDict.get('encoder.conv_stem.weight');
  if (!stem) fail(file, 'not an EfficientNet DeepFakeClassifier: key encoder.conv_stem.weight missing');
  const head = stateDict.get('encoder.conv_head.weight');
  if (!head) fail(file, 'not an EfficientNet DeepFakeClassifier: key encoder.conv_head.weight missing');
  const depths: number[] = [];
  for (let s = 0; s < BASE_STAGES.length; s++) {
    let n = 0;
    while (['conv_dw', 'conv_pw'].some((c) => stateDict.has(`encoder.blocks.${s}.${n}.${c}.weight`))) n++;
    depths.push(n);
  }
  const stemChs = stem.shape[0];
  const features = head.shape[0];
  for (const v of VARIANTS) {
    const a = efficientNetArch(v);
    if (a.stemChs === stemChs && a.features === features && a.depths.every((d, i) => d === depths[i])) return v;
  }
  return fail(
    file,
    `no EfficientNet b0…b7 has stem width ${stemChs}, blocks per stage [${depths.join(', ')}] and head width ${features} (encoder.conv_stem.weight ${fmt(stem.shape)}, encoder.conv_head.weight ${fmt(head.shape)})`,
  );
}

/**
 * Strict comparison against the variant's expected keys and shapes, then a finiteness scan of
 * every float tensor. Throws `checkpoint-invalid` naming the first offending key.
 */
export function checkStateDict(stateDict: Map<string, Tensor>, arch: EfficientNetArch, file = 'checkpoint'): void {
  const expected = expectedStateDictShapes(arch);
  for (const [k, shape] of expected) {
    const t = stateDict.get(k);
    if (!t) fail(file, `key ${k} missing from the state dict (expected EfficientNet-${arch.variant}, shape ${fmt(shape)})`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail(file, `key ${k} has shape ${fmt(t.shape)}, EfficientNet-${arch.variant} expects ${fmt(shape)}`);
    }
    const isCounter = k.endsWith('.num_batches_tracked');
    if (isCounter ? t.dtype !== 'int64' : t.dtype !== 'float32' && t.dtype !== 'float64') {
      fail(file, `key ${k} has dtype ${t.storedDtype}, expected ${isCounter ? 'int64' : 'a floating-point type'}`);
    }
  }
  for (const k of stateDict.keys()) {
    if (!expected.has(k)) fail(file, `unexpected key ${k} in the state dict (not part of EfficientNet-${arch.variant} DeepFakeClassifier)`);
  }
  for (const [k, t] of stateDict) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
    const d = t.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) {
      const x = d[i];
      if (x - x !== 0) fail(file, `key ${k} holds a non-finite value (${x}) at element ${i}`);
    }
  }
  for (const k of expected.keys()) {
    if (!k.endsWith('.running_var')) continue;
    const d = stateDict.get(k)!.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (d[i] < 0) fail(file, `key ${k} holds a negative variance (${d[i]}) at element ${i}`);
  }
}

/** Infers the variant, checks the state dict strictly and returns the architecture. */
export function resolveArchitecture(stateDict: Map<string, Tensor>, file = 'checkpoint'): EfficientNetArch {
  const arch = efficientNetArch(inferVariant(stateDict, file));
  checkStateDict(stateDict, arch, file);
  return arch;
}
