/**
 * What a stored heatmap row is (method, label, legend scale), from its canonical params JSON and
 * values. Kept free of onnxruntime so that the report and the service can read it cheaply.
 */
import { ATTENTION_LABEL } from './occlusion.js';

export const CAM_LABEL = 'model attention (class activation map)';

export type AttentionMethod = 'cam' | 'occlusion';

/** The values the colour map's two ends stand for. */
export interface AttentionScale {
  min: number;
  max: number;
  /** CAM: logit units (positive = towards "fake"); occlusion: drop of the ensemble's fake probability. */
  unit: 'logit' | 'probability drop';
}

/** CAM's legend spans the ensemble map's own extremes; occlusion's, 0 to the largest drop (as heatToRgba normalises). */
export function attentionScale(method: AttentionMethod, values: readonly number[]): AttentionScale {
  if (method === 'cam') return { min: Math.min(...values), max: Math.max(...values), unit: 'logit' };
  return { min: 0, max: Math.max(0, ...values), unit: 'probability drop' };
}

export function describeHeatmap(params: string, values: readonly number[]): { method: AttentionMethod; label: string; scale: AttentionScale } {
  const method: AttentionMethod = (JSON.parse(params) as { method?: string }).method === 'cam' ? 'cam' : 'occlusion';
  return { method, label: method === 'cam' ? CAM_LABEL : ATTENTION_LABEL, scale: attentionScale(method, values) };
}
