/** Small pure formatting helpers for the evidence views. */
import type { FaceInfo, FrameInfo, VideoDetail } from '../../../common/api.js';
import { faceLabel, frameLabel } from '../../../common/format.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[u]}`;
}

/** First 12 hex digits: enough to tell files apart on screen; the full value is one click away. */
export function shortHash(sha256: string | null): string {
  return sha256 ? sha256.slice(0, 12) : '—';
}

export function formatDuration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '—';
  const s = Math.round(sec);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function percent(fraction: number): number {
  if (!Number.isFinite(fraction)) return 0;
  return Math.round(Math.min(1, Math.max(0, fraction)) * 100);
}

/**
 * A face of an analysed video named as the PDF, the CLI and the audit view name it
 * (common/format.ts faceLabel): its frame's stored sample number among the analysis's sampled
 * frames (what the PDF counts as well), and the video's own frame index.
 */
export function videoFaceLabel(detail: Pick<VideoDetail, 'frames'>, frame: Pick<FrameInfo, 'sampleNo' | 'index'>, face: Pick<FaceInfo, 'track' | 'faceNo'>): string {
  return faceLabel({ track: face.track, sampleNo: frame.sampleNo, sampledFrames: detail.frames.length, frameIndex: frame.index, faceNo: face.faceNo });
}

/** 'frame 4 of 32 (index 19)' for a sampled frame of an analysed video. */
export function videoFrameLabel(detail: Pick<VideoDetail, 'frames'>, frame: Pick<FrameInfo, 'sampleNo' | 'index'>): string {
  return frameLabel(frame.index, frame.sampleNo, detail.frames.length);
}
