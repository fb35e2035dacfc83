/**
 * Running ffmpeg/ffprobe: always spawn with an argument array (never a shell), so evidence
 * paths with spaces, quotes or unicode reach the tool unchanged.
 */
import { spawn } from 'node:child_process';
import { evidenceInputArgs } from './allow-list.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Bytes of stderr kept: enough for the last messages, bounded for chatty tools. */
const STDERR_KEEP = 64 * 1024;

/**
 * Runs a tool to completion. Rejects only when it cannot be started (ENOENT, EACCES) or when
 * `signal` aborts (the error then has name 'AbortError'); a nonzero exit is a result.
 */
export function runTool(cmd: string, args: string[], opts: { signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      signal: opts.signal,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      err += s;
      if (err.length > STDERR_KEEP * 2) err = err.slice(-STDERR_KEEP);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: err });
    });
  });
}

/**
 * The last meaningful stderr lines of ffmpeg/ffprobe, for an investigator: without the
 * "[demuxer @ 0x55…]" prefixes, with the absolute path replaced by the evidence name.
 */
export function stderrSummary(stderr: string, absPath: string, displayName: string, maxLines = 3): string {
  const lines: string[] = [];
  for (const raw of stderr.split(/\r?\n|\r/)) {
    const line = cleanStderrLine(raw, absPath, displayName);
    if (!line) continue;
    if (lines[lines.length - 1] !== line) lines.push(line);
  }
  return lines.slice(-maxLines).join('; ');
}

/** One stderr line without its "[h264 @ 0x55…] [error]" prefixes, the absolute path replaced by the evidence name. */
export function cleanStderrLine(raw: string, absPath: string, displayName: string): string {
  const line = raw
    .replace(/^\[[^\]]*@ ?(0x)?[0-9a-fA-F]+\]\s*/, '')
    .replace(/^\[(panic|fatal|error|warning|info|verbose|debug|trace)\]\s*/, '')
    .trim();
  return line.split(absPath).join(displayName);
}

/**
 * Input options placed before `-i` for an evidence file: the allow-list of protocols and
 * demuxers, and image2 with patterns off for still names holding '%' (see allow-list.ts).
 */
export function inputArgs(absPath: string): string[] {
  return evidenceInputArgs(absPath);
}
