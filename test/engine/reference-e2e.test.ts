import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseJson, EvidenceJson } from '../../main/engine/report/case-json.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, REFERENCE_JSON, tempDir } from '../helpers/paths.js';

/**
 * The whole reference path through the real CLI: import the released-format B0 checkpoint
 * (both torch.save formats), analyse both shared videos (decode → detect → crop → resize →
 * classify → strategy) and compare with the reference system's outputs, within the
 * tolerances in shared/fixtures/README.md.
 */
interface RefFrame { frame_idx: number; half_size: [number, number]; boxes_half: number[][]; probs: number[]; landmarks_half: number[][][]; crop_shapes: [number, number][] }
interface RefVideo { video: string; frame_idxs: number[]; frames: RefFrame[]; models: { logits: number[]; probs: number[]; confident: number; mean: number }[]; score: number }
const reference = JSON.parse(readFileSync(REFERENCE_JSON, 'utf8')) as { videos: RefVideo[] };
const LEGACY = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');
const ZIP = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.zip.pth');

let work: string;
let folder: string;
let env: Record<string, string>;
let modelId: string;
let json: CaseJson;

function iou(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

beforeAll(async () => {
  work = tempDir();
  folder = join(work, 'evidence');
  env = { DEEPSCAN_HOME: join(work, 'home') };
  mkdirSync(folder);
  copyFileSync(FIXTURE_VIDEO, join(folder, 'three_faces.mp4'));
  copyFileSync(FIXTURE_SWAP_VIDEO, join(folder, 'three_faces_swap.mp4'));
  const imported = await runCli(['models', 'import', LEGACY], env);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  modelId = /Imported (\S+)/.exec(imported.stdout)![1];
  const run = await runCli(['analyze', folder, '--json', join(work, 'out.json')], env);
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  json = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as CaseJson;
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const video = (name: string): EvidenceJson => json.evidence.find((e) => e.path === name)!;

describe('model import', () => {
  it('reads the legacy and the zip checkpoint to the same model', async () => {
    const again = await runCli(['models', 'import', ZIP], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Already installed ${modelId}`);
    const list = JSON.parse((await runCli(['models', 'list', '--json'], env)).stdout) as { models: { id: string; architecture: { variant: string }; sources: { sha256: string; format: string }[]; onnxSha256: string }[] };
    expect(list.models).toHaveLength(1);
    expect(list.models[0]).toMatchObject({ id: modelId, architecture: { variant: 'b0' } });
    expect(list.models[0].sources.map((s) => s.format).sort()).toEqual(['torch-legacy', 'torch-zip']);
    expect(list.models[0].onnxSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe.each(reference.videos.map((v) => [v.video.split('/').pop()!, v] as const))('%s against the reference', (name, ref) => {
  it('samples the same frames and finds the same faces (IoU ≥ 0.95, landmarks ≤ 1.5 half-res px, same crops)', () => {
    const e = video(name);
    expect(e.status).toBe('analyzed');
    expect(e.frames.map((f) => f.index)).toEqual(ref.frame_idxs);
    let worstIou = 1;
    let worstLandmark = 0;
    e.frames.forEach((f, i) => {
      const r = ref.frames[i];
      expect(f.detectSize).toEqual(r.half_size);
      expect(f.faces.length).toBe(r.boxes_half.length);
      f.faces.forEach((face, j) => {
        worstIou = Math.min(worstIou, iou(face.detector.box, r.boxes_half[j]));
        face.landmarks.forEach(([x, y], k) => {
          worstLandmark = Math.max(worstLandmark, Math.hypot(x / 2 - r.landmarks_half[j][k][0], y / 2 - r.landmarks_half[j][k][1]));
        });
        expect([face.crop[3] - face.crop[1], face.crop[2] - face.crop[0]]).toEqual(r.crop_shapes[j]);
      });
    });
    console.log(`${name}: worst box IoU ${worstIou.toFixed(5)}, worst landmark error ${worstLandmark.toFixed(4)} half-res px`);
    expect(worstIou).toBeGreaterThanOrEqual(0.95);
    expect(worstLandmark).toBeLessThanOrEqual(1.5);
  });

  it('scores every face within 0.02 and the video within 0.01 of the reference', () => {
    const e = video(name);
    const probs = e.frames.flatMap((f) => f.faces.map((x) => x.predictions[modelId]));
    expect(probs).toHaveLength(ref.models[0].probs.length);
    const worst = Math.max(...probs.map((p, i) => Math.abs(p - ref.models[0].probs[i])));
    console.log(`${name}: worst face probability difference ${worst.toExponential(2)}, video score ${e.score} vs reference ${ref.score} (Δ ${Math.abs(e.score! - ref.score).toExponential(2)})`);
    expect(worst).toBeLessThanOrEqual(0.02);
    expect(Math.abs(e.models[modelId].value! - ref.models[0].confident)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(e.score! - ref.score)).toBeLessThanOrEqual(0.01);
    expect(e.models[modelId].branch).toBe('confident-fake');
    expect(e.analysis?.executionProvider).toBe('cpu');
  });

  it('links the three people into three tracks with their own verdicts', () => {
    const e = video(name);
    expect(e.tracks).toHaveLength(3);
    for (const t of e.tracks) {
      expect(t.faces).toBe(32);
      expect(t.score).not.toBeNull();
    }
  });
});

describe('re-scoring when only the models change', () => {
  it('drops scores with --no-models (faces kept) and restores identical scores from the stored crops', async () => {
    const none = await runCli(['analyze', folder, '--no-models', '--json', join(work, 'none.json')], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('0 analysed, 2 re-scored');
    const j0 = JSON.parse(readFileSync(join(work, 'none.json'), 'utf8')) as CaseJson;
    const e0 = j0.evidence.find((e) => e.path === 'three_faces.mp4')!;
    expect(e0.score).toBeNull();
    expect(e0.scoreNote).toMatch(/no classifier model/);
    expect(e0.frames.flatMap((f) => f.faces)).toHaveLength(96);

    const back = await runCli(['analyze', folder, '--json', join(work, 'back.json')], env);
    expect(back.stdout).toContain('0 analysed, 2 re-scored');
    const j1 = JSON.parse(readFileSync(join(work, 'back.json'), 'utf8')) as CaseJson;
    for (const name of ['three_faces.mp4', 'three_faces_swap.mp4']) {
      const before = video(name);
      const after = j1.evidence.find((e) => e.path === name)!;
      expect(after.score).toBe(before.score);
      expect(after.frames.flatMap((f) => f.faces.map((x) => x.logits[modelId]))).toEqual(before.frames.flatMap((f) => f.faces.map((x) => x.logits[modelId])));
    }
  });
});
