/** Zoom and pan of an image inside a viewport (scale around a point, clamped). */
export const ZOOM_MIN = 0.25;
export const ZOOM_MAX = 16;

export class Zoom {
  scale = $state(1);
  x = $state(0);
  y = $state(0);

  readonly transform = $derived(`translate(${this.x}px, ${this.y}px) scale(${this.scale})`);
  readonly percent = $derived(Math.round(this.scale * 100));

  /** Multiplies the scale by `factor`, keeping the point (px, py) of the viewport fixed. */
  zoomAt(factor: number, px = 0, py = 0): void {
    const next = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, this.scale * factor));
    const k = next / this.scale;
    this.x = px - (px - this.x) * k;
    this.y = py - (py - this.y) * k;
    this.scale = next;
  }

  pan(dx: number, dy: number): void {
    this.x += dx;
    this.y += dy;
  }

  /** Fits an image of w×h into a viewport of vw×vh, centred. */
  fit(w: number, h: number, vw: number, vh: number): void {
    if (w <= 0 || h <= 0 || vw <= 0 || vh <= 0) return;
    this.scale = Math.min(vw / w, vh / h);
    this.x = (vw - w * this.scale) / 2;
    this.y = (vh - h * this.scale) / 2;
  }

  /** 1 image pixel = 1 screen pixel, centred. */
  actual(w: number, h: number, vw: number, vh: number): void {
    this.scale = 1;
    this.x = (vw - w) / 2;
    this.y = (vh - h) / 2;
  }
}
