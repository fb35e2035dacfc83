/**
 * The review queue: flagged faces, highest first, worked through from the keyboard.
 *   J / K      next / previous face          F / R / U  fake / real / unsure
 *   Home / End first / last face              0–5        category
 *   N          note (Enter saves, Esc)        X / Space  select for a bulk action
 *   Shift+A    select all / none
 */
import type { DeepscanClient, ReviewDecision, ReviewInfo, ReviewQueueFilter, ReviewQueueItem, ReviewState as FaceReviewState } from '../../../common/api.js';
import { faceLabel } from '../../../common/format.js';
import type { ApiError } from '../../../common/result.js';
import { reviewStateOf } from '../../../common/review-words.js';
import { ImageCache } from './image-cache.svelte.js';
import { AsyncResource } from './resource.svelte.js';
import type { FaceTarget, ReviewPatch } from './targets.js';

export interface Decider {
  decide(target: FaceTarget, patch: ReviewPatch): Promise<ReviewInfo | null>;
  /** How many frames the item's analysis sampled (for "frame 4 of 32"); null when unknown. */
  sampledFramesOf?(evidenceId: number): number | null;
}

/** Filters that take several values; an empty list is no filter. */
export type ListFilter = 'bands' | 'decisions';
type ListValue<K extends ListFilter> = NonNullable<ReviewQueueFilter[K]>[number];

export const REVIEW_KEYS: { keys: string; action: string }[] = [
  { keys: 'J / K', action: 'Next / previous face' },
  { keys: 'Home / End', action: 'First / last face' },
  { keys: 'F', action: 'Mark fake (manipulated)' },
  { keys: 'R', action: 'Mark real (authentic)' },
  { keys: 'U', action: 'Mark unsure' },
  { keys: 'N', action: 'Note (Enter saves, Esc cancels)' },
  { keys: '0–5', action: 'Category' },
  { keys: 'X', action: 'Select / unselect for bulk' },
];

export const DECISION_LABEL: Record<ReviewDecision, string> = { fake: 'Fake', real: 'Real', unsure: 'Unsure' };

/**
 * A queue item's review state, from its review as it is now (a decision made here changes it at
 * once; the engine's reviewState is as of the last read).
 */
export function stateOfItem(i: ReviewQueueItem): FaceReviewState {
  return reviewStateOf(i.review);
}

export function targetOfItem(i: ReviewQueueItem): FaceTarget {
  return { evidenceId: i.evidenceId, frameIndex: i.frameIndex, faceNo: i.faceNo, faceId: i.faceId, review: i.review };
}

export class ReviewState {
  /** The queue of the case it was read for (a newer read supersedes an older one). */
  readonly #queue = new AsyncResource<ReviewQueueItem[]>();
  threshold = $state(0.5);
  /** Queue filters (video, person, band, decision, energy); an empty object shows every flagged face. */
  filter = $state<ReviewQueueFilter>({});
  cursor = $state(0);
  selected = $state<Record<number, true>>({});
  noteOpen = $state(false);
  noteDraft = $state('');
  advance = $state(true);
  /** Decisions sent and not answered yet (keys are never dropped: they queue). */
  pending = $state(0);
  /** Last thing done, for the live region. */
  message = $state('');

  readonly crops = new ImageCache(4);

  get items(): ReviewQueueItem[] {
    return this.#queue.value ?? [];
  }
  get loadedFor(): string | null {
    return this.#queue.key;
  }
  get loading(): boolean {
    return this.#queue.loading;
  }
  get error(): ApiError | null {
    return this.#queue.error;
  }

  readonly current: ReviewQueueItem | null = $derived(this.items[this.cursor] ?? null);
  readonly busy = $derived(this.pending > 0);
  readonly selectedCount = $derived(Object.keys(this.selected).length);
  readonly decidedCount = $derived(this.items.filter((i) => i.review?.decision).length);

  readonly #api: DeepscanClient;
  readonly #decider: Decider;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(api: DeepscanClient, decider: Decider) {
    this.#api = api;
    this.#decider = decider;
  }

  /** The face's one name (common/format.ts), as the face, video and audit views write it. */
  labelOf(i: ReviewQueueItem): string {
    return faceLabel({ track: i.track, sampleNo: i.sampleNo ?? null, sampledFrames: this.#decider.sampledFramesOf?.(i.evidenceId) ?? null, frameIndex: i.frameIndex, faceNo: i.faceNo });
  }

  ensureCrop(faceId: number, urgent = false): void {
    const c = this.loadedFor;
    if (c) void this.crops.ensure(String(faceId), () => this.#api.getFaceCrop(c, faceId), urgent);
  }

  ensureFrame(frameId: number): void {
    const c = this.loadedFor;
    if (c) void this.crops.ensure(`f${frameId}`, () => this.#api.getFramePreview(c, frameId), true);
  }

  clear(): void {
    this.crops.clear();
    this.#queue.clear();
    this.cursor = 0;
    this.selected = {};
    this.noteOpen = false;
    this.message = '';
  }

  async load(caseId: string, threshold = this.threshold): Promise<void> {
    const t = Number(threshold);
    if (!Number.isFinite(t) || t < 0 || t > 1) {
      this.#queue.error = { code: 'invalid-argument', message: 'The threshold is a probability from 0 to 1.' };
      return;
    }
    this.threshold = t;
    const keep = this.current?.faceId;
    const f = $state.snapshot(this.filter);
    const filtered = Object.values(f).some((v) => v !== undefined);
    const items = await this.#queue.load(caseId, (c) => (filtered ? this.#api.getReviewQueue(c, t, f) : this.#api.getReviewQueue(c, t)));
    if (!items) return;
    const i = keep === undefined ? -1 : items.findIndex((x) => x.faceId === keep);
    this.cursor = i >= 0 ? i : 0;
    const ids = items.map((x) => x.faceId);
    this.selected = Object.fromEntries(Object.keys(this.selected).filter((k) => ids.includes(Number(k))).map((k) => [k, true]));
  }

  move(delta: number): void {
    if (this.items.length === 0) return;
    this.cursor = Math.max(0, Math.min(this.items.length - 1, this.cursor + delta));
    this.noteOpen = false;
  }

  goTo(i: number): void {
    if (i >= 0 && i < this.items.length) {
      this.cursor = i;
      this.noteOpen = false;
    }
  }

  toggle(faceId: number): void {
    if (this.selected[faceId]) delete this.selected[faceId];
    else this.selected[faceId] = true;
  }

  selectAll(on: boolean): void {
    this.selected = on ? Object.fromEntries(this.items.map((i) => [i.faceId, true as const])) : {};
  }

  applyReview(faceId: number, info: ReviewInfo): void {
    for (const i of this.items) if (i.faceId === faceId) i.review = info;
  }

  /** Changes one filter (undefined clears it) and reads the queue again. */
  async setFilter(caseId: string, patch: Partial<ReviewQueueFilter>): Promise<void> {
    const next: ReviewQueueFilter = { ...this.filter, ...patch };
    for (const k of Object.keys(next) as (keyof ReviewQueueFilter)[]) if (next[k] === undefined) delete next[k];
    this.filter = next;
    await this.load(caseId);
  }

  /** Adds `value` to a list filter, or takes it out when it is there, and reads the queue again. */
  async toggleFilterValue<K extends ListFilter>(caseId: string, key: K, value: ListValue<K>): Promise<void> {
    const now = (this.filter[key] ?? []) as ListValue<K>[];
    const next = now.includes(value) ? now.filter((x) => x !== value) : [...now, value];
    await this.setFilter(caseId, { [key]: next.length > 0 ? next : undefined } as Partial<ReviewQueueFilter>);
  }

  /** After an undo back to "never reviewed". */
  clearReview(faceId: number): void {
    for (const i of this.items) if (i.faceId === faceId) i.review = null;
  }

  /** Sends one review after the ones already sent (in key order), for the item given. */
  #submit(item: ReviewQueueItem, patch: ReviewPatch): Promise<boolean> {
    const run = async () => {
      this.pending++;
      try {
        const info = await this.#decider.decide(targetOfItem(item), patch);
        if (!info) return false;
        this.applyReview(item.faceId, info);
        return true;
      } finally {
        this.pending--;
      }
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => false);
    return p;
  }

  /** Decides the current face; with "advance" the cursor moves on at once (no waiting). */
  async decide(decision: ReviewDecision): Promise<void> {
    const item = this.current;
    if (!item) return;
    if (this.advance) this.move(1);
    if (await this.#submit(item, { decision })) {
      this.message = `${this.labelOf(item)} of ${item.path}: marked ${DECISION_LABEL[decision].toLowerCase()}.`;
    }
  }

  async categorise(category: number): Promise<void> {
    const item = this.current;
    if (!item || !Number.isInteger(category) || category < 0 || category > 5) return;
    if (await this.#submit(item, { category })) this.message = `Category ${category} set.`;
  }

  openNote(): void {
    if (!this.current) return;
    this.noteDraft = this.current.review?.note ?? '';
    this.noteOpen = true;
  }

  cancelNote(): void {
    this.noteOpen = false;
  }

  async saveNote(): Promise<void> {
    const item = this.current;
    if (!item) return;
    const note = this.noteDraft.trim();
    if (await this.#submit(item, { note: note === '' ? null : note })) {
      this.noteOpen = false;
      this.message = note ? 'Note saved.' : 'Note removed.';
    }
  }

  /** Marks every selected face (or, with none selected, nothing). */
  async decideSelected(decision: ReviewDecision): Promise<void> {
    const targets = this.items.filter((i) => this.selected[i.faceId]);
    if (targets.length === 0) return;
    let done = 0;
    for (const item of targets) {
      if (!(await this.#submit(item, { decision }))) break;
      done++;
    }
    if (done === targets.length) this.selected = {};
    this.message = `${done} of ${targets.length} faces marked ${DECISION_LABEL[decision].toLowerCase()}.`;
  }

  /**
   * Keyboard handling for the queue; returns true when the key was used. Keys typed into a
   * field never reach here (the view checks the event target).
   */
  handleKey(e: { key: string; shiftKey?: boolean; ctrlKey?: boolean; altKey?: boolean; metaKey?: boolean }): boolean {
    if (e.ctrlKey || e.altKey || e.metaKey) return false;
    if (this.noteOpen) return false;
    const k = e.key;
    if (e.shiftKey && (k === 'A' || k === 'a')) {
      this.selectAll(this.selectedCount < this.items.length);
      return true;
    }
    switch (k.toLowerCase()) {
      case 'j':
      case 'arrowdown':
        this.move(1);
        return true;
      case 'k':
      case 'arrowup':
        this.move(-1);
        return true;
      case 'home':
        this.goTo(0);
        return this.items.length > 0;
      case 'end':
        this.goTo(this.items.length - 1);
        return this.items.length > 0;
      case 'f':
        void this.decide('fake');
        return true;
      case 'r':
        void this.decide('real');
        return true;
      case 'u':
        void this.decide('unsure');
        return true;
      case 'n':
        this.openNote();
        return this.noteOpen;
      case 'x':
      case ' ':
        if (this.current) this.toggle(this.current.faceId);
        return true;
    }
    if (/^[0-5]$/.test(k)) {
      void this.categorise(Number(k));
      return true;
    }
    return false;
  }
}
