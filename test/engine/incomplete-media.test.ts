import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseJson, EvidenceJson } from '../../main/engine/report/case-json.js';
import { caseDbPath } from '../../main/engine/case/workspace.js';
import { CaseStore } from '../../main/engine/store/case-store.js';
import { runCli } from '../helpers/cli.js';
import { makeTestVideo, writeTruncatedCopy } from '../helpers/make-media.js';
import { tempDir } from '../helpers/paths.js';

/**
 * "Incomplete media is a finding": a faststart MP4 cut in half (its index still lists every
 * frame) and a clip with a corrupted middle are analysed with warnings that say so; a clean
 * clip has none.
 */
let work: string;
let folder: string;
let home: string;
let json: CaseJson;
let cli: Awaited<ReturnType<typeof runCli>>;
const FRAMES = 60;

const item = (path: string): EvidenceJson => {
  const e = json.evidence.find((x) => x.path === path);
  if (!e) throw new Error(`no evidence ${path} in ${json.evidence.map((x) => x.path).join(', ')}`);
  return e;
};

/** Frames the decoder delivers, counted independently of Deepscan (ffprobe -count_frames). */
function decodableFrames(file: string): number {
  const out = execFileSync('ffprobe', ['-v', 'quiet', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

beforeAll(async () => {
  work = tempDir();
  folder = join(work, 'case');
  home = join(work, 'home');
  mkdirSync(folder);
  mkdirSync(home);
  // Short GOPs, so that damage costs only a few frames and decoding resumes after it.
  const gop = ['-g', '10', '-movflags', '+faststart'];
  makeTestVideo(join(folder, 'clean.mp4'), { width: 96, height: 64, frames: FRAMES, fps: 25, extra: gop });
  makeTestVideo(join(work, 'whole.mp4'), { width: 96, height: 64, frames: FRAMES, fps: 25, extra: gop });
  writeTruncatedCopy(join(work, 'whole.mp4'), join(folder, 'first half.mp4'), 0.5);
  // The same clip with 4,000 bytes in its middle overwritten (a bad sector, a damaged copy).
  const bytes = readFileSync(join(work, 'whole.mp4'));
  const at = Math.floor(bytes.length / 2) - 2000;
  for (let i = 0; i < 4000; i++) bytes[at + i] = (i * 151 + 17) & 0xff;
  writeFileSync(join(folder, 'corrupt middle.mp4'), bytes);
  cli = await runCli(['analyze', folder, '--frames', '8', '--json', join(work, 'out.json')], { DEEPSCAN_HOME: home });
  json = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as CaseJson;
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('incomplete media', () => {
  it('a clean clip has no warnings (the field is always present)', () => {
    expect(cli.code, cli.stderr).toBe(0);
    const e = item('clean.mp4');
    expect(e.status).toBe('analyzed');
    expect(e.warnings).toEqual([]);
    expect(e.frameCount).toBe(FRAMES);
  });

  it('a faststart MP4 cut in half: truncated, with the counts, sampled over the decodable frames only', () => {
    const decodable = decodableFrames(join(folder, 'first half.mp4'));
    expect(decodable).toBeGreaterThan(10);
    expect(decodable).toBeLessThan(FRAMES);
    const e = item('first half.mp4');
    expect(e.status).toBe('analyzed');
    expect(e.frameCount).toBe(decodable);
    const truncated = e.warnings.find((w) => w.code === 'truncated');
    expect(truncated?.message).toBe(`truncated: ${decodable} of ${FRAMES} frames decodable; sampled over those ${decodable}`);
    const idx = e.frames.map((f) => f.index);
    expect(idx).toHaveLength(8);
    expect(Math.max(...idx)).toBe(decodable - 1);
    // ffmpeg complained about the cut while decoding; the paths in its lines are the evidence name.
    const errors = e.warnings.find((w) => w.code === 'decode-errors');
    expect(errors?.message).toMatch(/^decode-errors: ffmpeg reported \d+ errors? while decoding; first: "/);
    expect(errors?.message).not.toContain(folder);
  });

  it('a clip with a corrupted middle is never a clean []: decode errors and the lost frames are reported', () => {
    const decodable = decodableFrames(join(folder, 'corrupt middle.mp4'));
    const e = item('corrupt middle.mp4');
    expect(e.status).toBe('analyzed');
    // The damage costs frames (the pattern is fixed, so this is deterministic: 51 of 60 with ffmpeg 5.1).
    expect(decodable).toBeLessThan(FRAMES);
    const codes = e.warnings.map((w) => w.code);
    expect(codes).toContain('decode-errors');
    expect(e.warnings.find((w) => w.code === 'truncated')?.message).toBe(`truncated: ${decodable} of ${FRAMES} frames decodable; sampled over those ${decodable}`);
    // The first plan's last frame (59) lies past the decodable ones: the sample was drawn again.
    expect(e.warnings.find((w) => w.code === 'frame-substituted')?.message).toMatch(/^frame-substituted: 1 planned frame \(59\) could not be decoded/);
    expect(Math.max(...e.frames.map((f) => f.index))).toBe(decodable - 1);
  });

  it('keeps the warnings in the case database and in the audit entry of the analysis', () => {
    const store = new CaseStore(caseDbPath(home, json.case.id), { readonly: true });
    try {
      const e = store.getEvidenceByPath('first half.mp4')!;
      const a = store.getAnalysis(e.id)!;
      expect(a.warnings.map((w) => w.code)).toContain('truncated');
      const entry = store.prepare("SELECT details FROM audit_log WHERE action = 'evidence-analyzed' AND details LIKE ?").get('%first half.mp4%') as { details: string } | undefined;
      expect(JSON.parse(entry!.details).warnings).toEqual(a.warnings);
      const clean = store.getAnalysis(store.getEvidenceByPath('clean.mp4')!.id)!;
      expect(clean.warnings).toEqual([]);
    } finally {
      store.close();
    }
  });
});
