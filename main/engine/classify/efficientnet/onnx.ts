/**
 * Builds the DFDC DeepFakeClassifier as an ONNX graph from a checked state dict:
 * timm `tf_efficientnet_bN` forward_features → global average pool → Linear(F → 1).
 *
 * - TF "same" padding is computed for the fixed input size and written as (possibly
 *   asymmetric) Conv `pads` — zero padding, identical to timm's Pad-then-Conv.
 * - Every BatchNorm (eps 1e-3) is folded into the preceding bias-free conv (in float64).
 * - SiLU is x · Sigmoid(x); squeeze-excite is GlobalAveragePool → conv_reduce(+bias) → SiLU →
 *   conv_expand(+bias) → Sigmoid → Mul; depthwise convs use group = channels; residual Add
 *   where stride 1 and in == out; drop-path and dropout are identities at inference.
 * - Input `input` float32 [batch, 3, S, S] (normalised RGB, NCHW); outputs `logit` [batch, 1]
 *   and `prob` = Sigmoid(logit).
 */
import { attr, OnnxGraphBuilder } from '../../onnx/builder.js';
import { DeepscanError } from '../../util/errors.js';
import type { Tensor, TorchCheckpoint } from '../torch/checkpoint.js';
import { expectedStateDictShapes, parameterCount, resolveArchitecture, type EfficientNetVariant } from './arch.js';

export const BN_EPS = 1e-3;
export const DEFAULT_INPUT_SIZE = 380;

export interface DeepfakeClassifierArchInfo {
  variant: EfficientNetVariant;
  /** Width of the pooled feature vector (fc input). */
  features: number;
  stemChs: number;
  /** Blocks per stage. */
  depths: number[];
  inputSize: number;
  /** Trainable parameters of the checkpoint's expected key set (incl. the unused encoder.classifier). */
  parameters: number;
}

export interface BuildDeepfakeClassifierOptions {
  inputSize?: number;
  /** File name for error messages. */
  file?: string;
}

function asFloat64(t: Tensor): Float64Array {
  if (t.data instanceof Float64Array) return t.data;
  if (t.data instanceof Float32Array) return Float64Array.from(t.data);
  throw new DeepscanError('checkpoint-invalid', `tensor of dtype ${t.dtype} where a float tensor is needed`);
}

function asFloat32(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new DeepscanError('checkpoint-invalid', `tensor of dtype ${t.dtype} where a float tensor is needed`);
}

/** TF "same" padding along one axis: [begin, end] and the output size. */
export function samePadding(inSize: number, kernel: number, stride: number): { begin: number; end: number; out: number } {
  const out = Math.ceil(inSize / stride);
  const pad = Math.max((out - 1) * stride + kernel - inSize, 0);
  const begin = Math.floor(pad / 2);
  return { begin, end: pad - begin, out };
}

export function buildDeepfakeClassifierOnnx(
  checkpoint: Pick<TorchCheckpoint, 'stateDict'> & Partial<Pick<TorchCheckpoint, 'epoch' | 'bceBest'>>,
  opts: BuildDeepfakeClassifierOptions = {},
): { bytes: Uint8Array; arch: DeepfakeClassifierArchInfo } {
  const file = opts.file ?? 'checkpoint';
  const inputSize = opts.inputSize ?? DEFAULT_INPUT_SIZE;
  if (!Number.isSafeInteger(inputSize) || inputSize < 32 || inputSize > 4096) {
    throw new DeepscanError('invalid-argument', `classifier input size ${inputSize} is out of range`);
  }
  const sd = checkpoint.stateDict;
  const arch = resolveArchitecture(sd, file);
  const get = (k: string): Tensor => sd.get(k)!; // presence checked by resolveArchitecture

  const g = new OnnxGraphBuilder({
    graphName: `deepfake_classifier_efficientnet_${arch.variant}`,
    producerName: 'deepscan',
    docString: `DFDC DeepFakeClassifier: tf_efficientnet_${arch.variant} forward_features, global average pool, Linear(${arch.features}->1)`,
  });
  g.addInput('input', 'float32', ['batch', 3, inputSize, inputSize]);

  let size = inputSize;
  let counter = 0;
  const tmp = (base: string): string => `${base}#${counter++}`;

  /** Conv (bias-free in the checkpoint) with the following BatchNorm folded in; optional SiLU. */
  const convBn = (x: string, convKey: string, bnKey: string, stride: number, groups: number, act: boolean): string => {
    const w = get(`${convKey}.weight`);
    const [cout, cinPerGroup, kh, kw] = w.shape;
    const gamma = asFloat64(get(`${bnKey}.weight`));
    const beta = asFloat64(get(`${bnKey}.bias`));
    const mean = asFloat64(get(`${bnKey}.running_mean`));
    const variance = asFloat64(get(`${bnKey}.running_var`));
    const src = w.data as Float32Array | Float64Array;
    const per = cinPerGroup * kh * kw;
    const wf = new Float32Array(src.length);
    const bf = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
      const base = o * per;
      for (let i = 0; i < per; i++) wf[base + i] = src[base + i] * scale;
      bf[o] = beta[o] - mean[o] * scale;
    }
    const wName = g.addInitializer(`${convKey}.weight+${bnKey}`, wf, [cout, cinPerGroup, kh, kw]);
    const bName = g.addInitializer(`${convKey}.bias+${bnKey}`, bf, [cout]);
    const ph = samePadding(size, kh, stride);
    const pw = samePadding(size, kw, stride);
    const y = tmp(act ? `${bnKey}.pre_act` : bnKey);
    g.addNode(
      'Conv',
      [x, wName, bName],
      [y],
      {
        kernel_shape: attr.ints([kh, kw]),
        strides: attr.ints([stride, stride]),
        pads: attr.ints([ph.begin, pw.begin, ph.end, pw.end]),
        group: attr.int(groups),
        dilations: attr.ints([1, 1]),
      },
      `${convKey}`,
    );
    size = ph.out;
    return act ? silu(y, `${bnKey}.act`) : y;
  };

  const silu = (x: string, name: string): string => {
    const s = tmp(`${name}.sigmoid`);
    g.addNode('Sigmoid', [x], [s], undefined, `${name}.sigmoid`);
    const y = tmp(name);
    g.addNode('Mul', [x, s], [y], undefined, `${name}.mul`);
    return y;
  };

  const conv1x1Bias = (x: string, key: string): string => {
    const w = get(`${key}.weight`);
    const wName = g.addInitializer(`${key}.weight`, asFloat32(w), w.shape);
    const b = get(`${key}.bias`);
    const bName = g.addInitializer(`${key}.bias`, asFloat32(b), b.shape);
    const y = tmp(key);
    g.addNode('Conv', [x, wName, bName], [y], { kernel_shape: attr.ints([1, 1]) }, key);
    return y;
  };

  const squeezeExcite = (x: string, p: string): string => {
    const pooled = tmp(`${p}.se.pool`);
    g.addNode('GlobalAveragePool', [x], [pooled], undefined, `${p}.se.pool`);
    const r = silu(conv1x1Bias(pooled, `${p}.se.conv_reduce`), `${p}.se.act`);
    const e = conv1x1Bias(r, `${p}.se.conv_expand`);
    const gate = tmp(`${p}.se.gate`);
    g.addNode('Sigmoid', [e], [gate], undefined, `${p}.se.gate`);
    const y = tmp(`${p}.se`);
    g.addNode('Mul', [x, gate], [y], undefined, `${p}.se.mul`);
    return y;
  };

  let x = convBn('input', 'encoder.conv_stem', 'encoder.bn1', 2, 1, true);
  for (const b of arch.blocks) {
    const p = b.prefix;
    const shortcut = x;
    let y: string;
    if (b.type === 'ds') {
      y = convBn(x, `${p}.conv_dw`, `${p}.bn1`, b.stride, b.inChs, true);
      y = squeezeExcite(y, p);
      y = convBn(y, `${p}.conv_pw`, `${p}.bn2`, 1, 1, false);
    } else {
      y = convBn(x, `${p}.conv_pw`, `${p}.bn1`, 1, 1, true);
      y = convBn(y, `${p}.conv_dw`, `${p}.bn2`, b.stride, b.midChs, true);
      y = squeezeExcite(y, p);
      y = convBn(y, `${p}.conv_pwl`, `${p}.bn3`, 1, 1, false);
    }
    if (b.skip) {
      const s = tmp(`${p}.residual`);
      g.addNode('Add', [y, shortcut], [s], undefined, `${p}.residual`);
      y = s;
    }
    x = y;
  }
  x = convBn(x, 'encoder.conv_head', 'encoder.bn2', 1, 1, true);

  const pooled = tmp('pool');
  g.addNode('GlobalAveragePool', [x], [pooled], undefined, 'global_pool');
  const flat = tmp('features');
  g.addNode('Flatten', [pooled], [flat], { axis: attr.int(1) }, 'flatten');
  const fcW = get('fc.weight');
  const fcB = get('fc.bias');
  g.addInitializer('fc.weight', asFloat32(fcW), fcW.shape);
  g.addInitializer('fc.bias', asFloat32(fcB), fcB.shape);
  g.addNode('Gemm', [flat, 'fc.weight', 'fc.bias'], ['logit'], { transB: attr.int(1) }, 'fc');
  g.addNode('Sigmoid', ['logit'], ['prob'], undefined, 'prob');
  g.addOutput('logit', 'float32', ['batch', 1]);
  g.addOutput('prob', 'float32', ['batch', 1]);

  const info: DeepfakeClassifierArchInfo = {
    variant: arch.variant,
    features: arch.features,
    stemChs: arch.stemChs,
    depths: [...arch.depths],
    inputSize,
    parameters: parameterCount(expectedStateDictShapes(arch)),
  };
  g.setMetadata('deepscan.model', 'dfdc-deepfake-classifier');
  g.setMetadata('deepscan.encoder', `tf_efficientnet_${arch.variant}`);
  g.setMetadata('deepscan.input_size', String(inputSize));
  g.setMetadata('deepscan.features', String(arch.features));
  if (checkpoint.epoch !== undefined && checkpoint.epoch !== null) g.setMetadata('deepscan.epoch', String(checkpoint.epoch));
  if (checkpoint.bceBest !== undefined && checkpoint.bceBest !== null) g.setMetadata('deepscan.bce_best', String(checkpoint.bceBest));
  return { bytes: g.toBytes(), arch: info };
}
