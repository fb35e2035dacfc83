/**
 * One analysed video: its detail (frames, faces, model and track outcomes), the selected frame
 * and face, and caches of frame previews and face crops (data: URLs), fetched on demand.
 */
import type { DeepscanClient, FaceInfo, FrameInfo, ReviewInfo, VideoDetail } from '../../../common/api.js';
import type { ApiError, Result } from '../../../common/result.js';
import { frameSeries, type Series } from './explain.js';
import { personSeries, type PersonSeries } from './person-series.js';
import { AsyncResource, attempt } from './resource.svelte.js';

/** At least this ensemble probability marks a face as flagged (the "weak" band's lower limit). */
export const FLAG_AT = 0.5;
const MAX_PARALLEL = 4;

export class VideoState {
  caseId = $state<string | null>(null);
  evidenceId = $state<number | null>(null);
  /** The detail of (caseId, evidenceId); its generation also guards the image fetches. */
  readonly #detail = new AsyncResource<VideoDetail>();
  /** Index into detail.frames. */
  frameIdx = $state(0);
  faceId = $state<number | null>(null);
  previews = $state<Record<number, string>>({});
  crops = $state<Record<number, string>>({});
  /** Where the view opened, and why: the frame holding the highest-scoring face. */
  opened = $state<{ frameIdx: number; score: number } | null>(null);
  /** Frame or face ids whose image could not be read. */
  missing = $state<Record<string, ApiError>>({});

  get detail(): VideoDetail | null {
    return this.#detail.value;
  }
  get loading(): boolean {
    return this.#detail.loading;
  }
  get error(): ApiError | null {
    return this.#detail.error;
  }

  readonly series: Series[] = $derived(this.detail ? frameSeries(this.detail) : []);
  readonly persons: PersonSeries[] = $derived(this.detail ? personSeries(this.detail) : []);
  /** Highest face difference energy per sampled frame (latest comparison); [] when not compared. */
  readonly energy: (number | null)[] = $derived.by(() => {
    const frames = this.detail?.frames ?? [];
    const values = frames.map((fr) => fr.faces.reduce<number | null>((m, f) => (typeof f.energy === 'number' && (m === null || f.energy > m) ? f.energy : m), null));
    return values.some((v) => v !== null) ? values : [];
  });
  readonly frame: FrameInfo | null = $derived(this.detail?.frames[this.frameIdx] ?? null);
  readonly selectedFace: FaceInfo | null = $derived.by(() => {
    const id = this.faceId;
    if (id === null || !this.detail) return null;
    for (const fr of this.detail.frames) for (const f of fr.faces) if (f.id === id) return f;
    return null;
  });
  /** Faces at or above FLAG_AT, in frame order. */
  readonly flagged: { frameIdx: number; face: FaceInfo }[] = $derived.by(() => {
    const out: { frameIdx: number; face: FaceInfo }[] = [];
    this.detail?.frames.forEach((fr, i) => {
      for (const f of fr.faces) if ((f.ensemble ?? 0) >= FLAG_AT) out.push({ frameIdx: i, face: f });
    });
    return out;
  });

  readonly #api: DeepscanClient;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not UI state
  readonly #inflight = new Set<string>();
  /** Image requests waiting for a slot (at most MAX_PARALLEL at once). */
  readonly #waiting: (() => void)[] = [];
  #active = 0;

  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#detail.clear();
    this.caseId = null;
    this.evidenceId = null;
    this.frameIdx = 0;
    this.faceId = null;
    this.opened = null;
    this.previews = {};
    this.crops = {};
    this.missing = {};
    this.#inflight.clear();
  }

  async load(caseId: string, evidenceId: number): Promise<boolean> {
    if (this.caseId !== caseId || this.evidenceId !== evidenceId) {
      this.clear();
      this.caseId = caseId;
      this.evidenceId = evidenceId;
    }
    this.#detail.error = null;
    const detail = await this.#detail.load(`${caseId}/${evidenceId}`, () => this.#api.getVideo(caseId, evidenceId));
    if (!detail) return false;
    if (this.frameIdx >= detail.frames.length) this.frameIdx = 0;
    if (this.faceId === null || !this.selectedFace) {
      // Start where it matters: the highest-scoring face, selected, in its frame.
      let best: { i: number; p: number; id: number } | null = null;
      detail.frames.forEach((fr, i) => {
        for (const f of fr.faces) if (f.ensemble !== null && (!best || f.ensemble > best.p)) best = { i, p: f.ensemble, id: f.id };
      });
      const top = best as { i: number; p: number; id: number } | null;
      this.frameIdx = top ? top.i : 0;
      this.faceId = top ? top.id : null;
      this.opened = top ? { frameIdx: top.i, score: top.p } : null;
    }
    void this.ensurePreview(this.frame?.id ?? null);
    return true;
  }

  frameOf(faceId: number): FrameInfo | null {
    for (const fr of this.detail?.frames ?? []) if (fr.faces.some((f) => f.id === faceId)) return fr;
    return null;
  }

  selectFrame(i: number): void {
    const n = this.detail?.frames.length ?? 0;
    if (n === 0) return;
    this.frameIdx = Math.max(0, Math.min(n - 1, i));
    const fr = this.frame;
    if (fr && !fr.faces.some((f) => f.id === this.faceId)) this.faceId = null;
    void this.ensurePreview(fr?.id ?? null);
    // Neighbours too, so stepping does not wait.
    const next = this.detail?.frames[this.frameIdx + 1];
    if (next) void this.ensurePreview(next.id);
  }

  step(delta: number): void {
    this.selectFrame(this.frameIdx + delta);
  }

  selectFaceById(faceId: number): void {
    const frames = this.detail?.frames ?? [];
    const i = frames.findIndex((fr) => fr.faces.some((f) => f.id === faceId));
    if (i < 0) return;
    this.selectFrame(i);
    this.faceId = faceId;
  }

  /** Moves to the next (or previous) flagged face after the current position. */
  stepFlagged(delta: 1 | -1): boolean {
    const list = this.flagged;
    if (list.length === 0) return false;
    const pos = list.findIndex((x) => x.face.id === this.faceId);
    let target: { frameIdx: number; face: FaceInfo } | undefined;
    if (pos >= 0) target = list[(pos + delta + list.length) % list.length];
    else if (delta > 0) target = list.find((x) => x.frameIdx >= this.frameIdx) ?? list[0];
    else target = [...list].reverse().find((x) => x.frameIdx <= this.frameIdx) ?? list[list.length - 1];
    this.selectFaceById(target.face.id);
    return true;
  }

  async ensurePreview(frameId: number | null): Promise<void> {
    const c = this.caseId;
    if (frameId === null || !c || this.previews[frameId] || this.#inflight.has(`p${frameId}`)) return;
    await this.#fetch(`p${frameId}`, () => this.#api.getFramePreview(c, frameId), (url) => (this.previews[frameId] = url), true);
  }

  async ensureCrop(faceId: number): Promise<void> {
    const c = this.caseId;
    if (!c || this.crops[faceId] || this.#inflight.has(`c${faceId}`)) return;
    await this.#fetch(`c${faceId}`, () => this.#api.getFaceCrop(c, faceId), (url) => (this.crops[faceId] = url));
  }

  async #fetch(key: string, fn: () => Promise<Result<string>>, put: (url: string) => void, urgent = false): Promise<void> {
    const gen = this.#detail.generation;
    this.#inflight.add(key);
    if (this.#active >= MAX_PARALLEL) await new Promise<void>((go) => (urgent ? this.#waiting.unshift(go) : this.#waiting.push(go)));
    this.#active++;
    try {
      if (!this.#detail.isCurrent(gen)) return;
      const r = await attempt(fn);
      if (!this.#detail.isCurrent(gen)) return;
      if (r.ok) put(r.value);
      else this.missing[key] = r.error;
    } finally {
      this.#inflight.delete(key);
      this.#active--;
      this.#waiting.shift()?.();
    }
  }

  /** After an undo back to "never reviewed". */
  clearReview(evidenceId: number, faceId: number): void {
    if (this.evidenceId !== evidenceId || !this.detail) return;
    for (const fr of this.detail.frames) for (const f of fr.faces) if (f.id === faceId) f.review = null;
  }

  applyReview(evidenceId: number, faceId: number, info: ReviewInfo): void {
    if (this.evidenceId !== evidenceId || !this.detail) return;
    for (const fr of this.detail.frames) for (const f of fr.faces) if (f.id === faceId) f.review = info;
  }
}
