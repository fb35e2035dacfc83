/**
 * The box arithmetic of facenet-pytorch's MTCNN cascade (`models/utils/detect_face.py`), restated
 * in float32 (every tensor there is float32; each step here is rounded with `Math.fround` in the
 * same order of operations) so that candidate boxes, NMS decisions and crops match.
 */

const f32 = Math.fround;

/** A candidate box: corners, score, and the regression offsets (P-Net stage) when present. */
export interface Cand {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** Regression offsets dx1, dy1, dx2, dy2 (P-Net's, kept until applied). */
  reg: [number, number, number, number];
}

/**
 * Pyramid scales: `m = 12 / minsize`, `minl = min(h, w) * m`; while `minl >= 12` push the scale
 * and multiply both by `factor` (Python doubles).
 */
export function pyramidScales(width: number, height: number, minFaceSize: number, factor: number): number[] {
  const m = 12.0 / minFaceSize;
  let minl = Math.min(height, width) * m;
  let scale = m;
  const scales: number[] = [];
  while (minl >= 12) {
    scales.push(scale);
    scale = scale * factor;
    minl = minl * factor;
  }
  return scales;
}

/** Size of the pyramid level for `scale`: `(int(h * scale + 1), int(w * scale + 1))`. */
export function pyramidLevelSize(width: number, height: number, scale: number): { w: number; h: number } {
  return { h: Math.trunc(height * scale + 1), w: Math.trunc(width * scale + 1) };
}

/**
 * `generateBoundingBox` for one image of a P-Net output: `reg` is (4, H, W), `prob1` is the face
 * probability plane (H, W). Cells with `p >= thresh` (float32 comparison) in row-major order give
 * `[floor((2x + 1) / scale), floor((2y + 1) / scale), floor((2x + 12) / scale), floor((2y + 12) / scale)]`
 * (float32 division by the float32 scale).
 */
export function generateBoundingBoxes(
  reg: Float32Array,
  regOffset: number,
  prob1: Float32Array,
  probOffset: number,
  H: number,
  W: number,
  scale: number,
  thresh: number,
): Cand[] {
  const t = f32(thresh);
  const s = f32(scale);
  const plane = H * W;
  const out: Cand[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const p = prob1[probOffset + i]!;
      if (!(p >= t)) continue;
      out.push({
        x1: Math.floor(f32((2 * x + 1) / s)),
        y1: Math.floor(f32((2 * y + 1) / s)),
        x2: Math.floor(f32((2 * x + 12) / s)),
        y2: Math.floor(f32((2 * y + 12) / s)),
        score: p,
        reg: [reg[regOffset + i]!, reg[regOffset + plane + i]!, reg[regOffset + 2 * plane + i]!, reg[regOffset + 3 * plane + i]!],
      });
    }
  }
  return out;
}

/** Indices sorted by score descending, ties in input order (torch stable sort, descending). */
function orderByScoreDesc(boxes: readonly Cand[]): number[] {
  const idx = boxes.map((_, i) => i);
  idx.sort((a, b) => {
    const d = boxes[b]!.score - boxes[a]!.score;
    return d !== 0 ? d : a - b;
  });
  return idx;
}

/**
 * torchvision `nms` (CPU) for one image: IoU with areas `(x2 - x1) * (y2 - y1)` (no +1), boxes
 * visited in stable descending score order, suppressed when `IoU > threshold`. Returns the kept
 * indices in visiting order (score descending). This is also what `batched_nms` gives for a
 * single image (both its code paths).
 */
export function nmsTorchvision(boxes: readonly Cand[], threshold: number): number[] {
  const n = boxes.length;
  const order = orderByScoreDesc(boxes);
  const areas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = boxes[i]!;
    areas[i] = f32(f32(b.x2 - b.x1) * f32(b.y2 - b.y1));
  }
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi]!;
    if (suppressed[i]) continue;
    keep.push(i);
    const bi = boxes[i]!;
    const iarea = areas[i]!;
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj]!;
      if (suppressed[j]) continue;
      const bj = boxes[j]!;
      const xx1 = Math.max(bi.x1, bj.x1);
      const yy1 = Math.max(bi.y1, bj.y1);
      const xx2 = Math.min(bi.x2, bj.x2);
      const yy2 = Math.min(bi.y2, bj.y2);
      const w = Math.max(0, f32(xx2 - xx1));
      const h = Math.max(0, f32(yy2 - yy1));
      const inter = f32(w * h);
      const ovr = f32(inter / f32(f32(iarea + areas[j]!) - inter));
      if (ovr > threshold) suppressed[j] = 1;
    }
  }
  return keep;
}

/**
 * facenet-pytorch's `nms_numpy` (used after O-Net with method 'Min'): areas and overlaps with
 * the +1 pixel convention, float32; boxes taken from the top of an ascending argsort of the
 * scores (ties: the later index first, as numpy's insertion sort for small arrays leaves them),
 * kept when `overlap <= threshold`.
 */
export function nmsNumpy(boxes: readonly Cand[], threshold: number, method: 'Min' | 'Union'): number[] {
  const n = boxes.length;
  if (n === 0) return [];
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = boxes[i]!;
    area[i] = f32(f32(f32(b.x2 - b.x1) + 1) * f32(f32(b.y2 - b.y1) + 1));
  }
  // Ascending stable argsort.
  let I = boxes.map((_, i) => i);
  I.sort((a, b) => {
    const d = boxes[a]!.score - boxes[b]!.score;
    return d !== 0 ? d : a - b;
  });
  const t = f32(threshold);
  const pick: number[] = [];
  while (I.length > 0) {
    const i = I[I.length - 1]!;
    pick.push(i);
    const bi = boxes[i]!;
    const next: number[] = [];
    for (let k = 0; k < I.length - 1; k++) {
      const j = I[k]!;
      const bj = boxes[j]!;
      const xx1 = Math.max(bi.x1, bj.x1);
      const yy1 = Math.max(bi.y1, bj.y1);
      const xx2 = Math.min(bi.x2, bj.x2);
      const yy2 = Math.min(bi.y2, bj.y2);
      const w = Math.max(0, f32(f32(xx2 - xx1) + 1));
      const h = Math.max(0, f32(f32(yy2 - yy1) + 1));
      const inter = f32(w * h);
      const o =
        method === 'Min'
          ? f32(inter / Math.min(area[i]!, area[j]!))
          : f32(inter / f32(f32(area[i]! + area[j]!) - inter));
      if (o <= t) next.push(j);
    }
    I = next;
  }
  return pick;
}

/** Stage-1 regression: `x1 + dx1 * (x2 - x1)` etc. (no +1), score kept, regression consumed. */
export function applyPnetRegression(b: Cand): Cand {
  const regw = f32(b.x2 - b.x1);
  const regh = f32(b.y2 - b.y1);
  return {
    x1: f32(b.x1 + f32(b.reg[0] * regw)),
    y1: f32(b.y1 + f32(b.reg[1] * regh)),
    x2: f32(b.x2 + f32(b.reg[2] * regw)),
    y2: f32(b.y2 + f32(b.reg[3] * regh)),
    score: b.score,
    reg: [0, 0, 0, 0],
  };
}

/** `bbreg`: `x1 + dx1 * (x2 - x1 + 1)` etc. */
export function bbreg(b: Cand, reg: ArrayLike<number>): Cand {
  const w = f32(f32(b.x2 - b.x1) + 1);
  const h = f32(f32(b.y2 - b.y1) + 1);
  return {
    x1: f32(b.x1 + f32(reg[0]! * w)),
    y1: f32(b.y1 + f32(reg[1]! * h)),
    x2: f32(b.x2 + f32(reg[2]! * w)),
    y2: f32(b.y2 + f32(reg[3]! * h)),
    score: b.score,
    reg: b.reg,
  };
}

/** `rerec`: square the box around its centre on its longer side. */
export function rerec(b: Cand): Cand {
  const h = f32(b.y2 - b.y1);
  const w = f32(b.x2 - b.x1);
  const l = Math.max(w, h);
  const x1 = f32(f32(b.x1 + f32(w * 0.5)) - f32(l * 0.5));
  const y1 = f32(f32(b.y1 + f32(h * 0.5)) - f32(l * 0.5));
  return { x1, y1, x2: f32(x1 + l), y2: f32(y1 + l), score: b.score, reg: b.reg };
}

/**
 * `pad` + the crop slice of stages 2 and 3: corners truncated to int, `x, y` raised to 1, `ex, ey`
 * lowered to the image size, the crop is rows `y-1 .. ey-1`, columns `x-1 .. ex-1` (inclusive of
 * the start, exclusive of `ey`/`ex`). Null when the slice is empty (the reference skips it).
 */
export function padCrop(b: Cand, width: number, height: number): { x0: number; y0: number; w: number; h: number } | null {
  let x = Math.trunc(b.x1);
  let y = Math.trunc(b.y1);
  let ex = Math.trunc(b.x2);
  let ey = Math.trunc(b.y2);
  if (x < 1) x = 1;
  if (y < 1) y = 1;
  if (ex > width) ex = width;
  if (ey > height) ey = height;
  if (!(ey > y - 1 && ex > x - 1)) return null;
  // Python slicing [y-1:ey] with y-1 >= 0 and ey <= height; ey > y-1 here.
  return { x0: x - 1, y0: y - 1, w: ex - (x - 1), h: ey - (y - 1) };
}

/** Landmarks from O-Net's 10 outputs (x1..x5, y1..y5) relative to the box before regression. */
export function landmarksFromOnet(b: Cand, pts: ArrayLike<number>, off: number): [number, number][] {
  const w = f32(f32(b.x2 - b.x1) + 1);
  const h = f32(f32(b.y2 - b.y1) + 1);
  const out: [number, number][] = [];
  for (let k = 0; k < 5; k++) {
    const px = f32(f32(f32(w * pts[off + k]!) + b.x1) - 1);
    const py = f32(f32(f32(h * pts[off + 5 + k]!) + b.y1) - 1);
    out.push([px, py]);
  }
  return out;
}

/**
 * `MTCNN.detect(select_largest=True)` order: `argsort(area)[::-1]` with float32 areas
 * `(x2 - x1) * (y2 - y1)`; ties: the later index first.
 */
export function largestFirstOrder(boxes: readonly { x1: number; y1: number; x2: number; y2: number }[]): number[] {
  const areas = boxes.map((b) => f32(f32(b.x2 - b.x1) * f32(b.y2 - b.y1)));
  const idx = boxes.map((_, i) => i);
  idx.sort((a, b) => {
    const d = areas[a]! - areas[b]!;
    return d !== 0 ? d : a - b;
  });
  return idx.reverse();
}
