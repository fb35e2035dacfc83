/**
 * The workstation's composition root: the open case and the per-view states, with the actions
 * that span several of them (opening a video or face, deciding, comparing, exporting). Which
 * view shows is the router's; theme and name are the preferences'; asking for the name is the
 * examiner prompt's. Every engine call goes through the one client given to the constructor.
 */
import type {
  CaseDetailsRequest,
  CaseSummary,
  CategoryLabel,
  ComparisonSummary,
  DeepscanClient,
  FaceInfo,
  ReportResult,
  ReviewInfo,
  ReviewRequest,
  UndoResult,
} from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { AuditState } from './audit-state.svelte.js';
import { CaseState } from './case-state.svelte.js';
import { CompareState } from './compare-state.svelte.js';
import { ExaminerPrompt } from './examiner-prompt.svelte.js';
import { ModelsState } from './models-state.svelte.js';
import { pageMediaUrl, type MediaUrlFn } from './media-url.js';
import { OverlayState } from './overlay-state.svelte.js';
import { PlaybackState } from './playback-state.svelte.js';
import { Preferences, type KeyValueStore } from './preferences.svelte.js';
import { ReportState } from './report-state.svelte.js';
import { AsyncResource, attempt } from './resource.svelte.js';
import { ReviewState } from './review-state.svelte.js';
import type { Route, ViewId } from './route.js';
import { Router, type RouterHost } from './router.svelte.js';
import type { FaceGeometry, FaceTarget, ReviewPatch } from './targets.js';
import { VideoState } from './video-state.svelte.js';

export class Workstation implements RouterHost {
  /** Face id → its box and frame size, for items whose detail was read (see ensureGeometry). */
  geometry = $state<Record<number, FaceGeometry>>({});
  /** Review category labels of the open case (editable per case); [] until read. */
  categories = $state<CategoryLabel[]>([]);
  /** A failed action spanning several states (a decision); the states keep their own errors. */
  error = $state<ApiError | null>(null);
  readonly #recent = new AsyncResource<CaseSummary[], 'recent'>();

  readonly api: DeepscanClient;
  readonly router: Router;
  readonly prefs: Preferences;
  readonly prompt: ExaminerPrompt;
  readonly caseState: CaseState;
  readonly video: VideoState;
  readonly playback: PlaybackState;
  readonly review: ReviewState;
  readonly models: ModelsState;
  readonly audit: AuditState;
  readonly overlays: OverlayState;
  readonly compare: CompareState;
  readonly report: ReportState;
  /** Evidence ids whose geometry is read or being read. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not UI state
  readonly #geometryOf = new Set<number>();

  get caseId(): string | null {
    return this.caseState.caseSummary?.id ?? null;
  }
  get recent(): CaseSummary[] {
    return this.#recent.value ?? [];
  }
  get recentLoaded(): boolean {
    return this.#recent.done;
  }

  /** Asks before a decision is replaced by a different one (main.ts passes window.confirm). */
  readonly #confirm: (message: string) => boolean | Promise<boolean>;

  constructor(api: DeepscanClient, opts: { store?: KeyValueStore | null; mediaUrl?: MediaUrlFn; confirm?: (message: string) => boolean | Promise<boolean> } = {}) {
    this.#confirm = opts.confirm ?? (() => true);
    this.api = api;
    this.prefs = new Preferences(opts.store ?? null);
    this.prompt = new ExaminerPrompt(this.prefs);
    this.caseState = new CaseState(api);
    this.video = new VideoState(api);
    this.playback = new PlaybackState(this.video, opts.mediaUrl ?? pageMediaUrl, api);
    this.review = new ReviewState(api, this);
    this.models = new ModelsState(api);
    this.audit = new AuditState(api);
    this.overlays = new OverlayState(api);
    this.compare = new CompareState(api);
    this.report = new ReportState(api);
    this.router = new Router(this);
  }

  /** Loads what a view shows when it is entered (the router's host; see router.svelte.ts). */
  enter(id: ViewId): void {
    const c = this.caseId;
    if (id === 'cases' && !this.recentLoaded) void this.loadRecent();
    if (id === 'models') void this.models.load();
    if (id === 'audit' && c) void this.audit.load(c);
    if (id === 'review' && c) void this.review.load(c);
  }

  /** Shows a view without the availability check (the workstation moved there itself). */
  #show(id: ViewId): void {
    this.router.view = id;
  }

  async loadRecent(): Promise<void> {
    await this.#recent.load('recent', () => this.api.listRecentCases());
  }

  /** The banner's error: the last failed action or recent-cases read. */
  get actionError(): ApiError | null {
    return this.error ?? this.#recent.error;
  }

  dismissError(): void {
    this.error = null;
    this.#recent.error = null;
  }

  /** Opens a recent case again (re-verifies its evidence, as opening a folder does). */
  async openRecent(c: CaseSummary): Promise<void> {
    const ok = await this.caseState.open({ folder: c.folder, name: '', number: '', examiner: '' });
    if (ok) this.afterOpen();
  }

  #clearCaseViews(): void {
    this.video.clear();
    this.playback.reset();
    this.review.clear();
    this.audit.clear();
    this.overlays.clear();
    this.compare.clear();
    this.report.clear();
    this.geometry = {};
    this.categories = [];
    this.#geometryOf.clear();
  }

  afterOpen(): void {
    this.#clearCaseViews();
    this.#show('evidence');
    void this.loadRecent();
  }

  closeCase(): void {
    if (this.caseState.running) return;
    this.caseState.closeCase();
    this.#clearCaseViews();
    this.#show('cases');
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
    this.#show(view);
    if (this.video.evidenceId !== evidenceId) this.playback.reset();
    await this.video.load(c, evidenceId);
  }

  /** Shows one face (from the review queue, the strip or the frame viewer). */
  async openFace(evidenceId: number, faceId: number): Promise<void> {
    const c = this.caseId;
    if (!c) return;
    if (this.video.evidenceId !== evidenceId || !this.video.detail) await this.video.load(c, evidenceId);
    this.video.selectFaceById(faceId);
    if (this.video.selectedFace) this.#show('face');
  }

  /** Frames sampled from an item (the review queue names faces "frame 4 of 32"). */
  sampledFramesOf(evidenceId: number): number | null {
    return this.caseState.evidence.find((e) => e.id === evidenceId)?.sampledFrames || null;
  }

  /**
   * Records a decision. Only the fields being changed are sent: the engine keeps the others
   * (decision, category, note) as they are, so nothing already said is lost. Updates every
   * place that shows the face. Returns the stored review, or null.
   */
  async decide(target: FaceTarget, patch: ReviewPatch): Promise<ReviewInfo | null> {
    const c = this.caseId;
    if (!c) return null;
    const examiner = await this.prompt.ensure();
    if (!examiner) return null;
    const cur = target.review;
    if (cur?.decision && patch.decision && patch.decision !== cur.decision) {
      const sure = await this.#confirm(`Change the decision on this face from ${cur.decision} to ${patch.decision}? The earlier decision stays in the audit log.`);
      if (!sure) return null;
    }
    const req: ReviewRequest = { caseId: c, evidenceId: target.evidenceId, frameIndex: target.frameIndex, faceNo: target.faceNo, examiner };
    if (patch.decision !== undefined) req.decision = patch.decision;
    if (patch.category !== undefined) req.category = patch.category;
    if (patch.note !== undefined) req.note = patch.note;
    const r = await attempt(() => this.api.submitReview(req));
    if (!r.ok) {
      this.error = r.error;
      return null;
    }
    const info = r.value;
    this.video.applyReview(target.evidenceId, target.faceId, info);
    this.review.applyReview(target.faceId, info);
    if (!cur) {
      const row = this.caseState.evidence.find((r) => r.id === target.evidenceId);
      if (row) row.reviewedFaces += 1;
    }
    if (this.audit.loadedFor === c) void this.audit.load(c);
    return info;
  }

  async loadCategories(): Promise<void> {
    const c = this.caseId;
    if (!c) return;
    const r = await attempt(() => this.api.getCategoryLabels(c));
    if (r.ok && this.caseId === c) this.categories = r.value;
  }

  /** Renames a review category for this case (audited under the examiner's name). */
  async setCategoryLabel(category: number, label: string): Promise<boolean> {
    const c = this.caseId;
    if (!c) return false;
    const examiner = await this.prompt.ensure();
    if (!examiner) return false;
    const r = await attempt(() => this.api.setCategoryLabel(c, category, label, examiner));
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    if (this.caseId === c) this.categories = r.value;
    return true;
  }

  /** Starts the analysis of the open case, as the examiner (asked for once if not known yet). */
  async startAnalysis(): Promise<void> {
    if (!this.caseId || this.caseState.running) return;
    const examiner = await this.prompt.ensure();
    if (!examiner) return;
    await this.caseState.start(examiner);
  }

  /**
   * Makes the playback copy of the open video (a codec the browser cannot play) and plays it.
   * It writes to the case workspace and the audit log, so the examiner is asked first.
   */
  async makePlaybackCopy(): Promise<boolean> {
    if (!this.caseId) return false;
    const examiner = await this.prompt.ensure();
    if (!examiner) return false;
    return this.playback.makeCopy(examiner);
  }

  /** Edits the case's name, number or examiner (audited by the engine under the examiner's name). */
  async updateCaseDetails(req: CaseDetailsRequest): Promise<boolean> {
    const c = this.caseId;
    if (!c) return false;
    const examiner = await this.prompt.ensure();
    if (!examiner) return false;
    const r = await attempt(() => this.api.updateCaseDetails(c, req, examiner));
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    if (this.caseId === c) this.caseState.caseSummary = r.value;
    return true;
  }

  /**
   * Undoes this examiner's last decision in the case (the engine records the undo as a new,
   * audited review row restoring the state before). Returns what was undone, or null.
   */
  async undoLastReview(): Promise<UndoResult | null> {
    const c = this.caseId;
    if (!c) return null;
    const examiner = await this.prompt.ensure();
    if (!examiner) return null;
    const r = await attempt(() => this.api.undoLastReview(c, examiner));
    if (!r.ok) {
      this.error = r.error;
      return null;
    }
    const u = r.value;
    const restored = u.review.decision === null && u.review.category === null && u.review.note === null ? null : u.review;
    const faceId = this.#faceIdOf(u.evidenceId, u.frameIndex, u.faceNo);
    if (faceId !== null) {
      if (restored) {
        this.video.applyReview(u.evidenceId, faceId, restored);
        this.review.applyReview(faceId, restored);
      } else {
        this.video.clearReview(u.evidenceId, faceId);
        this.review.clearReview(faceId);
      }
    }
    void this.caseState.refresh();
    if (this.audit.loadedFor === c) void this.audit.load(c);
    return u;
  }

  #faceIdOf(evidenceId: number, frameIndex: number, faceNo: number): number | null {
    const q = this.review.items.find((i) => i.evidenceId === evidenceId && i.frameIndex === frameIndex && i.faceNo === faceNo);
    if (q) return q.faceId;
    if (this.video.evidenceId !== evidenceId) return null;
    const fr = this.video.detail?.frames.find((f) => f.index === frameIndex);
    return fr?.faces.find((f) => f.faceNo === faceNo)?.id ?? null;
  }

  /**
   * Compares the open video with the known original chosen in `compare`. Stored masks change,
   * so the face overlays are read again.
   */
  async compareOpenVideo(): Promise<ComparisonSummary | null> {
    const c = this.caseId;
    const ev = this.video.evidenceId;
    if (!c || ev === null) return null;
    // Writing actions name the examiner first (asked once; the audit log records who acted).
    const examiner = await this.prompt.ensure();
    if (!examiner) return null;
    const r = await this.compare.run(c, ev, examiner);
    if (r) {
      this.overlays.invalidate();
      // Per-face and per-person energies come with the video's detail: read it again.
      void this.video.load(c, ev);
      const f = this.video.selectedFace;
      if (f && this.router.view === 'face') void this.overlays.load(c, f.id);
    }
    return r;
  }

  /** Writes the case report with the current examiner (asked for once if not known yet). */
  async exportReport(): Promise<ReportResult | null> {
    const c = this.caseId;
    if (!c) return null;
    const examiner = await this.prompt.ensure();
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
    const router = this.router;
    if (!r.caseId) {
      this.#show(r.view === 'models' ? 'models' : 'cases');
      this.enter(router.view);
      return;
    }
    const ok = await this.caseState.restore(r.caseId);
    if (!ok) {
      this.caseState.dismissError();
      this.#show('cases');
      this.enter('cases');
      return;
    }
    if ((r.view === 'video' || r.view === 'face') && r.evidenceId !== null) {
      await this.video.load(r.caseId, r.evidenceId);
      if (r.view === 'face' && r.faceId !== null) this.video.selectFaceById(r.faceId);
      this.#show(r.view === 'face' && this.video.selectedFace ? 'face' : 'video');
      return;
    }
    this.#show(r.view === 'cases' ? 'evidence' : r.view);
    if (!router.available(router.view)) this.#show('evidence');
    this.enter(router.view);
  }
}
