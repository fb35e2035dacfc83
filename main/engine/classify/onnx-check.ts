/**
 * The load check every model passes before it is installed (issue 10): the ONNX bytes must
 * load in onnxruntime (CPU) and, on a test batch normalised like real input, give exactly one
 * finite logit per face. Random bytes named .onnx, a graph with other input/output names or
 * sizes than its manifest says, or one with a fixed batch of 1 (the GPU path scores faces in
 * batches) are refused here, with the file named, instead of failing at analysis.
 */
import ort from 'onnxruntime-node';
import { refuseExternalData } from '../onnx/external-data.js';
import { DeepscanError, errorMessage } from '../util/errors.js';

export interface OnnxContract {
  input: { name: string; size: number; mean: readonly number[]; std: readonly number[] };
  output: { logit: string; prob: string | null };
}

/** Two faces: mid-grey and black, each normalised as preprocess.ts does. */
const TEST_PIXELS = [128, 0];

export async function checkOnnxRuns(bytes: Uint8Array, contract: OnnxContract, file: string): Promise<{ logits: number[] }> {
  const fail = (what: string): never => {
    throw new DeepscanError('model-invalid', `${file}: the ONNX model ${what}; not installed`, { file });
  };
  // Before onnxruntime sees the bytes: a tensor kept "outside" the model would make it read
  // whatever file the model names.
  refuseExternalData(bytes, file);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } catch (e) {
    return fail(`does not load in onnxruntime (${firstLine(errorMessage(e))})`);
  }
  try {
    const { input, output } = contract;
    if (!session.inputNames.includes(input.name)) fail(`has no input named ${input.name} (inputs: ${session.inputNames.join(', ')})`);
    for (const name of [output.logit, output.prob]) {
      if (name !== null && !session.outputNames.includes(name)) fail(`has no output named ${name} (outputs: ${session.outputNames.join(', ')})`);
    }
    const s = input.size;
    const plane = s * s;
    const data = new Float32Array(TEST_PIXELS.length * 3 * plane);
    TEST_PIXELS.forEach((v, n) => {
      for (let c = 0; c < 3; c++) {
        data.fill(Math.fround((Math.fround(v / 255) - Math.fround(input.mean[c])) / Math.fround(input.std[c])), (n * 3 + c) * plane, (n * 3 + c + 1) * plane);
      }
    });
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run({ [input.name]: new ort.Tensor('float32', data, [TEST_PIXELS.length, 3, s, s]) }, [output.logit]);
    } catch (e) {
      return fail(`fails on a ${TEST_PIXELS.length}×3×${s}×${s} test batch (${firstLine(errorMessage(e))})`);
    }
    const logit = result[output.logit];
    const values = logit.type === 'float32' || logit.type === 'float64' ? Array.from(logit.data as Float32Array | Float64Array) : null;
    if (!values) return fail(`gives ${output.logit} of type ${logit.type}, not floating point`);
    if (values.length !== TEST_PIXELS.length) fail(`gives ${values.length} values of ${output.logit} (shape [${logit.dims.join(', ')}]) for ${TEST_PIXELS.length} faces; one logit per face is needed`);
    if (!values.every(Number.isFinite)) fail(`gives a non-finite logit (${values.join(', ')}) on the test batch`);
    return { logits: values };
  } finally {
    await session.release();
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 200);
}
