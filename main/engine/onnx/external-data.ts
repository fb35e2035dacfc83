/**
 * Refusing ONNX models that reference other files. ONNX lets a tensor keep its bytes outside
 * the model ("external data": TensorProto.data_location = EXTERNAL with a `location` path),
 * and onnxruntime resolves such paths relative to the model, or to the working directory
 * when the model is loaded from memory as Deepscan does. A hostile model could thereby read
 * any file it can name during the import check or at analysis. Deepscan's models are always
 * self-contained, so any external reference is refused before onnxruntime sees the bytes.
 *
 * This is a minimal protobuf walk over exactly the messages that can hold tensors: the graph
 * (and every subgraph in node attributes), initializers, sparse initializers, attribute
 * tensors, training-info graphs and model-local functions.
 */
import { DeepscanError } from '../util/errors.js';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** TensorProto.DataLocation.EXTERNAL */
const DATA_LOCATION_EXTERNAL = 1;
/** Nested graphs deeper than this are refused: real models nest If/Loop bodies a few levels. */
const MAX_DEPTH = 32;

export interface PbField {
  n: number;
  wire: number;
  /** Varint value (wire 0). */
  value?: bigint;
  /** Payload (wire 2). */
  bytes?: Uint8Array;
}

/** Iterates the top-level fields of one protobuf message; malformed input throws (also used by classify/cam-graph.ts). */
export function* fields(buf: Uint8Array, what: string): Generator<PbField> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error(`${what}: truncated varint`);
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 63n) throw new Error(`${what}: varint too long`);
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const n = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (n === 0) throw new Error(`${what}: field number 0`);
    if (wire === WIRE_VARINT) yield { n, wire, value: varint() };
    else if (wire === WIRE_I64) pos += 8;
    else if (wire === WIRE_I32) pos += 4;
    else if (wire === WIRE_LEN) {
      const len = varint();
      if (len > BigInt(buf.length - pos)) throw new Error(`${what}: field ${n} runs past the end of the message`);
      const start = pos;
      pos += Number(len);
      yield { n, wire, bytes: buf.subarray(start, pos) };
    } else {
      throw new Error(`${what}: unsupported wire type ${wire}`);
    }
    if (pos > buf.length) throw new Error(`${what}: truncated field ${n}`);
  }
}

function text(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}

/** What an external tensor points at, for the error message. */
function externalLocation(tensor: Uint8Array): { external: boolean; location: string | null; name: string | null } {
  let external = false;
  let location: string | null = null;
  let name: string | null = null;
  for (const f of fields(tensor, 'TensorProto')) {
    if (f.n === 14 && f.wire === WIRE_VARINT && f.value === BigInt(DATA_LOCATION_EXTERNAL)) external = true;
    else if (f.n === 8 && f.bytes) name = text(f.bytes);
    else if (f.n === 13 && f.bytes) {
      // StringStringEntryProto { key = 1, value = 2 }: any entry at all means external data.
      external = true;
      let key = '';
      let value = '';
      for (const e of fields(f.bytes, 'StringStringEntryProto')) {
        if (e.n === 1 && e.bytes) key = text(e.bytes);
        else if (e.n === 2 && e.bytes) value = text(e.bytes);
      }
      if (key === 'location') location = value;
    }
  }
  return { external, location, name };
}

class Finder {
  readonly found: string[] = [];

  tensor(b: Uint8Array, where: string): void {
    const t = externalLocation(b);
    if (t.external) this.found.push(`${where}${t.name ? ` tensor "${t.name}"` : ''} keeps its data in ${t.location ? `"${t.location}"` : 'an external file'}`);
  }

  sparse(b: Uint8Array, where: string): void {
    for (const f of fields(b, 'SparseTensorProto')) if ((f.n === 1 || f.n === 2) && f.bytes) this.tensor(f.bytes, `${where} sparse`);
  }

  graph(b: Uint8Array, where: string, depth: number): void {
    if (depth > MAX_DEPTH) throw new Error(`graphs nested more than ${MAX_DEPTH} deep`);
    for (const f of fields(b, 'GraphProto')) {
      if (!f.bytes) continue;
      if (f.n === 1) this.node(f.bytes, where, depth);
      else if (f.n === 5) this.tensor(f.bytes, `${where} initializer`);
      else if (f.n === 15) this.sparse(f.bytes, `${where} initializer`);
    }
  }

  node(b: Uint8Array, where: string, depth: number): void {
    for (const f of fields(b, 'NodeProto')) if (f.n === 5 && f.bytes) this.attribute(f.bytes, `${where} node attribute`, depth);
  }

  attribute(b: Uint8Array, where: string, depth: number): void {
    for (const f of fields(b, 'AttributeProto')) {
      if (!f.bytes) continue;
      if (f.n === 5 || f.n === 10) this.tensor(f.bytes, where); // t, tensors
      else if (f.n === 22 || f.n === 23) this.sparse(f.bytes, where); // sparse_tensor, sparse_tensors
      else if (f.n === 6 || f.n === 11) this.graph(f.bytes, `${where} subgraph`, depth + 1); // g, graphs
    }
  }

  model(b: Uint8Array): void {
    for (const f of fields(b, 'ModelProto')) {
      if (!f.bytes) continue;
      if (f.n === 7) this.graph(f.bytes, 'graph', 0);
      else if (f.n === 20) {
        // TrainingInfoProto { initialization = 1, algorithm = 2 } (both GraphProto)
        for (const g of fields(f.bytes, 'TrainingInfoProto')) if ((g.n === 1 || g.n === 2) && g.bytes) this.graph(g.bytes, 'training graph', 1);
      } else if (f.n === 25) {
        // FunctionProto.node = 7
        for (const g of fields(f.bytes, 'FunctionProto')) if (g.n === 7 && g.bytes) this.node(g.bytes, 'function', 1);
      }
    }
  }
}

/**
 * Throws 'model-invalid' naming `file` when the ONNX model refers to external data (or cannot
 * be parsed as a protobuf at all). Returns quietly for a self-contained model.
 */
export function refuseExternalData(bytes: Uint8Array, file: string): void {
  const finder = new Finder();
  try {
    finder.model(bytes);
  } catch (e) {
    throw new DeepscanError('model-invalid', `${file}: not a readable ONNX model (${(e as Error).message}); not installed`, { file, cause: e });
  }
  if (finder.found.length) {
    const more = finder.found.length > 1 ? ` (and ${finder.found.length - 1} more)` : '';
    throw new DeepscanError(
      'model-invalid',
      `${file}: the ONNX model refers to other files: ${finder.found[0]}${more}; Deepscan only installs self-contained models, not installed`,
      { file },
    );
  }
}
