/**
 * A minimal TFLite model reader (schema version 3; file identifier "TFL3").
 *
 * Reads Model → operator_codes / subgraphs (tensors, operators, inputs, outputs) / buffers, and
 * decodes the builtin options of the operators the MTCNN converter needs. Any other operator is
 * still listed (its name and raw option type), so callers can report exactly what they do not
 * support. Field indices follow tensorflow/lite/schema/schema.fbs.
 */
import { DeepscanError } from '../../../main/engine/util/errors.js';
import { FbReader, FbTable, FlatBufferError } from './flatbuffer.js';

/** BuiltinOperator codes this reader names (the rest are reported as BUILTIN_<code>). */
export const BUILTIN_OPERATOR_NAMES: Record<number, string> = {
  0: 'ADD',
  1: 'AVERAGE_POOL_2D',
  2: 'CONCATENATION',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  6: 'DEQUANTIZE',
  9: 'FULLY_CONNECTED',
  14: 'LOGISTIC',
  17: 'MAX_POOL_2D',
  18: 'MUL',
  19: 'RELU',
  21: 'RELU6',
  22: 'RESHAPE',
  25: 'SOFTMAX',
  28: 'TANH',
  32: 'CUSTOM',
  34: 'PAD',
  39: 'TRANSPOSE',
  40: 'MEAN',
  41: 'SUB',
  42: 'DIV',
  43: 'SQUEEZE',
  45: 'STRIDED_SLICE',
  47: 'EXP',
  53: 'CAST',
  54: 'PRELU',
  55: 'MAXIMUM',
  57: 'MINIMUM',
  59: 'NEG',
  74: 'SUM',
  82: 'REDUCE_MAX',
  98: 'LEAKY_RELU',
  114: 'QUANTIZE',
  126: 'BATCH_MATMUL',
};

/** BuiltinOperator value above which the extended builtin_code field is authoritative. */
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

export type TensorTypeName =
  | 'FLOAT32' | 'FLOAT16' | 'INT32' | 'UINT8' | 'INT64' | 'STRING' | 'BOOL' | 'INT16' | 'COMPLEX64' | 'INT8' | 'FLOAT64'
  | `TYPE_${number}`;

const TENSOR_TYPES: TensorTypeName[] = ['FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16', 'COMPLEX64', 'INT8', 'FLOAT64'];

export type Padding = 'SAME' | 'VALID';
export type Activation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

export type OperatorOptions =
  | { type: 'Conv2DOptions'; padding: Padding; strideW: number; strideH: number; activation: Activation; dilationW: number; dilationH: number }
  | { type: 'DepthwiseConv2DOptions'; padding: Padding; strideW: number; strideH: number; depthMultiplier: number; activation: Activation; dilationW: number; dilationH: number }
  | { type: 'Pool2DOptions'; padding: Padding; strideW: number; strideH: number; filterW: number; filterH: number; activation: Activation }
  | { type: 'FullyConnectedOptions'; activation: Activation; weightsFormat: number; keepNumDims: boolean }
  | { type: 'SoftmaxOptions'; beta: number }
  | { type: 'ConcatenationOptions'; axis: number; activation: Activation }
  | { type: 'AddOptions'; activation: Activation }
  | { type: 'MulOptions'; activation: Activation }
  | { type: 'SubOptions'; activation: Activation }
  | { type: 'DivOptions'; activation: Activation }
  | { type: 'ReducerOptions'; keepDims: boolean }
  | { type: 'ReshapeOptions'; newShape: number[] | undefined }
  | { type: 'TransposeOptions' }
  | { type: 'none' }
  /** An options table this reader does not decode; `unionType` is the BuiltinOptions union tag. */
  | { type: 'other'; unionType: number };

export interface TfliteOperator {
  /** The builtin operator, e.g. 'CONV_2D'; 'CUSTOM:<code>' for custom ops; 'BUILTIN_<n>' if unnamed. */
  op: string;
  builtinCode: number;
  version: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  options: OperatorOptions;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  /** shape_signature when present (-1 = dynamic dimension). */
  shapeSignature: number[] | undefined;
  type: TensorTypeName;
  /** Index into the model's buffers; 0 (the empty sentinel) for activations. */
  buffer: number;
  /** Constant data (a view into the file, little-endian), or undefined for activations. */
  data: Uint8Array | undefined;
  quantized: boolean;
  isVariable: boolean;
}

export interface TfliteSubgraph {
  name: string | undefined;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  version: number;
  description: string | undefined;
  subgraphs: TfliteSubgraph[];
  bufferCount: number;
}

function padding(v: number, what: string): Padding {
  if (v === 0) return 'SAME';
  if (v === 1) return 'VALID';
  throw new FlatBufferError(`${what}: unknown padding ${v}`);
}

function activation(v: number, what: string): Activation {
  const a = ACTIVATIONS[v];
  if (a === undefined) throw new FlatBufferError(`${what}: unknown fused activation ${v}`);
  return a;
}

/** BuiltinOptions union tags (schema order, 1-based; 0 = NONE). */
const OPTIONS_TAG = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  TransposeOptions: 26,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
} as const;

function decodeOptions(tag: number, t: FbTable | undefined, what: string): OperatorOptions {
  if (tag === 0) return { type: 'none' };
  if (t === undefined) throw new FlatBufferError(`${what}: builtin_options_type ${tag} without an options table`);
  switch (tag) {
    case OPTIONS_TAG.Conv2DOptions:
      return {
        type: 'Conv2DOptions',
        padding: padding(t.i8(0), what),
        strideW: t.i32(1),
        strideH: t.i32(2),
        activation: activation(t.i8(3), what),
        dilationW: t.i32(4, 1),
        dilationH: t.i32(5, 1),
      };
    case OPTIONS_TAG.DepthwiseConv2DOptions:
      return {
        type: 'DepthwiseConv2DOptions',
        padding: padding(t.i8(0), what),
        strideW: t.i32(1),
        strideH: t.i32(2),
        depthMultiplier: t.i32(3),
        activation: activation(t.i8(4), what),
        dilationW: t.i32(5, 1),
        dilationH: t.i32(6, 1),
      };
    case OPTIONS_TAG.Pool2DOptions:
      return {
        type: 'Pool2DOptions',
        padding: padding(t.i8(0), what),
        strideW: t.i32(1),
        strideH: t.i32(2),
        filterW: t.i32(3),
        filterH: t.i32(4),
        activation: activation(t.i8(5), what),
      };
    case OPTIONS_TAG.FullyConnectedOptions:
      return { type: 'FullyConnectedOptions', activation: activation(t.i8(0), what), weightsFormat: t.i8(1), keepNumDims: t.bool(2) };
    case OPTIONS_TAG.SoftmaxOptions:
      return { type: 'SoftmaxOptions', beta: t.f32(0) };
    case OPTIONS_TAG.ConcatenationOptions:
      return { type: 'ConcatenationOptions', axis: t.i32(0), activation: activation(t.i8(1), what) };
    case OPTIONS_TAG.AddOptions:
      return { type: 'AddOptions', activation: activation(t.i8(0), what) };
    case OPTIONS_TAG.MulOptions:
      return { type: 'MulOptions', activation: activation(t.i8(0), what) };
    case OPTIONS_TAG.ReshapeOptions:
      return { type: 'ReshapeOptions', newShape: t.i32Vector(0) };
    case OPTIONS_TAG.TransposeOptions:
      return { type: 'TransposeOptions' };
    case OPTIONS_TAG.ReducerOptions:
      return { type: 'ReducerOptions', keepDims: t.bool(0) };
    case OPTIONS_TAG.SubOptions:
      return { type: 'SubOptions', activation: activation(t.i8(0), what) };
    case OPTIONS_TAG.DivOptions:
      return { type: 'DivOptions', activation: activation(t.i8(0), what) };
    default:
      return { type: 'other', unionType: tag };
  }
}

/** Parses a TFLite flatbuffer. Throws DeepscanError('model-invalid') on anything malformed. */
export function readTfliteModel(bytes: Uint8Array, fileLabel = 'TFLite model'): TfliteModel {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof DeepscanError) {
      throw new DeepscanError(e.code, `${fileLabel}: ${e.message}`, { file: fileLabel, cause: e });
    }
    throw new DeepscanError('model-invalid', `${fileLabel}: cannot parse TFLite flatbuffer: ${(e as Error).message}`, { file: fileLabel, cause: e });
  }
}

function parse(bytes: Uint8Array): TfliteModel {
  const r = new FbReader(bytes);
  const model = r.root('TFL3');
  const version = model.u32(0);
  if (version !== 3) throw new FlatBufferError(`schema version ${version}, expected 3`);

  const opCodes = (model.tableVector(1, 'operator_codes') ?? []).map((oc) => {
    const deprecated = oc.i8(0);
    const extended = oc.i32(3);
    // As tflite::GetBuiltinCode: the larger of the two fields is authoritative (old files only
    // set the deprecated byte; new files set both, or only the extended field above 127).
    const code = Math.max(deprecated, extended);
    const custom = oc.string(1);
    let op = BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_${code}`;
    if (code === 32) op = `CUSTOM:${custom ?? ''}`;
    if (deprecated !== extended && deprecated !== PLACEHOLDER_FOR_GREATER_OP_CODES && extended !== 0) {
      throw new FlatBufferError(`operator code: deprecated_builtin_code ${deprecated} and builtin_code ${extended} disagree`);
    }
    return { code, op, version: oc.i32(2, 1) };
  });

  const buffers = (model.tableVector(4, 'buffers') ?? []).map((b) => {
    const data = b.bytesVector(0);
    const offset = b.u64(1);
    const size = b.u64(2);
    if (offset > 1n) {
      const start = Number(offset);
      const n = Number(size);
      r.check(start, n, 'external buffer');
      return bytes.subarray(start, start + n);
    }
    return data;
  });

  const subgraphs = (model.tableVector(2, 'subgraphs') ?? []).map((sg): TfliteSubgraph => {
    const tensors = (sg.tableVector(0, 'tensors') ?? []).map((t, index): TfliteTensor => {
      const typeCode = t.i8(1);
      const buffer = t.u32(2);
      if (buffer >= buffers.length && buffer !== 0) throw new FlatBufferError(`tensor ${index} refers to buffer ${buffer} of ${buffers.length}`);
      const data = buffer === 0 ? undefined : buffers[buffer];
      const q = t.table(4, 'quantization');
      // Quantized when the parameters carry scales (field 2) or union details (fields 4/5); TOCO
      // float models may carry an empty QuantizationParameters table.
      const quantized = q !== undefined && (q.vectorLength(2) > 0 || q.u8(4) !== 0);
      return {
        index,
        name: t.string(3) ?? '',
        shape: t.i32Vector(0) ?? [],
        shapeSignature: t.i32Vector(7),
        type: TENSOR_TYPES[typeCode] ?? `TYPE_${typeCode}`,
        buffer,
        data: data !== undefined && data.byteLength > 0 ? data : undefined,
        quantized,
        isVariable: t.bool(5),
      };
    });
    const checkIndex = (i: number, what: string): number => {
      if (i < -1 || i >= tensors.length) throw new FlatBufferError(`${what}: tensor index ${i} of ${tensors.length}`);
      return i;
    };
    const operators = (sg.tableVector(3, 'operators') ?? []).map((o, k): TfliteOperator => {
      const what = `operator ${k}`;
      const opcodeIndex = o.u32(0);
      const code = opCodes[opcodeIndex];
      if (code === undefined) throw new FlatBufferError(`${what}: opcode_index ${opcodeIndex} of ${opCodes.length}`);
      return {
        op: code.op,
        builtinCode: code.code,
        version: code.version,
        inputs: (o.i32Vector(1) ?? []).map((i) => checkIndex(i, what)),
        outputs: (o.i32Vector(2) ?? []).map((i) => checkIndex(i, what)),
        options: decodeOptions(o.u8(3), o.table(4, 'builtin_options'), `${what} (${code.op})`),
      };
    });
    return {
      name: sg.string(4),
      tensors,
      inputs: (sg.i32Vector(1) ?? []).map((i) => checkIndex(i, 'subgraph inputs')),
      outputs: (sg.i32Vector(2) ?? []).map((i) => checkIndex(i, 'subgraph outputs')),
      operators,
    };
  });
  if (subgraphs.length === 0) throw new FlatBufferError('model has no subgraphs');
  return { version, description: model.string(3), subgraphs, bufferCount: buffers.length };
}

/** Constant float32 data of a tensor (copied, host order), with a clear error otherwise. */
export function tensorFloat32(t: TfliteTensor, fileLabel = 'TFLite model'): Float32Array {
  if (t.type !== 'FLOAT32') throw new DeepscanError('model-invalid', `${fileLabel}: tensor ${t.name} is ${t.type}, expected FLOAT32`);
  if (t.quantized) throw new DeepscanError('model-invalid', `${fileLabel}: tensor ${t.name} is quantized; only float models are supported`);
  if (t.data === undefined) throw new DeepscanError('model-invalid', `${fileLabel}: tensor ${t.name} has no constant data`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.byteLength !== n * 4) {
    throw new DeepscanError('model-invalid', `${fileLabel}: tensor ${t.name} of shape [${t.shape.join(', ')}] has ${t.data.byteLength} bytes, expected ${n * 4}`);
  }
  const out = new Float32Array(n);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Constant int32 data of a tensor (e.g. a RESHAPE shape operand). */
export function tensorInt32(t: TfliteTensor, fileLabel = 'TFLite model'): Int32Array {
  if (t.type !== 'INT32') throw new DeepscanError('model-invalid', `${fileLabel}: tensor ${t.name} is ${t.type}, expected INT32`);
  if (t.data === undefined) throw new DeepscanError('model-invalid', `${fileLabel}: tensor ${t.name} has no constant data`);
  const n = t.data.byteLength / 4;
  const out = new Int32Array(n);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}
