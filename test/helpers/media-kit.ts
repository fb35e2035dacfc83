/**
 * Helpers for the media tests: the shared fixtures, scratch folders under os.tmpdir(), and
 * small synthetic videos made with the real ffmpeg (nothing is mocked).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures');
export const fixtureVideo = path.join(fixturesDir, 'videos', 'three_faces.mp4');
export const referenceJson = path.join(fixturesDir, 'reference', 'three_faces.dfdc_b0_seed7.json');

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `deepscan-media-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs ffmpeg synchronously (test setup only), failing loudly with its stderr. */
export function ffmpegSync(ffmpeg: string, args: string[]): Buffer {
  return execFileSync(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', ...args], {
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A testsrc2 clip (moving pattern, so every frame differs). */
export function makeTestVideo(
  ffmpeg: string,
  out: string,
  o: { w: number; h: number; frames: number; rate?: number; extra?: string[]; codecArgs?: string[] },
): string {
  ffmpegSync(ffmpeg, [
    '-f', 'lavfi', '-i', `testsrc2=size=${o.w}x${o.h}:rate=${o.rate ?? 30}`,
    '-frames:v', String(o.frames),
    ...(o.extra ?? []),
    ...(o.codecArgs ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
    '-y', out,
  ]);
  return out;
}

/**
 * The reference pixels: the plain `ffmpeg -i file -f rawvideo -pix_fmt rgb24 -` command
 * (optionally with a filter), split into frames of `frameBytes`.
 */
export function referenceFrames(ffmpeg: string, file: string, frameBytes: number, pre: string[] = []): Buffer[] {
  const all = ffmpegSync(ffmpeg, ['-i', file, ...pre, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  if (all.length % frameBytes !== 0) throw new Error(`reference output ${all.length} bytes is not a multiple of ${frameBytes}`);
  const frames: Buffer[] = [];
  for (let o = 0; o < all.length; o += frameBytes) frames.push(all.subarray(o, o + frameBytes));
  return frames;
}
