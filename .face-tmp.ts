import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
const rgb = readFileSync('/tmp/fp/frame0_half.rgb'); const W = 960, H = 540;
const ref = JSON.parse(readFileSync('/work/shared/fixtures/reference/three_faces.dfdc_b0_seed7.json', 'utf8'));
const boxes: number[][] = ref.videos[0].frames[0].boxes_half;
// area-average resize of a crop [x0,y0,x1,y1) (float box, square-ified) to s×s; returns NCHW normalized
function crop(box: number[], s: number, transpose = false): Float32Array {
  let [x0, y0, x1, y1] = box; const w = x1 - x0, h = y1 - y0, l = Math.max(w, h);
  x0 = x0 + w / 2 - l / 2; y0 = y0 + h / 2 - l / 2;
  const out = new Float32Array(3 * s * s);
  for (let oy = 0; oy < s; oy++) for (let ox = 0; ox < s; ox++) {
    const sum = [0, 0, 0]; let n = 0;
    const ya = Math.floor(y0 + (oy * l) / s), yb = Math.max(ya + 1, Math.floor(y0 + ((oy + 1) * l) / s));
    const xa = Math.floor(x0 + (ox * l) / s), xb = Math.max(xa + 1, Math.floor(x0 + ((ox + 1) * l) / s));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) {
      const yy = Math.min(H - 1, Math.max(0, y)), xx = Math.min(W - 1, Math.max(0, x));
      for (let c = 0; c < 3; c++) sum[c] += rgb[(yy * W + xx) * 3 + c]; n++;
    }
    for (let c = 0; c < 3; c++) {
      const v = (sum[c] / n - 127.5) / 128;
      if (transpose) out[c * s * s + ox * s + oy] = v; else out[c * s * s + oy * s + ox] = v;
    }
  }
  return out;
}
const nets = { pnet: 12, rnet: 24, onet: 48 } as const;
for (const [net, s] of Object.entries(nets)) {
  const sess = await ort.InferenceSession.create(`models/mtcnn/${net}.onnx`);
  const rows: string[] = [];
  for (const [label, box] of [...boxes.map((b, i) => [`face${i}`, b] as const), ['bg-corner', [0, 0, 60, 60]] as const, ['bg-wall', [880, 440, 950, 510]] as const]) {
    for (const tr of [false, true]) {
      const r = await sess.run({ input: new ort.Tensor('float32', crop(box as number[], s, tr), [1, 3, s, s]) });
      rows.push(`${label}${tr ? '(T)' : ''}=${(r.prob.data as Float32Array)[1].toFixed(4)}`);
    }
  }
  // flat gray
  const flat = new Float32Array(3 * s * s).fill((128 - 127.5) / 128);
  const r = await sess.run({ input: new ort.Tensor('float32', flat, [1, 3, s, s]) });
  rows.push(`flat=${(r.prob.data as Float32Array)[1].toFixed(4)}`);
  console.log(net, rows.join(' '));
}
