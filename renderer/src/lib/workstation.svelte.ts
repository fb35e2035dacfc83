/**
 * The workstation as a single-page state machine: which view is showing, the open case and the
 * per-view states. Views only read these classes and call their methods; every engine call goes
 * through the one client given to the constructor. The location hash mirrors the current view,
 * case, video and face, so a reload comes back to the same place.
 */
import type {
  CaseSummary,
  ComparisonSummary,
  DeepscanClient,
  FaceInfo,
  ReportResult,
  ReviewInfo,
  ReviewRequest,
} from '../../../common/api.js';
import type { ApiError, Result } from '../../../common/result.js';
import { AuditState } from './audit-state.svelte.js';
import { CaseState } from './case-state.svelte.js';
import { CompareState } from './compare-state.svelte.js';
import { ModelsState } from './models-state.svelte.js';
import { OverlayState } from './overlay-state.svelte.js';
import { ReportState } from './report-state.svelte.js';
import { ReviewState } from './review-state.svelte.js';
import { VideoState } from './video-state.svelte.js';

export type ViewId = 'cases' | 'evidence' | 'video' | 'face' | 'review' | 'models' | 'audit';

export const VIEWS: { id: ViewId; label: string; key: string; needs: 'none' | 'case' | 'video' | 'face' }[] = [
  { id: 'cases', label: 'Cases', key: '1', needs: 'none' },
  { id: 'evidence', label: 'Evidence', key: '2', needs: 'case' },
  { id: 'video', label: 'Video', key: '3', needs: 'video' },
  { id: 'face', label: 'Face', key: '4', needs: 'face' },
  { id: 'review', label: 'Review', key: '5', needs: 'case' },
  { id: 'models', label: 'Models', key: '6', needs: 'none' },
  { id: 'audit', label: 'Audit', key: '7', needs: 'case' },
];

export type Theme = 'system' | 'light' | 'dark';

/** Where a face sits in its frame (for context views such as the review queue). */
export interface FaceGeometry {
  box: [number, number, number, number];
  width: number;
  height: number;
  track: number | null;
}

export interface Route {
  view: ViewId;
  caseId: string | null;
  evidenceId: number | null;
  faceId: number | null;
}

/** A face that a decision is about, wherever it was shown. */
export interface FaceTarget {
  evidenceId: number;
  frameIndex: number;
  faceNo: number;
  faceId: number;
  review: ReviewInfo | null;
}

export interface ReviewPatch {
  decision?: ReviewInfo['decision'];
  category?: number | null;
  note?: string | null;
}

/** Minimal storage (localStorage in the app; absent or throwing is fine). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const EXAMINER_KEY = 'deepscan.examiner';
const THEME_KEY = 'deepscan.theme';

export function parseRoute(hash: string): Route {
  const q = new URLSearchParams(hash.replace(/^#\/?/, ''));
  const view = q.get('view') as ViewId | null;
  const num = (k: string) => {
    const v = q.get(k);
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    view: view && VIEWS.some((v) => v.id === view) ? view : 'cases',
    caseId: q.get('case'),
    evidenceId: num('ev'),
    faceId: num('face'),
  };
}

export function formatRoute(r: Route): string {
  const q = new URLSearchParams({ view: r.view });
  if (r.caseId) q.set('case', r.caseId);
  if (r.evidenceId !== null) q.set('ev', String(r.evidenceId));
  if (r.faceId !== null) q.set('face', String(r.faceId));
  return `#${q.toString()}`;
}

export class Workstation {
  view = $state<ViewId>('cases');
  recent = $state<CaseSummary[]>([]);
  recentLoaded = $state(false);
  /** Face id → its box and frame size, for items whose detail was read (see ensureGeometry). */
  geometry = $state<Record<number, FaceGeometry>>({});
  examiner = $state('');
  theme = $state<Theme>('system');
  /** Open while the examiner's name is being asked for. */
  examinerPrompt = $state<{ resolve: (name: string | null) => void } | null>(null);
  error = $state<ApiError | null>(null);

  readonly api: DeepscanClient;
  readonly caseState: CaseState;
  readonly video: VideoState;
  readonly review: ReviewState;
  readonly models: ModelsState;
  readonly audit: AuditState;
  readonly overlays: OverlayState;
  readonly compare: CompareState;
  readonly report: ReportState;
  readonly #store: KeyValueStore | null;
  /** Evidence ids whose geometry is read or being read. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not UI state
  readonly #geometryOf = new Set<number>();

  get caseId(): string | null {
    return this.caseState.caseSummary?.id ?? null;
  }

  constructor(api: DeepscanClient, opts: { store?: KeyValueStore | null } = {}) {
    this.api = api;
    this.#store = opts.store ?? null;
    this.caseState = new CaseState(api);
    this.video = new VideoState(api);
    this.review = new ReviewState(api, this);
    this.models = new ModelsState(api);
    this.audit = new AuditState(api);
    this.overlays = new OverlayState(api);
    this.compare = new CompareState(api);
    this.report = new ReportState(api);
    this.examiner = this.#read(EXAMINER_KEY) ?? '';
    const t = this.#read(THEME_KEY);
    if (t === 'light' || t === 'dark' || t === 'system') this.theme = t;
  }

  #read(key: string): string | null {
    try {
      return this.#store?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }
  #write(key: string, value: string): void {
    try {
      this.#store?.setItem(key, value);
    } catch {
      // storage is a convenience only
    }
  }

  get route(): Route {
    const face = this.view === 'face' ? this.video.selectedFace : null;
    return {
      view: this.view,
      caseId: this.caseId,
      evidenceId: this.view === 'video' || this.view === 'face' ? (this.video.evidenceId ?? null) : null,
      faceId: face?.id ?? null,
    };
  }

  /** Whether a view can be shown now (the rail disables the others). */
  available(id: ViewId): boolean {
    const v = VIEWS.find((x) => x.id === id);
    if (!v) return false;
    if (v.needs === 'none') return true;
    if (!this.caseId) return false;
    if (v.needs === 'video') return this.video.evidenceId !== null;
    if (v.needs === 'face') return this.video.selectedFace !== null;
    return true;
  }

  go(id: ViewId): void {
    if (!this.available(id)) return;
    this.view = id;
    this.#enter(id);
  }

  #enter(id: ViewId): void {
    const c = this.caseId;
    if (id === 'cases' && !this.recentLoaded) void this.loadRecent();
    if (id === 'models') void this.models.load();
    if (id === 'audit' && c) void this.audit.load(c);
    if (id === 'review' && c) void this.review.load(c);
  }

  setTheme(t: Theme): void {
    this.theme = t;
    this.#write(THEME_KEY, t);
  }

  setExaminer(name: string): void {
    this.examiner = name.trim();
    if (this.examiner) this.#write(EXAMINER_KEY, this.examiner);
  }

  /** The examiner's name, asking once (prefilled from the case) when it is not known yet. */
  ensureExaminer(): Promise<string | null> {
    if (this.examiner) return Promise.resolve(this.examiner);
    this.examinerPrompt?.resolve(null);
    return new Promise((resolve) => {
      this.examinerPrompt = { resolve };
    });
  }

  answerExaminer(name: string | null): void {
    const p = this.examinerPrompt;
    this.examinerPrompt = null;
    const n = name?.trim() ?? '';
    if (n) this.setExaminer(n);
    p?.resolve(n || null);
  }

  async loadRecent(): Promise<void> {
    const r = await this.#call(() => this.api.listRecentCases());
    if (r) this.recent = r;
    this.recentLoaded = true;
  }

  async #call<T>(fn: () => Promise<Result<T>>): Promise<T | undefined> {
    try {
      const r = await fn();
      if (!r.ok) {
        this.error = r.error;
        return undefined;
      }
      return r.value;
    } catch (e) {
      this.error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
      return undefined;
    }
  }

  dismissError(): void {
    this.error = null;
  }

  /** Opens a recent case again (re-verifies its evidence, as opening a folder does). */
  async openRecent(c: CaseSummary): Promise<void> {
    const ok = await this.caseState.open({ folder: c.folder, name: '', number: '', examiner: '' });
    if (ok) this.afterOpen();
  }

  #clearCaseViews(): void {
    this.video.clear();
    this.review.clear();
    this.audit.clear();
    this.overlays.clear();
    this.compare.clear();
    this.report.clear();
    this.geometry = {};
    this.#geometryOf.clear();
  }

  afterOpen(): void {
    this.#clearCaseViews();
    this.view = 'evidence';
    void this.loadRecent();
  }

  closeCase(): void {
    if (this.caseState.running) return;
    this.caseState.closeCase();
    this.#clearCaseViews();
    this.view = 'cases';
    void this.loadRecent();
  }

  /**
   * Face boxes and frame sizes of one analysed item, for views that show a face in its frame
   * without the video open (the review queue). Read once per item, when first needed.
   */
  async ensureGeometry(evidenceId: number): Promise<void> {
    const c = this.caseId;
    if (!c || this.#geometryOf.has(evidenceId)) return;
    this.#geometryOf.add(evidenceId);
    const d = this.video.evidenceId === evidenceId && this.video.detail ? { ok: true as const, value: this.video.detail } : await this.api.getVideo(c, evidenceId).catch(() => null);
    if (c !== this.caseId) return;
    if (!d?.ok) {
      this.#geometryOf.delete(evidenceId);
      return;
    }
    const next = { ...this.geometry };
    for (const fr of d.value.frames) for (const f of fr.faces) next[f.id] = { box: f.box, width: fr.width, height: fr.height, track: f.track };
    this.geometry = next;
  }

  async openVideo(evidenceId: number, view: ViewId = 'video'): Promise<void> {
    const c = this.caseId;
    if (!c) return;
    this.view = view;
    await this.video.load(c, evidenceId);
  }

  /** Shows one face (from the review queue, the strip or the frame viewer). */
  async openFace(evidenceId: number, faceId: number): Promise<void> {
    const c = this.caseId;
    if (!c) return;
    if (this.video.evidenceId !== evidenceId || !this.video.detail) await this.video.load(c, evidenceId);
    this.video.selectFaceById(faceId);
    if (this.video.selectedFace) this.view = 'face';
  }

  /**
   * Records a decision. Only the fields being changed are sent: the engine keeps the others
   * (decision, category, note) as they are, so nothing already said is lost. Updates every
   * place that shows the face. Returns the stored review, or null.
   */
  async decide(target: FaceTarget, patch: ReviewPatch): Promise<ReviewInfo | null> {
    const c = this.caseId;
    if (!c) return null;
    const examiner = await this.ensureExaminer();
    if (!examiner) return null;
    const cur = target.review;
    const req: ReviewRequest = { caseId: c, evidenceId: target.evidenceId, frameIndex: target.frameIndex, faceNo: target.faceNo, examiner };
    if (patch.decision !== undefined) req.decision = patch.decision;
    if (patch.category !== undefined) req.category = patch.category;
    if (patch.note !== undefined) req.note = patch.note;
    const info = await this.#call(() => this.api.submitReview(req));
    if (!info) return null;
    this.video.applyReview(target.evidenceId, target.faceId, info);
    this.review.applyReview(target.faceId, info);
    if (!cur) {
      const row = this.caseState.evidence.find((r) => r.id === target.evidenceId);
      if (row) row.reviewedFaces += 1;
    }
    if (this.audit.loadedFor === c) void this.audit.load(c);
    return info;
  }

  /**
   * Compares the open video with the known original chosen in `compare`. Stored masks change,
   * so the face overlays are read again.
   */
  async compareOpenVideo(): Promise<ComparisonSummary | null> {
    const c = this.caseId;
    const ev = this.video.evidenceId;
    if (!c || ev === null) return null;
    const r = await this.compare.run(c, ev);
    if (r) {
      this.overlays.invalidate();
      const f = this.video.selectedFace;
      if (f && this.view === 'face') void this.overlays.load(c, f.id);
    }
    return r;
  }

  /** Writes the case report with the current examiner (asked for once if not known yet). */
  async exportReport(): Promise<ReportResult | null> {
    const c = this.caseId;
    if (!c) return null;
    const examiner = await this.ensureExaminer();
    if (!examiner) return null;
    return this.report.export(c, examiner);
  }

  /** Target for a face shown in the video or face view. */
  targetOf(face: FaceInfo): FaceTarget | null {
    const ev = this.video.evidenceId;
    const frame = this.video.frameOf(face.id);
    if (ev === null || !frame) return null;
    return { evidenceId: ev, frameIndex: frame.index, faceNo: face.faceNo, faceId: face.id, review: face.review };
  }

  /** Comes back to the place a route names (after a reload). */
  async restore(r: Route): Promise<void> {
    if (!r.caseId) {
      this.view = r.view === 'models' ? 'models' : 'cases';
      this.#enter(this.view);
      return;
    }
    const ok = await this.caseState.restore(r.caseId);
    if (!ok) {
      this.caseState.dismissError();
      this.view = 'cases';
      this.#enter('cases');
      return;
    }
    if ((r.view === 'video' || r.view === 'face') && r.evidenceId !== null) {
      await this.video.load(r.caseId, r.evidenceId);
      if (r.view === 'face' && r.faceId !== null) this.video.selectFaceById(r.faceId);
      this.view = r.view === 'face' && this.video.selectedFace ? 'face' : 'video';
      return;
    }
    this.view = r.view === 'cases' ? 'evidence' : r.view;
    if (!this.available(this.view)) this.view = 'evidence';
    this.#enter(this.view);
  }
}
