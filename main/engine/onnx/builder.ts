/**
 * A small, dependency-free ONNX model writer.
 *
 * Builds a ModelProto (ir_version 8, default opset 17) from explicit calls and serialises it
 * with a hand-written protobuf encoder. Output is deterministic: the same sequence of calls
 * gives the same bytes (nodes, initializers, inputs, outputs and metadata keep their call
 * order; nothing depends on time or environment).
 *
 * Tensor payloads are written as little-endian `raw_data`. The builder keeps a reference to
 * initializer arrays (no copy) until `toBytes()`, which allocates exactly one buffer of the
 * final size and writes everything into it — a ~260 MB B7 classifier costs ~260 MB once.
 * Do not mutate an array after handing it to the builder.
 *
 * `toBytes()` checks the graph before writing: unique tensor names, every node input defined
 * earlier (graph input, initializer or an earlier node's output; '' marks an omitted optional
 * input), every graph output produced, and tensor dims that match the data length.
 */
import { DeepscanError } from '../util/errors.js';
import { PbMessage } from './protobuf.js';

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; data: TensorData; dims: number[] };

export const attr = {
  int(v: number): AttrValue {
    return { kind: 'int', value: v };
  },
  ints(v: number[]): AttrValue {
    return { kind: 'ints', value: [...v] };
  },
  float(v: number): AttrValue {
    return { kind: 'float', value: v };
  },
  floats(v: number[]): AttrValue {
    return { kind: 'floats', value: [...v] };
  },
  string(v: string): AttrValue {
    return { kind: 'string', value: v };
  },
  tensor(data: TensorData, dims: number[]): AttrValue {
    return { kind: 'tensor', data, dims: [...dims] };
  },
};

export type ElemType = 'float32' | 'int64' | 'int32' | 'uint8';

/** onnx.TensorProto.DataType values. */
const DATA_TYPE: Record<ElemType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7 };

/** onnx.AttributeProto.AttributeType values. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

const IR_VERSION = 8;
const DEFAULT_OPSET = 17;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function elemTypeOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  throw new DeepscanError('model-invalid', 'unsupported tensor data type (expected Float32Array, Int32Array, BigInt64Array or Uint8Array)');
}

/** Little-endian bytes of a typed array; a view (no copy) on little-endian hosts. */
function littleEndianBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const k = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += k) for (let j = 0; j < k; j++) out[i + j] = bytes[i + k - 1 - j];
  return out;
}

function checkDims(what: string, data: TensorData, dims: number[]): void {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new DeepscanError('model-invalid', `${what}: dimension ${d} is not a non-negative integer`);
    n *= d;
  }
  if (n !== data.length) {
    throw new DeepscanError('model-invalid', `${what}: dims [${dims.join(', ')}] hold ${n} elements but the data has ${data.length}`);
  }
}

function tensorProto(name: string | undefined, data: TensorData, dims: number[]): PbMessage {
  const m = new PbMessage();
  for (const d of dims) m.varint(1, d); // dims (repeated int64)
  m.varint(2, DATA_TYPE[elemTypeOf(data)]); // data_type
  if (name !== undefined) m.string(8, name); // name
  m.bytes(9, littleEndianBytes(data)); // raw_data
  return m;
}

interface ValueInfo {
  name: string;
  type: ElemType;
  shape: (number | string)[];
}

function valueInfoProto(v: ValueInfo): PbMessage {
  const shape = new PbMessage();
  for (const d of v.shape) {
    const dim = new PbMessage();
    if (typeof d === 'number') dim.varint(1, d); // dim_value
    else dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tensorType = new PbMessage().varint(1, DATA_TYPE[v.type]).message(2, shape); // elem_type, shape
  const type = new PbMessage().message(1, tensorType); // TypeProto.tensor_type
  return new PbMessage().string(1, v.name).message(2, type);
}

function attributeProto(name: string, a: AttrValue): PbMessage {
  const m = new PbMessage().string(1, name);
  switch (a.kind) {
    case 'float':
      m.float(2, a.value);
      break;
    case 'int':
      if (!Number.isSafeInteger(a.value)) throw new DeepscanError('model-invalid', `attribute ${name}: ${a.value} is not an integer`);
      m.varint(3, a.value);
      break;
    case 'string':
      m.string(4, a.value);
      break;
    case 'tensor':
      checkDims(`attribute ${name}`, a.data, a.dims);
      m.message(5, tensorProto(undefined, a.data, a.dims));
      break;
    case 'floats':
      for (const f of a.value) m.float(7, f);
      break;
    case 'ints':
      for (const i of a.value) {
        if (!Number.isSafeInteger(i)) throw new DeepscanError('model-invalid', `attribute ${name}: ${i} is not an integer`);
        m.varint(8, i);
      }
      break;
  }
  m.varint(20, ATTR_TYPE[a.kind]); // type
  return m;
}

interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: [string, AttrValue][];
  name: string;
}

export class OnnxGraphBuilder {
  private readonly graphName: string;
  private readonly opset: number;
  private readonly producerName: string;
  private readonly producerVersion: string;
  private readonly docString: string | undefined;
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: { name: string; data: TensorData; dims: number[] }[] = [];
  private readonly nodes: NodeSpec[] = [];
  private readonly metadata = new Map<string, string>();
  private readonly nodeNames = new Set<string>();

  constructor(opts: { graphName: string; opset?: number; producerName?: string; producerVersion?: string; docString?: string }) {
    const opset = opts.opset ?? DEFAULT_OPSET;
    if (!Number.isSafeInteger(opset) || opset < 1) throw new DeepscanError('model-invalid', `invalid opset ${opset}`);
    this.graphName = opts.graphName;
    this.opset = opset;
    this.producerName = opts.producerName ?? 'deepscan';
    this.producerVersion = opts.producerVersion ?? '';
    this.docString = opts.docString;
  }

  addInput(name: string, type: ElemType, shape: (number | string)[]): void {
    this.checkShape(`input ${name}`, shape);
    this.inputs.push({ name, type, shape: [...shape] });
  }

  addOutput(name: string, type: ElemType, shape: (number | string)[]): void {
    this.checkShape(`output ${name}`, shape);
    this.outputs.push({ name, type, shape: [...shape] });
  }

  /** Registers a constant weight tensor; the array is referenced, not copied. Returns `name`. */
  addInitializer(name: string, data: TensorData, dims: number[]): string {
    elemTypeOf(data);
    checkDims(`initializer ${name}`, data, dims);
    this.initializers.push({ name, data, dims: [...dims] });
    return name;
  }

  addNode(opType: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>, name?: string): void {
    if (outputs.length === 0 || outputs.every((o) => o === '')) throw new DeepscanError('model-invalid', `${opType} node without outputs`);
    const nodeName = name ?? `${opType}_${this.nodes.length}`;
    if (this.nodeNames.has(nodeName)) throw new DeepscanError('model-invalid', `duplicate node name ${nodeName}`);
    this.nodeNames.add(nodeName);
    // Attribute order: as given (object key insertion order is deterministic for string keys).
    this.nodes.push({ opType, inputs: [...inputs], outputs: [...outputs], attrs: Object.entries(attrs ?? {}), name: nodeName });
  }

  setMetadata(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  /** Serialises the model. Deterministic: the same calls give the same bytes. */
  toBytes(): Uint8Array {
    this.validate();
    const graph = new PbMessage();
    for (const n of this.nodes) {
      const node = new PbMessage();
      for (const i of n.inputs) node.string(1, i);
      for (const o of n.outputs) node.string(2, o);
      node.string(3, n.name);
      node.string(4, n.opType);
      for (const [k, v] of n.attrs) node.message(5, attributeProto(k, v));
      graph.message(1, node);
    }
    graph.string(2, this.graphName);
    for (const t of this.initializers) graph.message(5, tensorProto(t.name, t.data, t.dims));
    if (this.docString !== undefined) graph.string(10, this.docString);
    for (const v of this.inputs) graph.message(11, valueInfoProto(v));
    for (const v of this.outputs) graph.message(12, valueInfoProto(v));

    const model = new PbMessage();
    model.varint(1, IR_VERSION);
    model.string(2, this.producerName);
    if (this.producerVersion !== '') model.string(3, this.producerVersion);
    if (this.docString !== undefined) model.string(6, this.docString);
    model.message(7, graph);
    model.message(8, new PbMessage().string(1, '').varint(2, this.opset)); // opset_import: default domain
    for (const [k, v] of this.metadata) model.message(14, new PbMessage().string(1, k).string(2, v));
    try {
      return model.encode();
    } catch (e) {
      throw new DeepscanError('model-invalid', `cannot serialise ONNX model ${this.graphName}: ${(e as Error).message}`, { cause: e });
    }
  }

  private checkShape(what: string, shape: (number | string)[]): void {
    for (const d of shape) {
      if (typeof d === 'number' ? !Number.isSafeInteger(d) || d < 0 : d.length === 0) {
        throw new DeepscanError('model-invalid', `${what}: invalid dimension ${JSON.stringify(d)}`);
      }
    }
  }

  private validate(): void {
    const defined = new Set<string>();
    const define = (name: string, by: string): void => {
      if (name === '') throw new DeepscanError('model-invalid', `${by}: empty tensor name`);
      if (defined.has(name)) throw new DeepscanError('model-invalid', `${by}: tensor name ${name} is already defined`);
      defined.add(name);
    };
    for (const v of this.inputs) define(v.name, 'graph input');
    for (const t of this.initializers) define(t.name, 'initializer');
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        if (i !== '' && !defined.has(i)) {
          throw new DeepscanError('model-invalid', `node ${n.name} (${n.opType}) reads ${i}, which no input, initializer or earlier node defines`);
        }
      }
      for (const o of n.outputs) if (o !== '') define(o, `node ${n.name} (${n.opType})`); // '' = omitted optional output
    }
    const seen = new Set<string>();
    for (const v of this.outputs) {
      if (!defined.has(v.name)) throw new DeepscanError('model-invalid', `graph output ${v.name} is never produced`);
      if (seen.has(v.name)) throw new DeepscanError('model-invalid', `graph output ${v.name} listed twice`);
      seen.add(v.name);
    }
  }
}
