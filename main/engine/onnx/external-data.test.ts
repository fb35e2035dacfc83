import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOnnxRuns } from '../classify/onnx-check.js';
import { DeepscanError } from '../util/errors.js';
import { OnnxGraphBuilder } from './builder.js';
import { refuseExternalData } from './external-data.js';
import { PbMessage } from './protobuf.js';

const dir = mkdtempSync(join(tmpdir(), 'deepscan-extdata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A float tensor [3] named w whose bytes live in `location` (TensorProto fields 1, 2, 8, 13, 14). */
function externalTensor(location: string, opts: { dataLocation?: boolean; entries?: boolean } = {}): PbMessage {
  const t = new PbMessage().varint(1, 3).varint(2, 1).string(8, 'w');
  if (opts.entries !== false) {
    t.message(13, new PbMessage().string(1, 'location').string(2, location));
    t.message(13, new PbMessage().string(1, 'offset').string(2, '0'));
    t.message(13, new PbMessage().string(1, 'length').string(2, '12'));
  }
  if (opts.dataLocation !== false) t.varint(14, 1);
  return t;
}

function valueInfo(name: string): PbMessage {
  // ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1, shape = 2 { dim = 1 { dim_value = 1 } } } } }
  const shape = new PbMessage().message(1, new PbMessage().varint(1, 3));
  return new PbMessage().string(1, name).message(2, new PbMessage().message(1, new PbMessage().varint(1, 1).message(2, shape)));
}

/** y = x + w with w as an initializer stored externally. */
function modelWithExternalInitializer(location: string, opts?: { dataLocation?: boolean; entries?: boolean }): Uint8Array {
  const graph = new PbMessage()
    .message(1, new PbMessage().string(1, 'x').string(1, 'w').string(2, 'y').string(3, 'add').string(4, 'Add'))
    .string(2, 'g')
    .message(5, externalTensor(location, opts))
    .message(11, valueInfo('x'))
    .message(12, valueInfo('y'));
  return new PbMessage().varint(1, 8).message(7, graph).message(8, new PbMessage().string(1, '').varint(2, 13)).encode();
}

/** The external tensor hidden in a Constant node's attribute, inside an If node's then-branch. */
function modelWithNestedExternalConstant(location: string): Uint8Array {
  const constant = new PbMessage().string(2, 'c').string(3, 'const').string(4, 'Constant')
    .message(5, new PbMessage().string(1, 'value').message(5, externalTensor(location)).varint(20, 4));
  const thenBranch = new PbMessage().message(1, constant).string(2, 'then').message(12, valueInfo('c'));
  const ifNode = new PbMessage().string(1, 'cond').string(2, 'out').string(3, 'if').string(4, 'If')
    .message(5, new PbMessage().string(1, 'then_branch').message(6, thenBranch).varint(20, 5));
  const graph = new PbMessage().message(1, ifNode).string(2, 'g').message(11, valueInfo('cond')).message(12, valueInfo('out'));
  return new PbMessage().varint(1, 8).message(7, graph).message(8, new PbMessage().string(1, '').varint(2, 13)).encode();
}

function refusal(bytes: Uint8Array): DeepscanError {
  try {
    refuseExternalData(bytes, 'hostile.onnx');
  } catch (e) {
    return e as DeepscanError;
  }
  throw new Error('the model was not refused');
}

describe('refuseExternalData', () => {
  it('refuses an initializer kept in another file, naming the file it points at', () => {
    const e = refusal(modelWithExternalInitializer('/etc/passwd'));
    expect(e).toBeInstanceOf(DeepscanError);
    expect(e.code).toBe('model-invalid');
    expect(e.message).toContain('hostile.onnx');
    expect(e.message).toContain('refers to other files');
    expect(e.message).toContain('"/etc/passwd"');
    expect(e.message).toContain('tensor "w"');
  });

  it('refuses external data flagged by data_location alone or by external_data entries alone', () => {
    expect(refusal(modelWithExternalInitializer('x.bin', { entries: false })).message).toContain('an external file');
    expect(refusal(modelWithExternalInitializer('../x.bin', { dataLocation: false })).message).toContain('"../x.bin"');
  });

  it('finds an external tensor in a Constant node inside a subgraph', () => {
    expect(refusal(modelWithNestedExternalConstant('secret.bin')).message).toContain('subgraph');
  });

  it('refuses bytes that are not a protobuf message', () => {
    const e = refusal(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    expect(e.code).toBe('model-invalid');
    expect(e.message).toContain('not a readable ONNX model');
  });

  it('accepts a self-contained model built by Deepscan', () => {
    const b = new OnnxGraphBuilder({ graphName: 'ok' });
    b.addInput('x', 'float32', [3]);
    b.addInitializer('w', new Float32Array([1, 2, 3]), [3]);
    b.addNode('Add', ['x', 'w'], ['y']);
    b.addOutput('y', 'float32', [3]);
    expect(() => refuseExternalData(b.toBytes(), 'ok.onnx')).not.toThrow();
  });

  it('is needed: onnxruntime reads the file a model names when the model comes from a path', async () => {
    // onnxruntime 1.30 refuses external data for a model given as bytes ("model_path must not be
    // empty"), but reads it for a model loaded from a file, and that behaviour is the runtime's
    // to change. Deepscan refuses such a model before onnxruntime sees it, however it is loaded.
    const model = join(dir, 'hostile.onnx');
    writeFileSync(join(dir, 'weights.bin'), Buffer.from(new Float32Array([10, 20, 30]).buffer));
    writeFileSync(model, modelWithExternalInitializer('weights.bin'));
    const s = await ort.InferenceSession.create(model);
    try {
      const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, 1]), [3]) });
      expect(Array.from(r.y.data as Float32Array)).toEqual([11, 21, 31]);
    } finally {
      await s.release();
    }
    const contract = { input: { name: 'x', size: 1, mean: [0, 0, 0], std: [1, 1, 1] }, output: { logit: 'y', prob: null } };
    await expect(checkOnnxRuns(readFileSync(model), contract, 'hostile.onnx')).rejects.toThrow(/refers to other files: graph initializer tensor "w" keeps its data in "weights.bin"/);
  });
});
