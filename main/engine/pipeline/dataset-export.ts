/**
 * `deepscan dataset export`: the DFDC seed's training data preparation (`preprocess_data.sh`)
 * over a folder of DFDC-style parts (`<root>/<part>/metadata.json` mapping
 * `"x.mp4": {"label": "FAKE"|"REAL", "original": "y.mp4"}`), written to `--out` in the seed's
 * layout. The root is only read.
 *
 *  1. `boxes/<original_id>.json` — every frame of every REAL video: MTCNN [0.85, 0.95, 0.95] on
 *     the frame halved (Pillow bicubic); `{"<frame>": [[x0, y0, x1, y1], ...] | null}` of
 *     half-resolution floats, written as Python's `json.dump` writes it.
 *  2. `crops/<video_id>/<frame>_<face>.png` — every 10th frame of every video (originals and
 *     fakes) that has a box entry, cut with the *original's* boxes (`int(b * 2)`, 1/3 margin).
 *  3. `landmarks/<original_id>/<frame>_<face>.npy` — MTCNN [0.65, 0.75, 0.75] on each original
 *     crop; the first face's 5 points `np.around`ed to int16, shape (5, 2).
 *  4. `diffs/<fake_id>/<frame>_<face>_diff.png` — the seed's 1 − SSIM mask of original vs fake crop.
 *  5. `folds.csv` — `video,file,label,original,frame,fold`: one row per crop of each original
 *     that has fakes (label 0) and of each fake (label 1); fold by part number
 *     (`dfdc_train_part_N`): 16 folds of `50 // 16 = 3` parts, the last one holding parts 45–49.
 *
 * Seed limits kept by default (they shaped the published training data): steps 3–5 look only at
 * frames < 320 and faces 0 and 1 (`range(320)`, `range(2)`); `allFaces` lifts both. The seed
 * shuffles folds.csv randomly; here rows are in a fixed order (originals, then fakes; by frame and
 * face) so that exports are reproducible.
 *
 * Resumable: each output is written to a temporary name and renamed, and outputs that exist are
 * not recomputed (a video whose crops all exist is not decoded again).
 */
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertOutsideEvidence } from '../case/output-path.js';
import type { MtcnnDetector } from '../faces/mtcnn.js';
import { cutRgb } from '../faces/seed-faces.js';
import type { Image8 } from '../image/image.js';
import { decodePng, encodePng } from '../image/png.js';
import { decodeFrames } from '../media/decode.js';
import type { FfmpegTools } from '../media/ffmpeg.js';
import { probeMedia } from '../media/probe.js';
import { ssimDiffMask } from '../masks/ssim.js';
import { DeepscanError, errorMessage } from '../util/errors.js';
import { npyInt16 } from '../dataset/npy.js';
import { detectPrepBoxes, detectPrepLandmarks, prepCropRect, type FloatBox } from '../faces/prep-faces.js';
import { pyBoxesJson } from '../dataset/pyjson.js';
import { createPipelineContext } from './context.js';

export const SEED_N_SPLITS = 16;
export const SEED_PARTS = 50;

export interface DatasetVideo {
  /** File name in its part folder (`x.mp4`). */
  file: string;
  /** `file` without its last 4 characters (the seed's `k[:-4]`). */
  id: string;
  part: string;
  partNumber: number | null;
  label: 'REAL' | 'FAKE';
  /** The original's id (own id for REAL videos). */
  originalId: string;
  absPath: string;
}

export type ExportEvent =
  | { type: 'stage'; stage: 'boxes' | 'crops' | 'landmarks' | 'diffs' | 'folds'; total: number }
  | { type: 'progress'; stage: 'boxes' | 'crops' | 'landmarks' | 'diffs'; done: number; total: number; item: string; skipped: boolean }
  | { type: 'frame'; stage: 'boxes'; item: string; done: number; total: number }
  | { type: 'warning'; message: string };

export interface ExportOptions {
  out: string;
  /** Lift the seed's frame < 320 and faces 0–1 limits for landmarks, diffs and folds. */
  allFaces?: boolean;
  /** Videos cropped at once (ffmpeg decodes in parallel; default 2). */
  jobs?: number;
  tools?: FfmpegTools;
  detector?: MtcnnDetector;
  signal?: AbortSignal;
  onEvent?: (e: ExportEvent) => void;
}

export interface ExportSummary {
  videos: number;
  originals: number;
  fakes: number;
  boxes: { written: number; skipped: number };
  crops: { written: number; skippedVideos: number };
  landmarks: { written: number; skipped: number; noFace: number };
  diffs: { written: number; skipped: number };
  foldRows: number;
  seconds: number;
}

/** The seed's fold of a part number: `50 // n_splits` parts per fold, the last takes the rest. */
export function foldOfPart(part: number, nSplits = SEED_N_SPLITS, parts = SEED_PARTS): number | null {
  const sz = Math.floor(parts / nSplits);
  for (let fold = 0; fold < nSplits; fold++) {
    const lo = sz * fold;
    const hi = fold < nSplits - 1 ? sz * fold + sz : parts;
    if (part >= lo && part < hi) return fold;
  }
  return null;
}

/** `int(d.split("_")[-1])` for a folder whose name contains "dfdc", else null. */
export function partNumberOf(dir: string): number | null {
  if (!dir.includes('dfdc')) return null;
  const last = dir.split('_').at(-1)!;
  return /^[+-]?\d+$/.test(last.trim()) ? Number(last.trim()) : null;
}

async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** Reads every `<root>/<part>/metadata.json`. */
export async function scanDataset(root: string): Promise<DatasetVideo[]> {
  const out: DatasetVideo[] = [];
  const dirs = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const d of dirs) {
    const metaPath = join(root, d, 'metadata.json');
    if (!(await exists(metaPath))) continue;
    let meta: Record<string, { label?: string; original?: string | null }>;
    try {
      meta = JSON.parse(await readFile(metaPath, 'utf8')) as typeof meta;
    } catch (e) {
      throw new DeepscanError('invalid-argument', `${metaPath}: not valid JSON (${errorMessage(e)})`, { file: metaPath });
    }
    for (const [file, v] of Object.entries(meta)) {
      if (v.label !== 'REAL' && v.label !== 'FAKE') throw new DeepscanError('invalid-argument', `${metaPath}: ${file} has label ${JSON.stringify(v.label)} (expected "REAL" or "FAKE")`, { file: metaPath });
      if (v.label === 'FAKE' && !v.original) throw new DeepscanError('invalid-argument', `${metaPath}: the FAKE ${file} names no original`, { file: metaPath });
      const id = file.slice(0, -4);
      out.push({
        file, id, part: d, partNumber: partNumberOf(d), label: v.label,
        originalId: v.label === 'REAL' ? id : v.original!.slice(0, -4), absPath: join(root, d, file),
      });
    }
  }
  return out;
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

function parseBoxes(text: string): Map<number, FloatBox[] | null> {
  const obj = JSON.parse(text) as Record<string, FloatBox[] | null>;
  return new Map(Object.entries(obj).map(([k, v]) => [Number(k), v]));
}

/** `<frame>_<face>` names (without extension) of a crops folder. */
async function listCropNames(dir: string): Promise<{ frame: number; face: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map((n) => /^(\d+)_(\d+)\.png$/.exec(n)).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ frame: Number(m[1]), face: Number(m[2]) })).sort((a, b) => a.frame - b.frame || a.face - b.face);
}

export async function exportDataset(rootArg: string, opts: ExportOptions): Promise<ExportSummary> {
  const t0 = performance.now();
  let root: string;
  try {
    root = await realpath(rootArg);
  } catch {
    throw new DeepscanError('folder-missing', `dataset folder does not exist: ${rootArg}`, { file: rootArg });
  }
  // Checked before anything is created: nothing may be written into the dataset.
  const target = await assertOutsideEvidence(opts.out, root, 'the output folder');
  await mkdir(target, { recursive: true });
  const out = await realpath(target);
  const emit = opts.onEvent ?? (() => undefined);
  const check = () => {
    if (opts.signal?.aborted) throw new DeepscanError('cancelled', 'the dataset export was cancelled');
  };
  const videos = await scanDataset(root);
  if (!videos.length) throw new DeepscanError('invalid-argument', `${rootArg}: no <part>/metadata.json with videos found`);
  const originals = [...new Map(videos.filter((v) => v.label === 'REAL').map((v) => [v.id, v])).values()];
  const fakes = videos.filter((v) => v.label === 'FAKE');
  const summary: ExportSummary = {
    videos: videos.length, originals: originals.length, fakes: fakes.length, boxes: { written: 0, skipped: 0 }, crops: { written: 0, skippedVideos: 0 },
    landmarks: { written: 0, skipped: 0, noFace: 0 }, diffs: { written: 0, skipped: 0 }, foldRows: 0, seconds: 0,
  };
  // Fold check first: a part outside the seed's 50 would fail the seed's assert at the end.
  const videoFold = new Map<string, number>();
  for (const v of videos) {
    if (v.partNumber === null) continue;
    const fold = foldOfPart(v.partNumber);
    if (fold === null) throw new DeepscanError('invalid-argument', `${v.part}: part ${v.partNumber} is outside the seed's ${SEED_PARTS} parts (16 folds of 3)`);
    videoFold.set(v.id, fold);
  }
  // Decoded frames of the dataset go to the output's own .tmp (resumable, removed at the end).
  const tmpDir = join(out, '.tmp');
  const ctx = await createPipelineContext({ scratch: { dir: tmpDir }, tools: opts.tools, detector: opts.detector, signal: opts.signal });
  await mkdir(tmpDir, { recursive: true });
  const { tools } = ctx;
  const dirs = { boxes: join(out, 'boxes'), crops: join(out, 'crops'), landmarks: join(out, 'landmarks'), diffs: join(out, 'diffs') };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  try {
    const detector = await ctx.detector();
    // 1. boxes: every frame of each original.
    emit({ type: 'stage', stage: 'boxes', total: originals.length });
    for (const [k, v] of originals.entries()) {
      check();
      const file = join(dirs.boxes, `${v.id}.json`);
      if (await exists(file)) {
        summary.boxes.skipped++;
        emit({ type: 'progress', stage: 'boxes', done: k + 1, total: originals.length, item: v.file, skipped: true });
        continue;
      }
      const probe = await probeMedia(tools, v.absPath, `${v.part}/${v.file}`, { signal: opts.signal });
      const indices = Array.from({ length: probe.frameCount }, (_, i) => i);
      const boxes = new Map<number, FloatBox[] | null>();
      if (indices.length) {
        for await (const f of decodeFrames(tools, v.absPath, probe, indices, { tmpDir, signal: opts.signal, displayName: `${v.part}/${v.file}`, previewQuality: 31 })) {
          boxes.set(f.index, await detectPrepBoxes(detector, { data: f.rgb, width: f.width, height: f.height }, `${v.part}/${v.file} frame ${f.index}`));
          emit({ type: 'frame', stage: 'boxes', item: v.file, done: boxes.size, total: indices.length });
          check();
        }
      }
      await atomicWrite(file, pyBoxesJson(boxes));
      summary.boxes.written++;
      emit({ type: 'progress', stage: 'boxes', done: k + 1, total: originals.length, item: v.file, skipped: false });
    }

    // 2. crops: every 10th frame of every video whose original has boxes.
    const cropItems = videos;
    emit({ type: 'stage', stage: 'crops', total: cropItems.length });
    let cropsDone = 0;
    await pool(cropItems, opts.jobs ?? 2, async (v) => {
      check();
      const boxesFile = join(dirs.boxes, `${v.originalId}.json`);
      if (!(await exists(boxesFile))) {
        emit({ type: 'warning', message: `${v.part}/${v.file}: no boxes for its original ${v.originalId} (not a REAL video of the dataset); skipped` });
        cropsDone++;
        return;
      }
      const boxes = parseBoxes(await readFile(boxesFile, 'utf8'));
      const probe = await probeMedia(tools, v.absPath, `${v.part}/${v.file}`, { signal: opts.signal });
      const wanted = [...boxes.entries()].filter(([i, b]) => i % 10 === 0 && i < probe.frameCount && b !== null && b.length > 0).map(([i]) => i).sort((a, b) => a - b);
      const dir = join(dirs.crops, v.id);
      const expected = wanted.flatMap((i) => boxes.get(i)!.map((_, j) => join(dir, `${i}_${j}.png`)));
      const missing = (await Promise.all(expected.map(exists))).some((e) => !e);
      if (!missing || !wanted.length) {
        summary.crops.skippedVideos++;
        emit({ type: 'progress', stage: 'crops', done: ++cropsDone, total: cropItems.length, item: v.file, skipped: true });
        return;
      }
      await mkdir(dir, { recursive: true });
      for await (const f of decodeFrames(tools, v.absPath, probe, wanted, { tmpDir, signal: opts.signal, displayName: `${v.part}/${v.file}`, previewQuality: 31 })) {
        const frame = { data: f.rgb, width: f.width, height: f.height };
        for (const [j, b] of boxes.get(f.index)!.entries()) {
          const target = join(dir, `${f.index}_${j}.png`);
          if (await exists(target)) continue;
          const rect = prepCropRect(b, f.width, f.height);
          const w = rect[2] - rect[0];
          const h = rect[3] - rect[1];
          if (w < 1 || h < 1) {
            emit({ type: 'warning', message: `${v.part}/${v.file} frame ${f.index} face ${j}: empty crop, not written` });
            continue;
          }
          await atomicWrite(target, encodePng({ width: w, height: h, channels: 3, data: cutRgb(frame, rect) }));
          summary.crops.written++;
        }
        check();
      }
      emit({ type: 'progress', stage: 'crops', done: ++cropsDone, total: cropItems.length, item: v.file, skipped: false });
    });

    const inSeedRange = (c: { frame: number; face: number }) => opts.allFaces || (c.frame < 320 && c.face < 2);

    // 3. landmarks of the original crops.
    emit({ type: 'stage', stage: 'landmarks', total: originals.length });
    for (const [k, v] of originals.entries()) {
      check();
      const cropDir = join(dirs.crops, v.id);
      const outDir = join(dirs.landmarks, v.id);
      await mkdir(outDir, { recursive: true });
      let wrote = false;
      for (const c of (await listCropNames(cropDir)).filter(inSeedRange)) {
        const target = join(outDir, `${c.frame}_${c.face}.npy`);
        if (await exists(target)) {
          summary.landmarks.skipped++;
          continue;
        }
        const crop = decodePng(await readFile(join(cropDir, `${c.frame}_${c.face}.png`)));
        const lm = await detectPrepLandmarks(detector, crop, `${v.id} crop ${c.frame}_${c.face}`);
        if (!lm) {
          summary.landmarks.noFace++;
          continue;
        }
        await atomicWrite(target, npyInt16(lm, [5, 2]));
        summary.landmarks.written++;
        wrote = true;
      }
      emit({ type: 'progress', stage: 'landmarks', done: k + 1, total: originals.length, item: v.file, skipped: !wrote });
    }

    // 4. diffs of each fake against its original.
    emit({ type: 'stage', stage: 'diffs', total: fakes.length });
    for (const [k, v] of fakes.entries()) {
      check();
      const oriDir = join(dirs.crops, v.originalId);
      const fakeDir = join(dirs.crops, v.id);
      const outDir = join(dirs.diffs, v.id);
      await mkdir(outDir, { recursive: true });
      const oriNames = new Set((await listCropNames(oriDir)).map((c) => `${c.frame}_${c.face}`));
      let wrote = false;
      for (const c of (await listCropNames(fakeDir)).filter(inSeedRange)) {
        const name = `${c.frame}_${c.face}`;
        if (!oriNames.has(name)) continue;
        const target = join(outDir, `${name}_diff.png`);
        if (await exists(target)) {
          summary.diffs.skipped++;
          continue;
        }
        const a: Image8 = decodePng(await readFile(join(oriDir, `${name}.png`)));
        const b: Image8 = decodePng(await readFile(join(fakeDir, `${name}.png`)));
        try {
          await atomicWrite(target, encodePng(ssimDiffMask(a, b).mask));
          summary.diffs.written++;
          wrote = true;
        } catch (e) {
          emit({ type: 'warning', message: `${v.id} ${name}: no diff (${errorMessage(e)})` });
        }
      }
      emit({ type: 'progress', stage: 'diffs', done: k + 1, total: fakes.length, item: v.file, skipped: !wrote });
    }

    // 5. folds.csv
    emit({ type: 'stage', stage: 'folds', total: 1 });
    const rows: string[] = ['video,file,label,original,frame,fold'];
    const withFakes = [...new Set(fakes.map((f) => f.originalId))];
    const addRows = async (videoId: string, label: 0 | 1, ori: string) => {
      for (const c of (await listCropNames(join(dirs.crops, videoId))).filter(inSeedRange)) {
        const fold = videoFold.get(videoId);
        const oriFold = videoFold.get(ori);
        if (fold === undefined || oriFold === undefined) throw new DeepscanError('invalid-argument', `${videoId}: its part folder has no DFDC part number (dfdc_train_part_N), so it has no fold`);
        if (fold !== oriFold) throw new DeepscanError('invalid-argument', `original video and fake are in different folds: ${ori} ${videoId}`);
        rows.push(`${videoId},${c.frame}_${c.face}.png,${label},${ori},${c.frame},${fold}`);
      }
    };
    for (const o of withFakes) await addRows(o, 0, o);
    for (const f of fakes) await addRows(f.id, 1, f.originalId);
    await atomicWrite(join(out, 'folds.csv'), rows.join('\n') + '\n');
    summary.foldRows = rows.length - 1;
  } finally {
    await ctx.close();
    await rm(tmpDir, { recursive: true, force: true });
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}
