/**
 * The playback copy ("proxy") of an evidence file whose codec a browser cannot play: H.264
 * (yuv420p, no B-frames) and AAC in MP4, which Debian's Chromium and Electron both play (MPEG-4
 * Part 2 in AVI and MPEG-2 in Matroska do not; checked with the media element in Chromium).
 *
 * Timing is kept so that the sampled frames' timestamps seek to the same pictures:
 * - `-fps_mode passthrough` (5.1+; `-vsync passthrough` before): every decoded frame is written
 *   once with its own timestamp — none dropped, none duplicated, the same frame rate;
 * - no -copyts: like the analysis decode, the timeline starts at the input's first timestamp,
 *   which is what the sampled frames' pts are measured from;
 * - no B-frames, so presentation and decode order agree and no edit list shifts the start.
 * Input goes through the same allow-list as every evidence read (evidenceInputArgs).
 */
import { spawn } from 'node:child_process';
import { DeepscanError } from '../util/errors.js';
import { evidenceInputArgs, whitelistRefusal } from './allow-list.js';
import type { FfmpegTools } from './ffmpeg.js';
import { stderrSummary } from './proc.js';

export const PROXY_CONTAINER = 'mp4';
export const PROXY_MEDIA_TYPE = 'video/mp4';

/** The encoding parameters (recorded in the audit entry with the proxy's hash). */
export function proxyOutputArgs(tools: Pick<FfmpegTools, 'major' | 'minor'>): string[] {
  const passthrough = tools.major > 5 || (tools.major === 5 && tools.minor >= 1) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
  return [
    '-map', '0:v:0', '-map', '0:a:0?', '-sn', '-dn', '-map_metadata', '-1',
    ...passthrough,
    // yuv420p needs even sizes: pad (never scale) by at most one pixel.
    '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '160k',
    '-movflags', '+faststart', '-f', PROXY_CONTAINER,
  ];
}

export interface TranscodeOptions {
  /** Duration of the evidence (s), for progress; null: no fractions. */
  durationSec: number | null;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Evidence name for messages (never the absolute path). */
  displayName: string;
}

/** The full ffmpeg argument list for a proxy of `input` written to `output`. */
export function proxyArgs(tools: Pick<FfmpegTools, 'major' | 'minor'>, input: string, output: string): string[] {
  return ['-hide_banner', '-nostdin', '-y', '-nostats', '-progress', 'pipe:1', ...evidenceInputArgs(input), '-i', input, ...proxyOutputArgs(tools), output];
}

/** Runs ffmpeg to write the proxy; resolves when it is complete, rejects 'cancelled' or 'decode-failed'. */
export function transcodeProxy(tools: FfmpegTools, input: string, output: string, opts: TranscodeOptions): Promise<void> {
  if (opts.signal?.aborted) return Promise.reject(new DeepscanError('cancelled', 'the playback copy was cancelled'));
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg, proxyArgs(tools, input, output), { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stderr = '';
    let pending = '';
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-64 * 1024);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // -progress writes key=value blocks; out_time_us is the position written so far.
        const m = /^out_time_us=(\d+)$/.exec(line.trim());
        if (m && opts.durationSec && opts.durationSec > 0) opts.onProgress?.(Math.min(1, Number(m[1]) / 1e6 / opts.durationSec));
      }
    });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new DeepscanError('ffmpeg-missing', `ffmpeg could not be started: ${e.message}`));
    });
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) reject(new DeepscanError('cancelled', 'the playback copy was cancelled'));
      else if (code !== 0) {
        reject(whitelistRefusal(stderr, opts.displayName) ?? new DeepscanError('decode-failed', `"${opts.displayName}": the playback copy could not be made (${stderrSummary(stderr, input, opts.displayName)})`, { file: opts.displayName }));
      } else {
        opts.onProgress?.(1);
        resolve();
      }
    });
  });
}
