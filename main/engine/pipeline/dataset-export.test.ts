/**
 * Dataset export in the seed's layout. (A) structure, resumability and folds on a small
 * DFDC-style dataset made from the shared pair (first frames, 960×540, lossless re-encode);
 * (B) on the shared pair itself, crops and diffs at frames 0/150/290 equal the reference fixtures
 * (the boxes file of those frames is made beforehand — the export resumes from it, so the test
 * does not detect on all 300 frames).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFolder } from '../../../test/helpers/folder-snapshot.js';
import { FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, FIXTURES, tempDir } from '../../../test/helpers/paths.js';
import { mtcnnDir } from '../../../test/helpers/faces-kit.js';
import { MtcnnDetector } from '../faces/mtcnn.js';
import { decodePng } from '../image/png.js';
import { decodeFrames } from '../media/decode.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import { probeMedia } from '../media/probe.js';
import { exportDataset, foldOfPart, partNumberOf } from './dataset-export.js';
import { detectPrepBoxes, type FloatBox } from '../faces/prep-faces.js';
import { pyBoxesJson, pyFloat } from '../dataset/pyjson.js';


/** A small .npy reader: header checks and int16 data. */
function readNpy(buf: Buffer): { descr: string; fortran: boolean; shape: number[]; data: Int16Array; headerTotal: number } {
  expect(buf.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  expect([buf[6], buf[7]]).toEqual([1, 0]);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  expect(header.endsWith('\n')).toBe(true);
  const m = /^\{'descr': '([^']+)', 'fortran_order': (True|False), 'shape': \(([\d, ]*)\), \} *\n$/.exec(header);
  expect(m, header).not.toBeNull();
  const shape = m![3].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = buf.subarray(10 + hlen);
  const data = new Int16Array(body.length / 2);
  for (let i = 0; i < data.length; i++) data[i] = body.readInt16LE(i * 2);
  return { descr: m![1], fortran: m![2] === 'True', shape, data, headerTotal: 10 + hlen };
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function clip(src: string, dst: string, frames: number): void {
  ffmpeg(['-i', src, '-frames:v', String(frames), '-vf', 'scale=960:540', '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', dst]);
}

describe('seed-format helpers', () => {
  it('writes floats and boxes as Python json.dump does', () => {
    expect([1, -0, 5e-5, 417.2929382324219, 1e16, 0.0001, 12.5].map(pyFloat)).toEqual(['1.0', '-0.0', '5e-05', '417.2929382324219', '1e+16', '0.0001', '12.5']);
    expect(pyBoxesJson(new Map([[0, [[1, 2.5, 3, 4]]], [1, null]]))).toBe('{"0": [[1.0, 2.5, 3.0, 4.0]], "1": null}');
  });
  it('assigns the seed folds: 16 folds of 3 parts, the last holding 45-49', () => {
    expect([0, 2, 3, 44, 45, 49].map((p) => foldOfPart(p))).toEqual([0, 0, 1, 14, 15, 15]);
    expect(foldOfPart(50)).toBeNull();
    expect([partNumberOf('dfdc_train_part_47'), partNumberOf('other')]).toEqual([47, null]);
  });
});

describe('dataset export', () => {
  let detector: MtcnnDetector;
  let tools: FfmpegTools;
  let base: string;

  beforeAll(async () => {
    base = tempDir('deepscan-dataset-');
    tools = await locateFfmpeg();
    detector = await MtcnnDetector.load(mtcnnDir);
  });
  afterAll(async () => {
    await detector?.release();
  });

  it('writes the seed layout on a small DFDC-style dataset, resumably, without touching the dataset', async () => {
    const root = join(base, 'small');
    const p0 = join(root, 'dfdc_train_part_0');
    const p47 = join(root, 'dfdc_train_part_47');
    mkdirSync(p0, { recursive: true });
    mkdirSync(p47, { recursive: true });
    clip(FIXTURE_VIDEO, join(p0, 'orig.mp4'), 21);
    clip(FIXTURE_SWAP_VIDEO, join(p0, 'fake.mp4'), 21);
    clip(FIXTURE_VIDEO, join(p47, 'solo.mp4'), 11);
    clip(FIXTURE_SWAP_VIDEO, join(p47, 'solofake.mp4'), 11);
    writeFileSync(join(p0, 'metadata.json'), JSON.stringify({ 'orig.mp4': { label: 'REAL', split: 'train' }, 'fake.mp4': { label: 'FAKE', split: 'train', original: 'orig.mp4' } }));
    writeFileSync(join(p47, 'metadata.json'), JSON.stringify({ 'solo.mp4': { label: 'REAL' }, 'solofake.mp4': { label: 'FAKE', original: 'solo.mp4' } }));
    const before = snapshotFolder(root);
    const out = join(base, 'small-out');
    await expect(exportDataset(root, { out: join(p0, 'out'), tools, detector })).rejects.toMatchObject({ code: 'output-inside-evidence' });
    expect(existsSync(join(p0, 'out'))).toBe(false);

    const events: string[] = [];
    const first = await exportDataset(root, { out, tools, detector, onEvent: (e) => e.type === 'progress' && events.push(`${e.stage}:${e.item}`) });
    console.log(`dataset export (2 originals of 21 + 11 frames at 960×540, 2 fakes): ${first.seconds.toFixed(1)} s`, JSON.stringify(first));
    expect(snapshotFolder(root)).toEqual(before);
    expect(events).toContain('boxes:orig.mp4');

    // boxes: every frame, Python json.dump format
    const text = readFileSync(join(out, 'boxes', 'orig.json'), 'utf8');
    expect(text).toMatch(/^\{"0": \[\[-?\d+\.\d+(e-\d\d)?, /);
    const boxes = JSON.parse(text) as Record<string, FloatBox[] | null>;
    expect(Object.keys(boxes)).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
    expect(boxes['0']).toHaveLength(3);
    expect(Object.keys(JSON.parse(readFileSync(join(out, 'boxes', 'solo.json'), 'utf8')) as object)).toHaveLength(11);
    expect(existsSync(join(out, 'boxes', 'fake.json'))).toBe(false);

    // crops: every 10th frame, all faces, originals and fakes
    const names = (dir: string) => readdirSync(join(out, dir)).sort();
    const faces3 = (frames: number[], suffix: string) => frames.flatMap((f) => [0, 1, 2].map((j) => `${f}_${j}${suffix}`)).sort();
    expect(names('crops/orig')).toEqual(faces3([0, 10, 20], '.png'));
    expect(names('crops/fake')).toEqual(faces3([0, 10, 20], '.png'));
    expect(names('crops/solofake')).toEqual(faces3([0, 10], '.png'));
    const oc = decodePng(readFileSync(join(out, 'crops/orig/10_1.png')));
    const fc = decodePng(readFileSync(join(out, 'crops/fake/10_1.png')));
    expect([oc.width, oc.height]).toEqual([fc.width, fc.height]);

    // landmarks and diffs: the seed's faces 0 and 1 only
    const faces2 = (frames: number[], suffix: string) => frames.flatMap((f) => [0, 1].map((j) => `${f}_${j}${suffix}`)).sort();
    expect(names('landmarks/orig')).toEqual(faces2([0, 10, 20], '.npy'));
    expect(names('diffs/fake')).toEqual(faces2([0, 10, 20], '_diff.png'));
    expect(names('diffs/solofake')).toEqual(faces2([0, 10], '_diff.png'));
    const npy = readNpy(readFileSync(join(out, 'landmarks/orig/0_0.npy')));
    expect(npy.descr).toBe('<i2');
    expect(npy.fortran).toBe(false);
    expect(npy.shape).toEqual([5, 2]);
    expect(npy.headerTotal % 64).toBe(0);
    const crop00 = decodePng(readFileSync(join(out, 'crops/orig/0_0.png')));
    for (let i = 0; i < 5; i++) {
      expect(npy.data[i * 2]).toBeGreaterThan(0);
      expect(npy.data[i * 2]).toBeLessThan(crop00.width);
      expect(npy.data[i * 2 + 1]).toBeGreaterThan(0);
      expect(npy.data[i * 2 + 1]).toBeLessThan(crop00.height);
    }

    // folds
    const csv = readFileSync(join(out, 'folds.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('video,file,label,original,frame,fold');
    expect(csv.slice(1)).toEqual([
      ...faces2([0, 10, 20], '').map((n) => `orig,${n}.png,0,orig,${n.split('_')[0]},0`).sort(byFrame),
      ...faces2([0, 10], '').map((n) => `solo,${n}.png,0,solo,${n.split('_')[0]},15`).sort(byFrame),
      ...faces2([0, 10, 20], '').map((n) => `fake,${n}.png,1,orig,${n.split('_')[0]},0`).sort(byFrame),
      ...faces2([0, 10], '').map((n) => `solofake,${n}.png,1,solo,${n.split('_')[0]},15`).sort(byFrame),
    ]);

    // resumable: nothing is recomputed; a lost crop is written again, identical
    const cropFile = join(out, 'crops/fake/20_2.png');
    const bytes = readFileSync(cropFile);
    const mtime = statSync(join(out, 'boxes/orig.json')).mtimeMs;
    rmSync(cropFile);
    const second = await exportDataset(root, { out, tools, detector });
    expect(second.boxes).toEqual({ written: 0, skipped: 2 });
    expect(second.crops.written).toBe(1);
    expect(second.landmarks.written + second.diffs.written).toBe(0);
    expect(readFileSync(cropFile).equals(bytes)).toBe(true);
    expect(statSync(join(out, 'boxes/orig.json')).mtimeMs).toBe(mtime);
    expect(readdirSync(out).sort()).toEqual(['boxes', 'crops', 'diffs', 'folds.csv', 'landmarks']);
  }, 300_000);

  it('on the shared pair, crops and diffs at frames 0/150/290 equal the reference fixtures', async () => {
    const root = join(base, 'pair');
    const part = join(root, 'dfdc_train_part_5');
    mkdirSync(part, { recursive: true });
    symlinkSync(FIXTURE_VIDEO, join(part, 'three_faces.mp4'));
    symlinkSync(FIXTURE_SWAP_VIDEO, join(part, 'three_faces_swap.mp4'));
    writeFileSync(join(part, 'metadata.json'), JSON.stringify({ 'three_faces.mp4': { label: 'REAL' }, 'three_faces_swap.mp4': { label: 'FAKE', original: 'three_faces.mp4' } }));
    const out = join(base, 'pair-out');
    mkdirSync(join(out, 'boxes'), { recursive: true });
    const probe = await probeMedia(tools, FIXTURE_VIDEO, 'three_faces.mp4');
    const boxes = new Map<number, FloatBox[] | null>();
    for await (const f of decodeFrames(tools, FIXTURE_VIDEO, probe, [0, 150, 290], { tmpDir: base })) {
      boxes.set(f.index, await detectPrepBoxes(detector, { data: f.rgb, width: f.width, height: f.height }));
    }
    writeFileSync(join(out, 'boxes', 'three_faces.json'), pyBoxesJson(boxes));
    const s = await exportDataset(root, { out, tools, detector });
    expect(s.boxes).toEqual({ written: 0, skipped: 1 });
    const ssim = join(FIXTURES, 'reference', 'ssim');
    for (const frame of [0, 150, 290]) {
      for (const face of [0, 1, 2]) {
        const name = `${frame}_${face}`;
        const eq = (a: string, b: string) => {
          const x = decodePng(readFileSync(a));
          const y = decodePng(readFileSync(b));
          expect([x.width, x.height, x.channels], `${a}`).toEqual([y.width, y.height, y.channels]);
          expect(Buffer.compare(Buffer.from(x.data), Buffer.from(y.data)), `${a} vs ${b}`).toBe(0);
        };
        eq(join(out, 'crops', 'three_faces', `${name}.png`), join(ssim, `${name}_orig.png`));
        eq(join(out, 'crops', 'three_faces_swap', `${name}.png`), join(ssim, `${name}_fake.png`));
        if (face < 2) eq(join(out, 'diffs', 'three_faces_swap', `${name}_diff.png`), join(ssim, `${name}_diff.png`));
        else expect(existsSync(join(out, 'diffs', 'three_faces_swap', `${name}_diff.png`))).toBe(false);
      }
    }
    expect(readdirSync(join(out, 'landmarks', 'three_faces')).sort()).toEqual(['0_0.npy', '0_1.npy', '150_0.npy', '150_1.npy', '290_0.npy', '290_1.npy']);
  }, 300_000);
});

function byFrame(a: string, b: string): number {
  const fa = a.split(',')[1].split(/[_.]/).map(Number);
  const fb = b.split(',')[1].split(/[_.]/).map(Number);
  return fa[0] - fb[0] || fa[1] - fb[1];
}
