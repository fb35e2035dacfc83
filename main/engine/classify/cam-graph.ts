/**
 * Class activation maps (CAM) for the DeepFakeClassifier graph.
 *
 * The classifier ends in encoder → GlobalAveragePool → Flatten → Gemm(fc), so its logit is
 * exactly the spatial mean of the map Σ_c w_c · A_c(y, x) + b over the last feature map A:
 * that map (the CAM) costs one forward pass plus a dot product per cell.
 *
 * Why a sibling graph derived from the installed ONNX rather than a second output written at
 * import: the checkpoint is not kept after import, and a new output would change the ONNX bytes,
 * hence every installed model's id and SHA-256 recorded in existing cases. Instead the installed
 * (hash-verified) bytes get one extra graph output — the feature map feeding the node named
 * `global_pool` — by appending a ModelProto fragment: protobuf merges a repeated embedded field
 * into the message already parsed, so the original bytes are untouched and the logit path is the
 * same graph. The session built from it is used for attention only; scoring keeps the original.
 * Models not built by Deepscan (imported .onnx of another shape) have no CAM: `null`.
 */
import { fields } from '../onnx/external-data.js';
import { PbMessage } from '../onnx/protobuf.js';

export interface CamGraph {
  /** The installed model's bytes with the feature map added as an output. */
  bytes: Uint8Array;
  /** Name of the feature-map output (float32 [N, F, h, w]). */
  featureName: string;
  /** fc.weight (F values) and fc.bias. */
  weight: Float32Array;
  bias: number;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const ONNX_FLOAT = 1;

interface NodeInfo { name: string; op: string; inputs: string[] }

function nodeInfo(b: Uint8Array): NodeInfo {
  const n: NodeInfo = { name: '', op: '', inputs: [] };
  for (const f of fields(b, 'NodeProto')) {
    if (!f.bytes) continue;
    if (f.n === 1) n.inputs.push(text(f.bytes));
    else if (f.n === 3) n.name = text(f.bytes);
    else if (f.n === 4) n.op = text(f.bytes);
  }
  return n;
}

/** A float32 initializer's values (raw_data or float_data), or null when it is not one. */
function floatTensor(b: Uint8Array): { name: string; data: Float32Array } | null {
  let name = '';
  let type = 0;
  let raw: Uint8Array | null = null;
  for (const f of fields(b, 'TensorProto')) {
    if (f.n === 8 && f.bytes) name = text(f.bytes);
    else if (f.n === 2 && f.value !== undefined) type = Number(f.value);
    else if (f.n === 9 && f.bytes) raw = f.bytes;
  }
  if (type !== ONNX_FLOAT || !raw || raw.byteLength % 4) return null;
  const data = new Float32Array(raw.byteLength / 4);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  return { name, data };
}

/** The CAM sibling of an installed classifier graph, or null when the graph is not of that shape. */
export function camGraph(model: Uint8Array): CamGraph | null {
  let graph: Uint8Array | null = null;
  for (const f of fields(model, 'ModelProto')) if (f.n === 7 && f.bytes) graph = f.bytes;
  if (!graph) return null;
  let featureName: string | null = null;
  let weight: Float32Array | null = null;
  let bias: Float32Array | null = null;
  for (const f of fields(graph, 'GraphProto')) {
    if (!f.bytes) continue;
    if (f.n === 1) {
      const n = nodeInfo(f.bytes);
      if (n.name === 'global_pool' && n.op === 'GlobalAveragePool') featureName = n.inputs[0] ?? null;
    } else if (f.n === 5) {
      const t = floatTensor(f.bytes);
      if (t?.name === 'fc.weight') weight = t.data;
      else if (t?.name === 'fc.bias') bias = t.data;
    }
  }
  if (!featureName || !weight || !bias || bias.length !== 1) return null;
  const tensorType = new PbMessage().varint(1, ONNX_FLOAT); // TypeProto.Tensor.elem_type
  const output = new PbMessage().string(1, featureName).message(2, new PbMessage().message(1, tensorType));
  const fragment = new PbMessage().message(7, new PbMessage().message(12, output)).encode(); // ModelProto.graph.output
  const bytes = new Uint8Array(model.byteLength + fragment.byteLength);
  bytes.set(model, 0);
  bytes.set(fragment, model.byteLength);
  return { bytes, featureName, weight, bias: bias[0] };
}

/**
 * CAM cells of one face from its feature map (F × h × w, row-major per channel): Σ_c w_c A_c + b,
 * accumulated in float64. Their mean is the model's logit.
 */
export function camFromFeatures(features: Float32Array, offset: number, channels: number, h: number, w: number, weight: Float32Array, bias: number): Float64Array {
  const plane = h * w;
  const out = new Float64Array(plane).fill(bias);
  for (let c = 0; c < channels; c++) {
    const wc = weight[c];
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[i] += wc * features[base + i];
  }
  return out;
}
