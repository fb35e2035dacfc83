/**
 * Playback of the open video's evidence file in a <video> element, tied to the sampled frames:
 * the sampled frames are markers on the playback position, face boxes show only while the
 * playhead sits on a sampled frame (they were detected there and nowhere else), and choosing a
 * frame elsewhere (timeline, stepping) seeks the player to that frame's timestamp.
 * The element itself stays in the view; this class holds what it shows and decides.
 */
import type { FrameInfo } from '../../../common/api.js';
import type { MediaUrlFn } from './media-url.js';
import type { VideoState } from './video-state.svelte.js';

/** MediaError codes (the DOM's constants, without needing a DOM here). */
const MEDIA_ERR_DECODE = 3;
const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;

export class PlaybackState {
  /** Playback position in seconds, as the element reports it. */
  time = $state(0);
  playing = $state(false);
  /** Why the file does not play (unsupported codec, refused by the host…); null when it does. */
  problem = $state<string | null>(null);
  /** A seek the element should perform (the view applies it); n makes repeated seeks distinct. */
  seek = $state<{ t: number; n: number } | null>(null);

  readonly #video: VideoState;
  readonly #url: MediaUrlFn;
  #n = 0;

  constructor(video: VideoState, url: MediaUrlFn) {
    this.#video = video;
    this.#url = url;
  }

  /** The stream URL of the open video; null for stills or when no host can stream. */
  readonly src: string | null = $derived.by(() => {
    const v = this.#video;
    const d = v.detail;
    if (!d || !v.caseId || d.evidence.kind !== 'video') return null;
    return this.#url(v.caseId, d.evidence.id);
  });

  /** Sampled frames with a timestamp, as markers: position 0..1 along the duration. */
  readonly markers: { frameIdx: number; pts: number; at: number }[] = $derived.by(() => {
    const d = this.#video.detail;
    const dur = d?.evidence.durationSec ?? 0;
    if (!d || !(dur > 0)) return [];
    return d.frames.flatMap((f, frameIdx) => (f.pts === null ? [] : [{ frameIdx, pts: f.pts, at: Math.min(1, f.pts / dur) }]));
  });

  /** How close (s) the playhead must be to a sampled frame's pts to count as that frame: half a frame. */
  get tolerance(): number {
    const fps = this.#video.detail?.evidence.fps ?? 0;
    return fps > 0 ? 0.5 / fps : 0.02;
  }

  /** The sampled frame under the playhead, whose face boxes may be drawn; null between samples. */
  readonly frameAtPlayhead: FrameInfo | null = $derived.by(() => {
    const d = this.#video.detail;
    if (!d) return null;
    let best: FrameInfo | null = null;
    for (const f of d.frames) {
      if (f.pts === null) continue;
      const gap = Math.abs(f.pts - this.time);
      if (gap <= this.tolerance && (!best || gap < Math.abs((best.pts ?? 0) - this.time))) best = f;
    }
    return best;
  });

  /** Asks the player to show sampled frame `frameIdx` (no-op without a timestamp). */
  seekToFrame(frameIdx: number): void {
    const pts = this.#video.detail?.frames[frameIdx]?.pts;
    if (pts === null || pts === undefined) return;
    this.seek = { t: pts, n: ++this.#n };
  }

  failed(code: number | undefined): void {
    this.playing = false;
    this.problem =
      code === MEDIA_ERR_SRC_NOT_SUPPORTED || code === MEDIA_ERR_DECODE
        ? 'This browser cannot play the codec of this file. The sampled frames above are still exact; play the file in a forensic player for motion.'
        : 'The evidence file could not be streamed (it may have changed since it was registered).';
  }

  reset(): void {
    this.time = 0;
    this.playing = false;
    this.problem = null;
    this.seek = null;
  }
}
