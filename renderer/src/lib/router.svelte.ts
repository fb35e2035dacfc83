/**
 * Which view is showing, which views can be shown now, and the route (view + selection) that
 * the location hash mirrors. What is selected lives in the case and video states; the router
 * reads it through its host, and asks the host to load a view's data when the view is entered.
 */
import type { FaceInfo } from '../../../common/api.js';
import { VIEWS, type Route, type ViewId } from './route.js';

export interface RouterHost {
  readonly caseId: string | null;
  readonly video: { readonly evidenceId: number | null; readonly selectedFace: FaceInfo | null };
  /** Loads what a view shows, when the examiner goes to it. */
  enter(id: ViewId): void;
}

export class Router {
  view = $state<ViewId>('cases');
  readonly #host: RouterHost;

  constructor(host: RouterHost) {
    this.#host = host;
  }

  get route(): Route {
    const h = this.#host;
    const face = this.view === 'face' ? h.video.selectedFace : null;
    return {
      view: this.view,
      caseId: h.caseId,
      evidenceId: this.view === 'video' || this.view === 'face' ? (h.video.evidenceId ?? null) : null,
      faceId: face?.id ?? null,
    };
  }

  /** Whether a view can be shown now (the rail disables the others). */
  available(id: ViewId): boolean {
    const v = VIEWS.find((x) => x.id === id);
    if (!v) return false;
    if (v.needs === 'none') return true;
    if (!this.#host.caseId) return false;
    if (v.needs === 'video') return this.#host.video.evidenceId !== null;
    if (v.needs === 'face') return this.#host.video.selectedFace !== null;
    return true;
  }

  /** The examiner goes to a view: shown if available, and its data loaded. */
  go(id: ViewId): void {
    if (!this.available(id)) return;
    this.view = id;
    this.#host.enter(id);
  }
}
