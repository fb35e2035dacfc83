/**
 * Link faces across sampled frames into per-person tracks.
 *
 * Frames are visited in order. Each live track predicts its box in the current frame from its
 * last box plus its last per-frame velocity (constant motion, so crossing paths keep their
 * identities). A face may join a track last seen up to `maxGap + 1` frames before (i.e. the
 * person may be missed in `maxGap` frames). A pair is admissible when the predicted box and the
 * face overlap (IoU ≥ `minIou`) or their centres are close relative to their size
 * (distance / mean side ≤ `maxCenterDist`) and their sizes are compatible (side ratio ≤
 * `maxSizeRatio`). Pairs are matched greedily by cost `(1 - IoU) + centreDistance/side`, lowest
 * first, ties broken by track id then face index: deterministic. Unmatched faces open new
 * tracks, numbered in order of appearance from 0.
 */

export type Box = readonly [number, number, number, number];

export interface TrackOptions {
  /** Frames a person may be missed in and still keep the track (default 2). */
  maxGap?: number;
  /** Default 0.3. */
  minIou?: number;
  /** Centre distance over mean box side (default 1: a sampled frame apart, a face may move by its own size). */
  maxCenterDist?: number;
  /** Largest ratio of mean box sides (default 1.6). */
  maxSizeRatio?: number;
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const ua = Math.max(0, a[2] - a[0]) * Math.max(0, a[3] - a[1]) + Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

function side(b: Box): number {
  return (Math.max(0, b[2] - b[0]) + Math.max(0, b[3] - b[1])) / 2;
}

function centre(b: Box): [number, number] {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}

interface Track {
  id: number;
  last: Box;
  lastFrame: number;
  /** Per-frame velocity of x0, y0, x1, y1. */
  vel: [number, number, number, number];
}

/**
 * @param frames per sampled frame, the face boxes (any consistent pixel unit)
 * @returns per frame, per face, its track id
 */
export function linkTracks(frames: readonly (readonly Box[])[], opts: TrackOptions = {}): number[][] {
  const maxGap = opts.maxGap ?? 2;
  const minIou = opts.minIou ?? 0.3;
  const maxCd = opts.maxCenterDist ?? 1;
  const maxRatio = opts.maxSizeRatio ?? 1.6;
  const tracks: Track[] = [];
  let nextId = 0;
  const result: number[][] = [];

  frames.forEach((faces, f) => {
    const live = tracks.filter((t) => f - t.lastFrame <= maxGap + 1);
    const pairs: { cost: number; t: Track; j: number }[] = [];
    for (const t of live) {
      const dt = f - t.lastFrame;
      const pred: Box = [t.last[0] + t.vel[0] * dt, t.last[1] + t.vel[1] * dt, t.last[2] + t.vel[2] * dt, t.last[3] + t.vel[3] * dt];
      const ps = side(pred);
      const [pcx, pcy] = centre(pred);
      faces.forEach((b, j) => {
        const bs = side(b);
        if (!(bs > 0) || !(ps > 0)) return;
        const ratio = bs > ps ? bs / ps : ps / bs;
        if (ratio > maxRatio) return;
        const [cx, cy] = centre(b);
        const cd = Math.hypot(cx - pcx, cy - pcy) / ((bs + ps) / 2);
        const ov = iou(pred, b);
        if (ov < minIou && cd > maxCd) return;
        // A face missed for a frame or two costs a little more, so a same-frame continuation wins.
        pairs.push({ cost: 1 - ov + cd + 0.05 * (dt - 1), t, j });
      });
    }
    pairs.sort((a, b) => a.cost - b.cost || a.t.id - b.t.id || a.j - b.j);
    const ids = new Array<number>(faces.length).fill(-1);
    const used = new Set<number>();
    for (const p of pairs) {
      if (ids[p.j] !== -1 || used.has(p.t.id)) continue;
      ids[p.j] = p.t.id;
      used.add(p.t.id);
      const b = faces[p.j]!;
      const dt = f - p.t.lastFrame;
      p.t.vel = [(b[0] - p.t.last[0]) / dt, (b[1] - p.t.last[1]) / dt, (b[2] - p.t.last[2]) / dt, (b[3] - p.t.last[3]) / dt];
      p.t.last = b;
      p.t.lastFrame = f;
    }
    faces.forEach((b, j) => {
      if (ids[j] !== -1) return;
      const t: Track = { id: nextId++, last: b, lastFrame: f, vel: [0, 0, 0, 0] };
      tracks.push(t);
      ids[j] = t.id;
    });
    result.push(ids);
  });
  return result;
}
