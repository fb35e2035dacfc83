/**
 * Windowing for long lists (issue 13: the review queue and the face strip hold 1,000+ faces).
 * Only the items in view, plus a few either side, are rendered; spacers before and after stand
 * in for the rest so the scrollbar keeps its full length. Items have one size along the axis
 * (fixed, or measured from a rendered item with `measure`).
 *
 * The class owns the scroll offset it renders from: the container's scroll events update it, and
 * `scrollToIndex` sets it (and the container's scroll position) so that a row reached from the
 * keyboard is rendered before anything tries to focus it. Where the container has no size (jsdom,
 * a hidden pane), `fallbackItems` items are assumed visible, so the DOM stays bounded there too.
 */

export interface WindowRange {
  /** First rendered index (inclusive). */
  start: number;
  /** Last rendered index + 1. */
  end: number;
}

/**
 * The items to render: those intersecting [offset, offset + viewport) and `overscan` more on
 * each side, clamped to the list. `lead` is what sits before the first item inside the scroll
 * container (a sticky table header, which also covers the top `lead` pixels of the view).
 */
export function windowRange(count: number, size: number, viewport: number, offset: number, overscan: number, lead = 0): WindowRange {
  if (count <= 0 || !(size > 0)) return { start: 0, end: 0 };
  const from = Math.max(0, offset);
  const first = Math.floor(from / size);
  const last = Math.ceil((from + Math.max(0, viewport - lead)) / size);
  const start = Math.max(0, Math.min(count - 1, first - overscan));
  const end = Math.min(count, Math.max(start + 1, last + overscan));
  return { start, end };
}

/**
 * The offset that brings item `index` fully into view with the least movement ('nearest', as
 * scrollIntoView), or `offset` unchanged when it is already in view.
 */
export function offsetToShow(index: number, size: number, viewport: number, offset: number, lead = 0): number {
  const top = index * size; // item's top, measured from below the lead
  const room = Math.max(size, viewport - lead);
  if (top < offset) return top;
  if (top + size > offset + room) return top + size - room;
  return offset;
}

export interface VirtualListOptions {
  /** 'y' for a vertical list, 'x' for a horizontal strip. */
  axis?: 'x' | 'y';
  /** Size of one item along the axis in CSS pixels (a gap between items included). */
  itemSize: number;
  /** Items rendered beyond each edge of the view. */
  overscan?: number;
  /** Items assumed visible while the container cannot be measured. */
  fallbackItems?: number;
}

export class VirtualList {
  count = $state(0);
  itemSize = $state(40);
  /** Measured size of the container along the axis; 0 until measured. */
  viewport = $state(0);
  /** Scroll offset along the axis. */
  offset = $state(0);
  /** Pixels before the first item inside the container (a sticky header). */
  lead = $state(0);

  overscan = $state(4);
  fallbackItems = $state(20);
  readonly axis: 'x' | 'y';
  #el: HTMLElement | null = null;

  constructor(o: VirtualListOptions) {
    this.axis = o.axis ?? 'y';
    this.itemSize = o.itemSize;
    this.overscan = o.overscan ?? 4;
    this.fallbackItems = o.fallbackItems ?? 20;
  }

  /** The view's size, or the fallback while it is unknown. */
  readonly #view = $derived(this.viewport > 0 ? this.viewport : this.fallbackItems * this.itemSize + this.lead);
  readonly range: WindowRange = $derived(windowRange(this.count, this.itemSize, this.#view, this.offset, this.overscan, this.lead));
  /** Spacer sizes standing in for the items before and after the window. */
  readonly before = $derived(this.range.start * this.itemSize);
  readonly after = $derived(Math.max(0, this.count - this.range.end) * this.itemSize);
  readonly indices: number[] = $derived(Array.from({ length: this.range.end - this.range.start }, (_, k) => this.range.start + k));

  /** Whether item `i` is rendered now. */
  has(i: number): boolean {
    return i >= this.range.start && i < this.range.end;
  }

  /**
   * Brings item `i` into view (nearest edge): the offset changes at once, so the item is in
   * `range` on the next render, and the container is scrolled to match.
   */
  scrollToIndex(i: number): void {
    if (i < 0 || i >= this.count) return;
    const next = offsetToShow(i, this.itemSize, this.#view, this.offset, this.lead);
    if (next === this.offset) return;
    this.offset = next;
    if (this.#el) this.#write(this.#el, next);
  }

  /** Takes the item size from a rendered item (rows whose height the CSS decides). */
  measure(item: Element | null | undefined): void {
    const r = item?.getBoundingClientRect();
    const s = r ? (this.axis === 'y' ? r.height : r.width) : 0;
    if (s > 0 && Math.abs(s - this.itemSize) > 0.5) this.itemSize = s;
  }

  /**
   * For `{@attach list.attach}` on the scroll container: follows its scroll position and size.
   * The offset already chosen (say, for the current row) is applied to a new container, so a
   * list that is re-created keeps its place.
   */
  attach = (el: HTMLElement): (() => void) => {
    this.#el = el;
    const read = () => {
      this.offset = this.axis === 'y' ? el.scrollTop : el.scrollLeft;
    };
    const size = () => {
      this.viewport = this.axis === 'y' ? el.clientHeight : el.clientWidth;
    };
    size();
    if (this.offset > 0) this.#write(el, this.offset);
    el.addEventListener('scroll', read, { passive: true });
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(size) : null;
    ro?.observe(el);
    return () => {
      el.removeEventListener('scroll', read);
      ro?.disconnect();
      if (this.#el === el) this.#el = null;
    };
  };

  #write(el: HTMLElement, v: number): void {
    if (this.axis === 'y') el.scrollTop = v;
    else el.scrollLeft = v;
  }
}
