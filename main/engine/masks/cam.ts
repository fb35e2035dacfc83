/**
 * "Model attention" by class activation map: one forward pass per model on the face's 380×380
 * classifier canvas (classify/cam-graph.ts explains why the map is exact for this classifier).
 *
 * Per model the map is in logit units (its mean over the cells is that model's logit); the
 * ensemble map is the mean of the models' maps, as the video score is a mean over models. The
 * grid is upsampled bilinearly (cell centres, like align_corners=False) onto the canvas, then
 * cut to the resized crop's rectangle so that it stretches over the stored crop exactly as the
 * crop was placed by the isotropic resize and centring. Positive = pushes towards "fake".
 */
import { colormap } from '../../../common/colormap.js';
import ort from 'onnxruntime-node';
import { sigmoid32 } from '../classify/ensemble.js';
import { camFromFeatures, camGraph } from '../classify/cam-graph.js';
import { createSession, type ExecutionProviderChoice } from '../classify/execution.js';
import { toNormalizedNCHW } from '../classify/preprocess.js';
import type { ModelManifest } from '../classify/model-store.js';
import type { Image8 } from '../image/image.js';
import { DeepscanError, errorMessage } from '../util/errors.js';

export { CAM_LABEL } from './attention-info.js';

export interface ModelCam {
  modelId: string;
  logit: number;
  /** h × w cells, row-major, logit units. */
  cells: number[];
}

export interface CamResult {
  gridWidth: number;
  gridHeight: number;
  /** Ensemble mean of the models' cells (logit units), row-major. */
  values: number[];
  perModel: ModelCam[];
  /** Mean of the models' fake probabilities on the canvas. */
  baseScore: number;
}

/** The models' CAMs on one canvas, or `{ unavailable }` naming the first model whose graph has no CAM. */
export async function camMap(models: readonly { manifest: ModelManifest; bytes: Uint8Array }[], canvas: Image8, ep: ExecutionProviderChoice, context: string): Promise<CamResult | { unavailable: string }> {
  if (!models.length) throw new DeepscanError('invalid-argument', 'model attention needs at least one classifier model');
  const graphs = models.map((m) => ({ m, g: camGraph(m.bytes) }));
  const missing = graphs.find((x) => !x.g);
  if (missing) return { unavailable: missing.m.manifest.id };
  const perModel: ModelCam[] = [];
  let gw = 0;
  let gh = 0;
  for (const { m, g } of graphs) {
    const { manifest } = m;
    const size = manifest.input.size;
    if (canvas.width !== size || canvas.height !== size) throw new DeepscanError('inference-failed', `${context}: model ${manifest.id} expects ${size}×${size} input`);
    const data = toNormalizedNCHW([canvas], manifest.input.mean, manifest.input.std);
    // A session per model, released before the next: attention on a 7 × B7 ensemble stays within one model's memory.
    const s = await createSession(g!.bytes, ep, `model ${manifest.id} (attention)`);
    try {
      const out = await s.session.run({ [manifest.input.name]: new ort.Tensor('float32', data, [1, 3, size, size]) });
      const feat = out[g!.featureName];
      const [, channels, h, w] = feat.dims.map(Number);
      if (channels !== g!.weight.length) throw new DeepscanError('inference-failed', `${context}: model ${manifest.id} feature map has ${channels} channels, fc has ${g!.weight.length}`);
      if (perModel.length && (h !== gh || w !== gw)) throw new DeepscanError('inference-failed', `${context}: the models' feature maps differ in size`);
      gh = h;
      gw = w;
      const cells = camFromFeatures(feat.data as Float32Array, 0, channels, h, w, g!.weight, g!.bias);
      const logit = (out[manifest.output.logit].data as Float32Array)[0];
      if (!Number.isFinite(logit) || cells.some((v) => !Number.isFinite(v))) throw new DeepscanError('inference-failed', `${context}: model ${manifest.id} produced a non-finite value`);
      perModel.push({ modelId: manifest.id, logit, cells: [...cells] });
    } catch (e) {
      if (e instanceof DeepscanError) throw e;
      throw new DeepscanError('inference-failed', `${context}: model ${manifest.id} failed (${errorMessage(e)})`);
    } finally {
      await s.session.release();
    }
  }
  const values = perModel[0].cells.map((_, i) => perModel.reduce((a, p) => a + p.cells[i], 0) / perModel.length);
  const baseScore = perModel.reduce((a, p) => a + sigmoid32(p.logit), 0) / perModel.length;
  return { gridWidth: gw, gridHeight: gh, values, perModel, baseScore };
}

/** Bilinear upsampling of a grid onto a size × size canvas (cell centres at (i + 0.5) · size / n). */
export function upsampleGrid(values: readonly number[], gw: number, gh: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const coord = (p: number, n: number): [number, number, number] => {
    const g = Math.min(n - 1, Math.max(0, ((p + 0.5) * n) / size - 0.5));
    const i0 = Math.floor(g);
    const i1 = Math.min(n - 1, i0 + 1);
    return [i0, i1, g - i0];
  };
  for (let y = 0; y < size; y++) {
    const [y0, y1, fy] = coord(y, gh);
    for (let x = 0; x < size; x++) {
      const [x0, x1, fx] = coord(x, gw);
      const top = values[y0 * gw + x0] * (1 - fx) + values[y0 * gw + x1] * fx;
      const bottom = values[y1 * gw + x0] * (1 - fx) + values[y1 * gw + x1] * fx;
      out[y * size + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/**
 * RGBA overlay of a value map on the perceptual colour map between `min` and `max` (the scale the
 * legend states), cut to `region` of the canvas. Alpha rises with the value so that the face
 * stays visible where the models attend least.
 */
export function valuesToRgba(map: Float32Array, canvasWidth: number, region: { x: number; y: number; width: number; height: number }, min: number, max: number): Image8 {
  const out = new Uint8Array(region.width * region.height * 4);
  const span = max > min ? max - min : 1;
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      const t = Math.min(1, Math.max(0, (map[(region.y + y) * canvasWidth + region.x + x] - min) / span));
      const [r, g, b] = colormap(t);
      const o = (y * region.width + x) * 4;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = Math.round(60 + 150 * t);
    }
  }
  return { width: region.width, height: region.height, channels: 4, data: out };
}
