/**
 * What a file is, as ffprobe sees it, and its true frame count. The frame count decides
 * which frames are sampled, so it must be the number of frames the decoder really delivers,
 * not what a header claims: a container's nb_frames is only trusted when the demuxer read
 * exactly that many video packets; otherwise the frames are counted by decoding.
 */
import fs from 'node:fs/promises';
import { DeepscanError, errorMessage } from '../util/errors.js';
import type { FfmpegTools } from './ffmpeg.js';
import { INSTALL_ADVICE } from './ffmpeg.js';
import { inputArgs, runTool, stderrSummary } from './proc.js';
import { externalReferencesError, whitelistRefusal } from './allow-list.js';
import { readHead } from '../ingest/classify.js';
import { REFERENCE_SNIFF_BYTES, referenceKind } from '../ingest/references.js';

export interface MediaProbe {
  kind: 'video' | 'image';
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "png_pipe". */
  container: string;
  /** Video codec_name, e.g. "h264". */
  codec: string;
  pixelFormat: string | null;
  durationSec: number | null;
  /** avg_frame_rate, else r_frame_rate; null for still images or when unknown. */
  fps: number | null;
  /** As displayed, i.e. after rotation: the size of the decoded RGB frames. */
  width: number;
  height: number;
  /** As stored in the stream. */
  codedWidth: number;
  codedHeight: number;
  /** Clockwise degrees ffmpeg turns the stored picture to display it. */
  rotation: 0 | 90 | 180 | 270;
  frameCount: number;
  frameCountSource: 'container' | 'packets' | 'decoded' | 'single-image';
  /** nb_frames as the container states it (may be wrong); null when it states none. */
  containerFrameCount: number | null;
  audioCodecs: string[];
  /** Absolute index of the video stream used (first video stream that is not cover art). */
  videoStreamIndex: number;
}

interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string };
}

/** Demuxers that read single pictures. */
const IMAGE_DEMUXER = /(^|,)image2(,|$)|_pipe$/;
/** Codecs of still pictures: a one-frame stream in one of these is an image, not a video. */
const STILL_CODECS = new Set(['png', 'apng', 'mjpeg', 'jpegls', 'webp', 'bmp', 'tiff', 'gif', 'jpeg2000', 'jpegxl', 'ppm', 'pgm', 'qoi']);

export async function probeMedia(
  tools: FfmpegTools,
  absPath: string,
  displayName: string,
  opts: { signal?: AbortSignal } = {},
): Promise<MediaProbe> {
  const file = displayName;
  let size: number;
  try {
    const st = await fs.stat(absPath);
    if (!st.isFile()) throw new DeepscanError('not-regular-file', `"${file}" is not a regular file.`, { file });
    size = st.size;
  } catch (e) {
    if (e instanceof DeepscanError) throw e;
    throw new DeepscanError('file-unreadable', `"${file}" cannot be read: ${errorMessage(e)}`, { file, cause: e });
  }
  if (size === 0) throw new DeepscanError('file-empty', `"${file}" is empty (0 bytes): there is no video to analyse.`, { file });
  await refuseReferenceFile(absPath, file);

  const args = [
    '-v', 'error', '-hide_banner',
    '-print_format', 'json', '-show_format', '-show_streams',
    // Counting packets reads (demuxes) the whole file but decodes nothing: cheap, and it
    // exposes containers whose stated frame count disagrees with their content.
    '-count_packets',
    ...inputArgs(absPath), absPath,
  ];
  const r = await run(tools, tools.ffprobe, args, file, opts.signal);
  if (r.code !== 0) {
    const refused = whitelistRefusal(r.stderr, file);
    if (refused) throw refused;
    const why = stderrSummary(r.stderr, absPath, file) || `ffprobe exit code ${r.code}`;
    throw new DeepscanError(
      'media-unreadable',
      `"${file}" cannot be opened as video or image: the file is damaged, truncated or not a media file (ffprobe: ${why}).`,
      { file },
    );
  }
  let json: ProbeJson;
  try {
    json = JSON.parse(r.stdout) as ProbeJson;
  } catch (e) {
    throw new DeepscanError('media-unreadable', `"${file}": ffprobe gave no readable description of the file.`, { file, cause: e });
  }

  const streams = json.streams ?? [];
  const audioCodecs = streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name ?? 'unknown');
  // Cover art in music files is a "video" stream of one picture; it is not video evidence.
  const coverArt = streams.filter((s) => s.codec_type === 'video' && s.disposition?.attached_pic === 1);
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!v) {
    let what: string;
    if (audioCodecs.length > 0) {
      what = `it contains only audio (${audioCodecs.join(', ')})${coverArt.length ? ' and a cover picture' : ''}`;
    } else if (streams.length > 0) {
      what = `it contains only ${[...new Set(streams.map((s) => s.codec_type ?? 'unknown'))].join(', ')} streams`;
    } else {
      what = 'it contains no audio or video streams';
    }
    throw new DeepscanError('no-video-stream', `"${file}" has no video stream: ${what}.`, { file });
  }
  if (!v.width || !v.height) {
    throw new DeepscanError('media-unreadable', `"${file}": the video stream (${v.codec_name ?? 'unknown codec'}) has no picture size; the file is probably damaged.`, { file });
  }

  const container = json.format?.format_name ?? 'unknown';
  const codec = v.codec_name ?? 'unknown';
  const rotation = streamRotation(v);
  const swap = rotation === 90 || rotation === 270;
  const containerFrameCount = parseCount(v.nb_frames);
  const packets = parseCount(v.nb_read_packets);

  const base = {
    container,
    codec,
    pixelFormat: v.pix_fmt ?? null,
    width: swap ? v.height : v.width,
    height: swap ? v.width : v.height,
    codedWidth: v.width,
    codedHeight: v.height,
    rotation,
    containerFrameCount,
    audioCodecs,
    videoStreamIndex: v.index,
  };

  // image2 is only chosen for names holding '%', read with patterns off; more than one
  // picture would mean it read a numbered sequence of other files.
  if (/(^|,)image2(,|$)/.test(container) && packets !== null && packets > 1) {
    throw externalReferencesError(file, 'image sequence');
  }
  if (IMAGE_DEMUXER.test(container)) {
    return { ...base, kind: 'image', durationSec: null, fps: null, frameCount: 1, frameCountSource: 'single-image' };
  }

  let frameCount: number;
  let frameCountSource: MediaProbe['frameCountSource'];
  if (containerFrameCount !== null && packets !== null && containerFrameCount === packets) {
    frameCount = containerFrameCount;
    frameCountSource = 'container';
  } else if (containerFrameCount === null && packets !== null && packets > 0) {
    frameCount = packets;
    frameCountSource = 'packets';
  } else {
    frameCount = await countDecodedFrames(tools, absPath, { signal: opts.signal, streamIndex: v.index, displayName: file });
    frameCountSource = 'decoded';
  }
  if (frameCount < 1) {
    throw new DeepscanError('media-unreadable', `"${file}": not a single frame of its ${codec} video could be decoded; the file is damaged or truncated.`, { file });
  }
  if (frameCount === 1 && STILL_CODECS.has(codec)) {
    return { ...base, kind: 'image', durationSec: null, fps: null, frameCount: 1, frameCountSource: 'single-image' };
  }

  return {
    ...base,
    kind: 'video',
    durationSec: parseSeconds(v.duration) ?? parseSeconds(json.format?.duration),
    fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate),
    frameCount,
    frameCountSource,
  };
}

/**
 * Counts the frames ffmpeg's decoder delivers for the video stream, with the same frame
 * numbering the decode step's `select` filter uses (no frame duplicated or dropped).
 */
export async function countDecodedFrames(
  tools: FfmpegTools,
  absPath: string,
  opts: { signal?: AbortSignal; streamIndex?: number; displayName?: string } = {},
): Promise<number> {
  const file = opts.displayName ?? absPath;
  const args = [
    '-hide_banner', '-nostdin', '-nostats',
    // verbose: ffmpeg's closing statistics say "N frames decoded" per input stream.
    '-loglevel', 'verbose',
    // Rotation does not change the count; skip the per-frame transpose.
    '-noautorotate',
    ...inputArgs(absPath), '-i', absPath,
    '-map', opts.streamIndex !== undefined ? `0:${opts.streamIndex}` : '0:v:0',
    ...passthroughArgs(tools),
    '-f', 'null', '-',
  ];
  const r = await run(tools, tools.ffmpeg, args, file, opts.signal);
  if (r.code !== 0) {
    const refused = whitelistRefusal(r.stderr, file);
    if (refused) throw refused;
    throw new DeepscanError('decode-failed', `"${file}": counting its frames failed (ffmpeg: ${stderrSummary(r.stderr, absPath, file) || `exit code ${r.code}`}).`, { file });
  }
  const n = decodedFramesFromLog(r.stderr);
  if (n === null) {
    throw new DeepscanError('decode-failed', `"${file}": ffmpeg did not report how many frames it decoded.`, { file });
  }
  return n;
}

/** ffmpeg's closing statistics at -loglevel verbose: "Input stream #0:0 (video): 20 packets read (…); 20 frames decoded;". */
export function decodedFramesFromLog(stderr: string): number | null {
  const re = /Input stream #\d+:\d+ \(video\): \d+ packets read \(\d+ bytes\); (\d+) frames decoded/g;
  let last: number | null = null;
  for (const m of stderr.matchAll(re)) last = Number(m[1]);
  if (last !== null) return last;
  // Fallback: the final progress line, which equals decoded frames under passthrough.
  const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  return frames.length ? Number(frames[frames.length - 1][1]) : null;
}

/** One output frame per decoded frame (-fps_mode appeared in 5.1; 5.0 has only -vsync). */
export function passthroughArgs(tools: FfmpegTools): string[] {
  return tools.major > 5 || (tools.major === 5 && tools.minor >= 1) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/** Refuses playlists, manifests and lists before ffprobe sees them (see ingest/references.ts). */
async function refuseReferenceFile(absPath: string, file: string): Promise<void> {
  let head: Buffer;
  try {
    head = await readHead(absPath, REFERENCE_SNIFF_BYTES);
  } catch (e) {
    throw new DeepscanError('file-unreadable', `"${file}" cannot be read: ${errorMessage(e)}`, { file, cause: e });
  }
  const reference = referenceKind(file, head, true);
  if (reference) throw externalReferencesError(file, reference);
}

async function run(tools: FfmpegTools, cmd: string, args: string[], file: string, signal?: AbortSignal) {
  try {
    return await runTool(cmd, args, { signal });
  } catch (e) {
    if (signal?.aborted) throw new DeepscanError('cancelled', `Reading "${file}" was cancelled.`, { file, cause: e });
    throw new DeepscanError('ffmpeg-missing', `${cmd} could not be started (${errorMessage(e)}). ${INSTALL_ADVICE}`, { file, cause: e });
  }
}

/**
 * ffprobe prints the display matrix angle counter-clockwise ("rotation": -90 means the
 * picture is turned 90° clockwise for display); ffmpeg's autorotate applies the negation,
 * and only snaps to a transpose within 1° of a right angle (other angles keep the size).
 * Old files may carry only the legacy 'rotate' tag, which is already clockwise.
 */
function streamRotation(s: ProbeStream): 0 | 90 | 180 | 270 {
  const dm = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number');
  let cw: number | null = null;
  if (dm && typeof dm.rotation === 'number') cw = -dm.rotation;
  else if (s.tags?.rotate !== undefined && Number.isFinite(Number(s.tags.rotate))) cw = Number(s.tags.rotate);
  if (cw === null) return 0;
  const a = ((cw % 360) + 360) % 360;
  for (const r of [0, 90, 180, 270, 360] as const) {
    if (Math.abs(a - r) < 1) return r === 360 ? 0 : r;
  }
  return 0;
}

function parseCount(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  return Number(s);
}

function parseSeconds(s: string | undefined): number | null {
  if (s === undefined) return null;
  const x = Number(s);
  return Number.isFinite(x) && x >= 0 ? x : null;
}

function parseRate(s: string | undefined): number | null {
  if (!s) return null;
  const [a, b] = s.split('/').map(Number);
  const x = b === undefined ? a : a / b;
  return Number.isFinite(x) && x > 0 ? x : null;
}
