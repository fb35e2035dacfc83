import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';

/** Small synthetic media made with the real ffmpeg, for tests that need inputs of a shape. */
function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestVideo(file: string, opts: { width?: number; height?: number; frames?: number; fps?: number; extra?: string[] } = {}): void {
  const { width = 320, height = 240, frames = 60, fps = 30 } = opts;
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-frames:v', String(frames), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', ...(opts.extra ?? []), file]);
}

/** A copy whose container says "display rotated by `degrees` clockwise" (the legacy rotate tag, as phones write). */
export function makeRotatedVideo(source: string, file: string, degrees: number): void {
  ffmpeg(['-i', source, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, file]);
}

export function makeAudioOnly(file: string): void {
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', file]);
}

export function makeStillImage(file: string, width = 64, height = 48): void {
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}`, '-frames:v', '1', file]);
}

/** The first `fraction` of a file's bytes (a truncated copy, as from an interrupted copy). */
export function writeTruncatedCopy(source: string, file: string, fraction: number): void {
  const size = readFileSync(source).length;
  const n = Math.floor(size * fraction);
  const buf = Buffer.alloc(n);
  const fd = openSync(source, 'r');
  readSync(fd, buf, 0, n, 0);
  closeSync(fd);
  writeFileSync(file, buf);
}

/**
 * An AVI whose headers claim more frames than it holds: dwTotalFrames in 'avih' and dwLength
 * in the video 'strh' are patched to `claimed`.
 */
export function makeLyingAvi(file: string, realFrames: number, claimed: number): void {
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=25`, '-frames:v', String(realFrames), '-c:v', 'mjpeg', '-q:v', '5', file]);
  const buf = readFileSync(file);
  const avih = buf.indexOf(Buffer.from('avih'));
  const strh = buf.indexOf(Buffer.from('strh'));
  if (avih < 0 || strh < 0) throw new Error(`makeLyingAvi: no avih/strh chunk in ${file}`);
  // avih payload: dwMicroSecPerFrame, dwMaxBytesPerSec, dwPaddingGranularity, dwFlags, dwTotalFrames…
  buf.writeUInt32LE(claimed, avih + 8 + 16);
  // strh payload: fccType, fccHandler, dwFlags, wPriority+wLanguage, dwInitialFrames, dwScale, dwRate, dwStart, dwLength…
  buf.writeUInt32LE(claimed, strh + 8 + 32);
  writeFileSync(file, buf);
}

export function sha256sum(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(/\s+/)[0];
}
