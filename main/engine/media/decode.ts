/**
 * Decoding the sampled frames: one ffmpeg process per file decodes the video once, front to
 * back, and two outputs share that decode:
 *   #0  the selected frames as JPEG previews, written to a scratch folder;
 *   #1  the same frames as raw RGB24 on stdout.
 * Each output has its own *simple* filtergraph (`select` on the decoded frame number n), so
 * output #1 converts to RGB exactly as `ffmpeg -i file -f rawvideo -pix_fmt rgb24 -` does
 * (same auto-inserted scaler, same sws flags). `-fps_mode passthrough` matters: rawvideo
 * and image2 outputs default to constant frame rate, which duplicates or drops frames of
 * variable-frame-rate video and would shift frame numbers.
 *
 * A `showinfo` filter after `select` logs each selected frame's pts and size on stderr
 * before the frame's bytes are written, which gives real timestamps and the (rotated) size.
 * stdout is read in paused mode, one frame at a time, so ffmpeg blocks while the consumer
 * is busy: a sampled 8K video never sits in memory as a whole.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DeepscanError, errorMessage } from '../util/errors.js';
import type { FfmpegTools } from './ffmpeg.js';
import { INSTALL_ADVICE } from './ffmpeg.js';
import type { MediaProbe } from './probe.js';
import { decodedFramesFromLog, passthroughArgs } from './probe.js';
import { whitelistRefusal } from './allow-list.js';
import { cleanStderrLine, inputArgs, stderrSummary } from './proc.js';

export interface DecodedFrame {
  /** The requested frame index (decoded-frame number, 0-based). */
  index: number;
  /** Presentation time in seconds from the start of the stream, as ffmpeg presents it; null when the frame has none. */
  ptsSec: number | null;
  width: number;
  height: number;
  /** width*height*3 bytes, RGB24, rotation applied. */
  rgb: Buffer;
  /** JPEG preview of the same frame. */
  jpeg: Buffer;
}

export interface DecodeOptions {
  signal?: AbortSignal;
  /** ffmpeg -q:v for the JPEG previews (2 best … 31 worst); default 3. */
  previewQuality?: number;
  /** Scratch folder outside the evidence folder; a private subfolder is made and removed. */
  tmpDir: string;
  /** The evidence name used in error messages (default: the file's base name). */
  displayName?: string;
  /** Filled while decoding (also when decoding fails): what ffmpeg complained about. */
  diagnostics?: DecodeDiagnostics;
}

/** ffmpeg's error-level complaints during one decode: damage in the stream, even when frames still came out. */
export interface DecodeDiagnostics {
  errorLines: number;
  /** The first distinct error lines, prefixes removed, the path replaced by the evidence name. */
  firstErrors: string[];
}

/** Distinct error lines kept for the report. */
const FIRST_ERRORS_KEPT = 5;

/** The error thrown when the stream ended before every requested frame arrived. */
export interface FramesMissingError extends DeepscanError {
  /** Frames the decoder delivered in the whole stream, when ffmpeg reported it. */
  decodedFrames?: number;
  /** Requested frames (counting repeats) that arrived before the stream ended. */
  framesArrived: number;
  /** The first requested index that did not arrive. */
  missingIndex: number;
}

interface ShowInfo {
  ptsSec: number | null;
  width: number;
  height: number;
}

const SHOWINFO = /^\[Parsed_showinfo_\d+ @ [^\]]*\] (?:\[info\] )?n:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:(\S+).*?\bs:(\d+)x(\d+)/;
const LEVEL = /^(?:\[[^\]]*@ [^\]]*\] )?\[(panic|fatal|error|warning|info|verbose|debug|trace)\]/;
/** Above this length the select expression goes into a filter script (Windows caps command lines at 32K). */
const MAX_INLINE_EXPR = 4000;

export async function* decodeFrames(
  tools: FfmpegTools,
  absPath: string,
  probe: MediaProbe,
  indices: readonly number[],
  opts: DecodeOptions = { tmpDir: os.tmpdir() },
): AsyncGenerator<DecodedFrame> {
  const file = opts.displayName ?? path.basename(absPath);
  validateIndices(indices);
  const { signal } = opts;
  const cancelled = () => new DeepscanError('cancelled', `Decoding "${file}" was cancelled.`, { file });
  if (signal?.aborted) throw cancelled();

  // Repeated indices (short videos) are decoded once and yielded once per request.
  const unique = [...new Set(indices)];
  const quality = opts.previewQuality ?? 3;
  const runDir = await fs.mkdtemp(path.join(opts.tmpDir, 'deepscan-decode-'));

  let child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  let onAbort: (() => void) | null = null;
  let finished = false;
  try {
    const expr = selectExpr(unique);
    const graphArgs = async (name: string, graph: string): Promise<string[]> => {
      if (expr.length <= MAX_INLINE_EXPR) return ['-vf', graph];
      const script = path.join(runDir, name);
      await fs.writeFile(script, graph);
      return ['-filter_script:v', script];
    };
    const showinfo = tools.major > 5 || tools.minor >= 1 ? 'showinfo=checksum=0' : 'showinfo';
    const map = ['-map', `0:${probe.videoStreamIndex}`];
    const limit = ['-frames:v', String(unique.length)];
    // image2 expands %d in output names: escape '%' in the folder part.
    const jpegPattern = path.join(runDir.replace(/%/g, '%%'), '%06d.jpg');
    const args = [
      '-hide_banner', '-nostdin', '-nostats', '-y',
      // level+verbose: every line says its level (to pick error lines), and the closing
      // statistics say how many frames were decoded (for frames-missing).
      '-loglevel', 'level+verbose',
      ...inputArgs(absPath), '-i', absPath,
      // Output #0 first: for each frame ffmpeg serves its outputs in order, so a preview is
      // on disk before that frame's RGB bytes reach the pipe. One encoder thread keeps the
      // JPEG encoder from holding frames back.
      ...map, ...(await graphArgs('jpeg.filter', `select='${expr}'`)), ...passthroughArgs(tools), ...limit,
      '-c:v', 'mjpeg', '-q:v', String(quality), '-threads', '1',
      '-f', 'image2', '-atomic_writing', '1', '-start_number', '0', jpegPattern,
      ...map, ...(await graphArgs('rgb.filter', `select='${expr}',${showinfo}`)), ...passthroughArgs(tools), ...limit,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ];

    const proc = spawn(tools.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    child = proc;
    const st = {
      infos: [] as ShowInfo[],
      tail: [] as string[],
      decoded: null as number | null,
      stderrEnded: false,
      stdoutEnded: false,
      streamError: null as Error | null,
      spawnError: null as Error | null,
      closed: false,
      code: null as number | null,
      exitSignal: null as NodeJS.Signals | null,
      aborted: false,
    };
    const changed = new Notifier();
    let closeLog = '';

    onAbort = () => {
      st.aborted = true;
      proc.kill('SIGKILL');
      changed.notify();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort(); // aborted while the scratch folder was being made

    let partial = '';
    const onLine = (line: string) => {
      const m = SHOWINFO.exec(line);
      if (m) {
        const pts = Number(m[3]);
        st.infos[Number(m[1])] = { ptsSec: m[2] === 'NOPTS' || !Number.isFinite(pts) ? null : pts, width: Number(m[4]), height: Number(m[5]) };
        return;
      }
      if (/frames decoded/.test(line)) closeLog += line + '\n';
      const level = LEVEL.exec(line)?.[1];
      const diag = opts.diagnostics;
      if (diag && (level === 'panic' || level === 'fatal' || level === 'error')) {
        diag.errorLines++;
        const clean = cleanStderrLine(line, absPath, file);
        if (diag.firstErrors.length < FIRST_ERRORS_KEPT && !diag.firstErrors.includes(clean)) diag.firstErrors.push(clean);
      }
      if (level === 'panic' || level === 'fatal' || level === 'error' || level === 'warning') {
        st.tail.push(line);
        if (st.tail.length > 20) st.tail.shift();
      }
    };
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (s: string) => {
      const lines = (partial + s).split(/\r?\n|\r/);
      partial = (lines.pop() ?? '').slice(-65536); // bound a runaway unterminated line
      for (const l of lines) onLine(l);
      changed.notify();
    });
    proc.stderr.on('end', () => {
      if (partial) onLine(partial);
      st.stderrEnded = true;
      st.decoded = decodedFramesFromLog(closeLog);
      changed.notify();
    });
    proc.stdout.on('readable', () => changed.notify());
    proc.stdout.on('end', () => {
      st.stdoutEnded = true;
      changed.notify();
    });
    for (const s of [proc.stdout, proc.stderr]) {
      s.on('error', (e: Error) => {
        st.streamError = e;
        changed.notify();
      });
    }
    proc.on('error', (e) => {
      st.spawnError = e;
      changed.notify();
    });
    proc.on('close', (code, sig) => {
      st.closed = true;
      st.code = code;
      st.exitSignal = sig;
      changed.notify();
    });

    const check = () => {
      if (st.aborted || signal?.aborted) throw cancelled();
      if (st.spawnError) {
        throw new DeepscanError('ffmpeg-missing', `ffmpeg could not be started (${errorMessage(st.spawnError)}). ${INSTALL_ADVICE}`, { file, cause: st.spawnError });
      }
    };

    // stdout bytes read ahead while waiting for a preview (see readPreview), consumed first.
    const ahead: Buffer[] = [];

    /** Fills `target` from stdout; returns the bytes filled (less only at end of stream). */
    const readExact = async (target: Buffer): Promise<number> => {
      let filled = 0;
      while (filled < target.length) {
        check();
        const chunk = ahead.shift() ?? (proc.stdout.read() as Buffer | null);
        if (chunk === null) {
          if (st.stdoutEnded || st.streamError || proc.stdout.readableEnded) break;
          await changed.wait();
          continue;
        }
        const need = target.length - filled;
        if (chunk.length > need) {
          chunk.copy(target, filled, 0, need);
          ahead.unshift(chunk.subarray(need));
          filled += need;
        } else {
          chunk.copy(target, filled);
          filled += chunk.length;
        }
      }
      return filled;
    };

    const readPreview = async (seq: number): Promise<Buffer | null> => {
      const p = path.join(runDir, `${String(seq).padStart(6, '0')}.jpg`);
      for (;;) {
        check();
        const exitedBefore = st.closed;
        try {
          const b = await fs.readFile(p); // atomic_writing: the name appears only when complete
          await fs.rm(p, { force: true });
          return b;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        if (exitedBefore) return null;
        // ffmpeg 5.x writes a frame's preview before its RGB bytes; should a build order its
        // outputs differently, keep stdout flowing so ffmpeg can get to the preview.
        for (let c = proc.stdout.read() as Buffer | null; c !== null; c = proc.stdout.read() as Buffer | null) ahead.push(c);
        await Promise.race([changed.wait(), sleep(10)]);
      }
    };

    /**
     * The showinfo line of the seq-th selected frame; it is logged before the frame's bytes
     * are written. If RGB bytes wait for a second with no such line (an ffmpeg whose showinfo
     * format we do not parse), fall back to the probed size without timestamps rather than
     * stall: ffmpeg would block on the full pipe and never finish its log.
     */
    let showinfoUnparsed = false;
    const frameInfo = async (seq: number): Promise<ShowInfo | null> => {
      let dataSince = 0;
      for (;;) {
        check();
        const info = st.infos[seq];
        if (info) return info;
        if (showinfoUnparsed) return { ptsSec: null, width: probe.width, height: probe.height };
        if (st.stderrEnded) return null;
        if (ahead.length > 0 || proc.stdout.readableLength > 0) {
          dataSince ||= Date.now();
          if (Date.now() - dataSince > 1000) showinfoUnparsed = true;
          await Promise.race([changed.wait(), sleep(100)]);
        } else {
          dataSince = 0;
          await changed.wait();
        }
      }
    };

    const waitForClose = async () => {
      while (!st.closed && !st.spawnError) {
        check();
        // 'close' needs stdout read to its end; nothing left there is wanted any more.
        while (proc.stdout.read() !== null);
        await changed.wait();
      }
      check();
    };

    const failure = async (what: string): Promise<DeepscanError> => {
      await waitForClose();
      const refused = whitelistRefusal(st.tail.join('\n'), file);
      if (refused) return refused;
      const why = stderrSummary(st.tail.join('\n'), absPath, file);
      const how = why ? ` (ffmpeg: ${why})` : st.exitSignal ? ` (ffmpeg was stopped by ${st.exitSignal})` : st.code ? ` (ffmpeg exit code ${st.code})` : '';
      return new DeepscanError('decode-failed', `"${file}" could not be decoded: ${what}${how}.`, { file });
    };

    let pos = 0; // next position in `indices`
    for (let seq = 0; seq < unique.length; seq++) {
      const idx = unique[seq];
      const info = await frameInfo(seq);
      if (!info) break; // the stream ended before this frame

      const rgb = Buffer.allocUnsafe(info.width * info.height * 3);
      const got = await readExact(rgb);
      if (got === 0 && showinfoUnparsed) break;
      if (got < rgb.length) throw await failure(`the RGB data of frame ${idx} stopped after ${got} of ${rgb.length} bytes`);
      const jpeg = await readPreview(seq);
      if (!jpeg) throw await failure(`the preview image of frame ${idx} was not written`);

      let repeats = 0;
      while (pos + repeats < indices.length && indices[pos + repeats] === idx) repeats++;
      for (let r = 0; r < repeats; r++) {
        // Repeats get their own copies, taken before the consumer can touch the original
        // (the last one gets it), so each frame may be modified or transferred freely.
        const last = r === repeats - 1;
        pos++;
        yield {
          index: idx,
          ptsSec: info.ptsSec,
          width: info.width,
          height: info.height,
          rgb: last ? rgb : Buffer.from(rgb),
          jpeg: last ? jpeg : Buffer.from(jpeg),
        };
      }
    }

    if (pos < indices.length) {
      await waitForClose();
      if (st.code !== 0) throw await failure(`ffmpeg stopped after ${pos} of ${indices.length} requested frames`);
      const missingIndex = indices[pos];
      const decoded = st.decoded ?? undefined;
      const err = new DeepscanError(
        'frames-missing',
        `"${file}" ended early: only ${pos} of ${indices.length} requested frames arrived; frame ${missingIndex} is missing` +
          (decoded !== undefined ? ` (the stream holds ${decoded} decodable frames, ` : ' (') +
          `the ${probe.frameCountSource === 'decoded' ? 'earlier count' : probe.frameCountSource === 'packets' ? 'packet count' : 'container'} said ${probe.frameCount}). ` +
          'The file may be truncated, or its header states the wrong length.',
        { file },
      ) as FramesMissingError;
      err.framesArrived = pos;
      err.missingIndex = missingIndex;
      if (decoded !== undefined) err.decodedFrames = decoded;
      throw err;
    }
    finished = true;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (child) await stopChild(child, finished);
    await fs.rm(runDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Lets a finished ffmpeg exit by itself (briefly), otherwise kills it; waits for it to go. */
async function stopChild(child: ChildProcessByStdio<null, Readable, Readable>, finished: boolean): Promise<void> {
  // Our ends of the pipes are no longer needed. Destroying them matters: a paused stdout with
  // unread bytes (consumer stopped early) would otherwise keep the process from closing, and
  // a still-writing ffmpeg gets EPIPE and exits.
  child.stdout.destroy();
  child.stderr.destroy();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (finished) await within(gone, 2000);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // Wait for it, so the scratch folder can be removed (Windows keeps open files locked).
  await within(gone, 5000);
}

/** Waits for `p`, at most `ms`, without leaving a timer behind. */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** `select` expression for sorted unique indices; runs become between() to keep it short. */
export function selectExpr(unique: readonly number[]): string {
  const terms: string[] = [];
  for (let i = 0; i < unique.length; ) {
    let j = i;
    while (j + 1 < unique.length && unique[j + 1] === unique[j] + 1) j++;
    terms.push(j === i ? `eq(n,${unique[i]})` : `between(n,${unique[i]},${unique[j]})`);
    i = j + 1;
  }
  return terms.join('+');
}

function validateIndices(indices: readonly number[]): void {
  if (indices.length === 0) throw new DeepscanError('invalid-argument', 'No frames were requested.');
  let prev = -1;
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0) throw new DeepscanError('invalid-argument', `Frame index ${i} is not a non-negative integer.`);
    // Frames arrive in decode order; unsorted requests would need the whole video buffered.
    if (i < prev) throw new DeepscanError('invalid-argument', 'Frame indices must be in ascending order.');
    prev = i;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wakes every waiter on the next change (stream data, exit, abort). */
class Notifier {
  private waiters: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
