/**
 * Running ffmpeg/ffprobe: always spawn with an argument array (never a shell), so evidence
 * paths with spaces, quotes or unicode reach the tool unchanged.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

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
    let line = raw
      .replace(/^\[[^\]]*@ ?(0x)?[0-9a-fA-F]+\]\s*/, '')
      .replace(/^\[(panic|fatal|error|warning|info|verbose|debug|trace)\]\s*/, '')
      .trim();
    if (!line) continue;
    line = line.split(absPath).join(displayName);
    if (lines[lines.length - 1] !== line) lines.push(line);
  }
  return lines.slice(-maxLines).join('; ');
}

const STILL_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.jp2', '.j2k']);

/**
 * Input options placed before `-i`. ffmpeg's image2 demuxer treats `%d` in a file name as a
 * sequence pattern, so "scan%03d.png" would be looked for as scan000.png…; for still-image
 * names containing '%' we force image2 with patterns off. (Passing -pattern_type to other
 * demuxers makes ffmpeg fail with "Option pattern_type not found", so it is not global.)
 */
export function inputArgs(absPath: string): string[] {
  const base = path.basename(absPath);
  if (base.includes('%') && STILL_EXTENSIONS.has(path.extname(base).toLowerCase())) {
    return ['-f', 'image2', '-pattern_type', 'none'];
  }
  return [];
}
