import type { FfmpegTools } from '../media/ffmpeg.js';
import { decodeFrames } from '../media/decode.js';
import { countDecodedFrames, type MediaProbe } from '../media/probe.js';
import { sampleFrameIndices } from '../media/sample.js';
import type { EvidenceRecord, NewFrame, ProbeFields } from '../store/case-store.js';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import type { AnalysisParams } from './stages.js';

export interface ItemResult {
  status: 'analyzed' | 'unreadable';
  errorCode: string | null;
  error: string | null;
  frameIndices: number[] | null;
  frames: NewFrame[];
  probeUpdate?: Partial<ProbeFields>;
}

export interface ItemContext {
  tools: FfmpegTools;
  absPath: string;
  tmpDir: string;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

/**
 * Runs the stages for one evidence item entirely in memory and returns what is to be
 * written; the caller writes it in one transaction. Decoding problems are the item's result
 * (status 'unreadable' with the cause), not a failure of the run. Cancellation propagates.
 */
export async function analyzeItem(e: EvidenceRecord, params: AnalysisParams, ctx: ItemContext): Promise<ItemResult> {
  if (e.frameCount === null || e.width === null || e.height === null) {
    return unreadable('media-unreadable', e.error ?? `${e.relPath}: the file could not be probed as media`);
  }
  const probe = toProbe(e);
  try {
    return await sampleFrames(e, probe, params, ctx);
  } catch (err) {
    if (!isDeepscanError(err) || err.code !== 'frames-missing') return failure(err, e);
    // The container promised more frames than the stream holds (truncated or lying header):
    // count what really decodes, and sample again over the true count, as the examiner expects.
    let trueCount: number;
    try {
      trueCount = await countDecodedFrames(ctx.tools, ctx.absPath);
    } catch (countErr) {
      return failure(countErr, e);
    }
    if (trueCount <= 0) return unreadable('decode-failed', `${e.relPath}: no frame of the video could be decoded`);
    const recounted: MediaProbe = { ...probe, frameCount: trueCount, frameCountSource: 'decoded' };
    try {
      const result = await sampleFrames(e, recounted, params, ctx);
      return { ...result, probeUpdate: { frameCount: trueCount, frameCountSource: 'decoded' } };
    } catch (retryErr) {
      return failure(retryErr, e);
    }
  }
}

async function sampleFrames(e: EvidenceRecord, probe: MediaProbe, params: AnalysisParams, ctx: ItemContext): Promise<ItemResult> {
  const indices = probe.kind === 'image' ? [0] : sampleFrameIndices(probe.frameCount, params.frames);
  const frames: NewFrame[] = [];
  ctx.onProgress?.('frames', 0);
  for await (const f of decodeFrames(ctx.tools, ctx.absPath, probe, indices, { signal: ctx.signal, tmpDir: ctx.tmpDir })) {
    // Later stages (faces, classifiers) consume f.rgb here, one frame at a time, so that the
    // lossless pixels of a whole video are never held in memory together.
    frames.push({ sampleNo: frames.length, frameIndex: f.index, ptsSec: f.ptsSec, width: f.width, height: f.height, previewJpeg: f.jpeg });
    ctx.onProgress?.('frames', frames.length / indices.length);
  }
  if (frames.length !== indices.length) {
    throw new DeepscanError('frames-missing', `${e.relPath}: ${frames.length} of ${indices.length} sampled frames were decoded`);
  }
  return { status: 'analyzed', errorCode: null, error: null, frameIndices: indices, frames };
}

function failure(err: unknown, e: EvidenceRecord): ItemResult {
  if (isDeepscanError(err) && err.code === 'cancelled') throw err;
  const code = isDeepscanError(err) ? err.code : 'decode-failed';
  const message = errorMessage(err);
  return unreadable(code, message.includes(e.relPath) ? message : `${e.relPath}: ${message}`);
}

function unreadable(code: string, error: string): ItemResult {
  return { status: 'unreadable', errorCode: code, error, frameIndices: null, frames: [] };
}

function toProbe(e: EvidenceRecord): MediaProbe {
  return {
    kind: e.kind === 'image' ? 'image' : 'video',
    container: e.container ?? '', codec: e.codec ?? '', pixelFormat: e.pixelFormat, durationSec: e.durationSec, fps: e.fps,
    width: e.width ?? 0, height: e.height ?? 0,
    codedWidth: e.rotation === 90 || e.rotation === 270 ? (e.height ?? 0) : (e.width ?? 0),
    codedHeight: e.rotation === 90 || e.rotation === 270 ? (e.width ?? 0) : (e.height ?? 0),
    rotation: (e.rotation ?? 0) as MediaProbe['rotation'], frameCount: e.frameCount ?? 0,
    frameCountSource: (e.frameCountSource ?? 'container') as MediaProbe['frameCountSource'],
    containerFrameCount: e.containerFrameCount, audioCodecs: e.audioCodecs ?? [], videoStreamIndex: e.videoStreamIndex ?? 0,
  };
}
