/**
 * What is drawn over a face crop in the face view: the stored difference mask (against a known
 * original) and the model-attention map, per face, with the examiner's toggles and opacities.
 * Computing an attention map can take minutes on CPU: it runs in the background, the face view
 * can be left meanwhile, and the result lands in the cache of the face it was asked for.
 */
import type { Box, DeepscanClient, FaceOverlays } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { attempt, Generation } from './resource.svelte.js';

/** Where a mask (its reference crop rect) sits over the face's own crop, in percent of the crop. */
export interface OverlayPlacement {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function placeMask(faceCrop: Box, maskCrop: Box): OverlayPlacement {
  const w = faceCrop[2] - faceCrop[0];
  const h = faceCrop[3] - faceCrop[1];
  if (w <= 0 || h <= 0) return { left: 0, top: 0, width: 100, height: 100 };
  return {
    left: ((maskCrop[0] - faceCrop[0]) / w) * 100,
    top: ((maskCrop[1] - faceCrop[1]) / h) * 100,
    width: ((maskCrop[2] - maskCrop[0]) / w) * 100,
    height: ((maskCrop[3] - maskCrop[1]) / h) * 100,
  };
}

export class OverlayState {
  caseId = $state<string | null>(null);
  /** Overlays by face id (absent: not loaded yet). */
  byFace = $state<Record<number, FaceOverlays>>({});
  /** Face ids being read. */
  loading = $state<Record<number, true>>({});
  /** Face ids whose attention map is being computed. */
  computing = $state<Record<number, true>>({});
  /** Last problem by face id (reading or computing). */
  errors = $state<Record<number, ApiError>>({});
  showMask = $state(true);
  showHeatmap = $state(true);
  maskOpacity = $state(60);
  heatmapOpacity = $state(50);

  readonly #api: DeepscanClient;
  /** Per-face maps, not one value: a generation drops answers that arrive after clear(). */
  readonly #gen = new Generation();

  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#gen.bump();
    this.caseId = null;
    this.byFace = {};
    this.loading = {};
    this.computing = {};
    this.errors = {};
  }

  /** Forgets what was read (e.g. after a comparison stored new masks); running computations go on. */
  invalidate(): void {
    this.byFace = {};
    this.errors = {};
  }

  #forCase(caseId: string): void {
    if (this.caseId !== caseId) {
      this.clear();
      this.caseId = caseId;
    }
  }

  /** Reads a face's overlays once (again with `force`). */
  async load(caseId: string, faceId: number, force = false): Promise<void> {
    this.#forCase(caseId);
    if (this.loading[faceId] || (!force && this.byFace[faceId])) return;
    const gen = this.#gen.current;
    this.loading[faceId] = true;
    const r = await attempt(() => this.#api.getFaceOverlays(caseId, faceId));
    if (!this.#gen.isCurrent(gen)) return;
    delete this.loading[faceId];
    if (r.ok) {
      this.byFace[faceId] = r.value;
      delete this.errors[faceId];
    } else this.errors[faceId] = r.error;
  }

  /** Computes (or fetches the cached) attention map of a face. Returns whether it succeeded. */
  async computeHeatmap(caseId: string, faceId: number): Promise<boolean> {
    this.#forCase(caseId);
    if (this.computing[faceId]) return false;
    const gen = this.#gen.current;
    this.computing[faceId] = true;
    delete this.errors[faceId];
    const r = await attempt(() => this.#api.computeHeatmap(caseId, faceId));
    if (!this.#gen.isCurrent(gen)) return false;
    delete this.computing[faceId];
    if (!r.ok) {
      this.errors[faceId] = r.error;
      return false;
    }
    this.byFace[faceId] = r.value;
    this.showHeatmap = true;
    return true;
  }
}
