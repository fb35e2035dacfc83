/**
 * Playback of the open video's evidence file in a <video> element, tied to the sampled frames:
 * the sampled frames are markers on the playback position, face boxes show only while the
 * playhead sits on a sampled frame (they were detected there and nowhere else), and choosing a
 * frame elsewhere (timeline, stepping) seeks the player to that frame's timestamp.
 * The element itself stays in the view; this class holds what it shows and decides.
 */
import type { DeepscanClient, FrameInfo, PlaybackCopyInfo, TaskEvent } from '../../../common/api.js';
import type { ApiError } from '../../../common/result.js';
import { attempt } from './resource.svelte.js';
import type { MediaUrlFn } from './media-url.js';
import type { VideoState } from './video-state.svelte.js';

/** MediaError codes (the DOM's constants, without needing a DOM here). */
const MEDIA_ERR_DECODE = 3;
const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;

type PlaybackApi = Pick<DeepscanClient, 'getPlaybackCopy' | 'makePlaybackCopy' | 'cancelPlaybackCopy' | 'onTaskEvent'>;

export class PlaybackState {
  /** Playback position in seconds, as the element reports it. */
  time = $state(0);
  playing = $state(false);
  /** Why the file does not play (unsupported codec, refused by the host…); null when it does. */
  problem = $state<string | null>(null);
  /** A seek the element should perform (the view applies it); n makes repeated seeks distinct. */
  seek = $state<{ t: number; n: number } | null>(null);
  /** The browser cannot decode the evidence's codec (a playback copy can be offered). */
  unplayable = $state(false);
  /** The playback copy recorded for the open video's current bytes, once looked up or made. */
  copy = $state<PlaybackCopyInfo | null>(null);
  /** Whether the player shows the copy instead of the evidence file (the view labels it so). */
  playingCopy = $state(false);
  /** A copy is being made (it takes about as long as ffmpeg needs to re-encode the video). */
  copyWorking = $state(false);
  /** How far the copy being made is: the evidence re-hash, then ffmpeg's position (0..1); null before the first report. */
  copyProgress = $state<{ stage: 'verify' | 'transcode'; fraction: number } | null>(null);
  copyError = $state<ApiError | null>(null);

  readonly #video: VideoState;
  readonly #url: MediaUrlFn;
  readonly #api: PlaybackApi | null;
  #n = 0;

  constructor(video: VideoState, url: MediaUrlFn, api: PlaybackApi | null = null) {
    this.#video = video;
    this.#url = url;
    this.#api = api;
  }

  /** The stream URL of the open video (or of its playback copy); null for stills or when no host can stream. */
  readonly src: string | null = $derived.by(() => {
    const t = this.#target();
    if (!t) return null;
    return this.playingCopy && this.copy?.evidenceId === t.evidenceId ? this.#url(t.caseId, t.evidenceId, 'playback-copy') : this.#url(t.caseId, t.evidenceId);
  });

  /** The open video's case and evidence id, or null. */
  #target(): { caseId: string; evidenceId: number } | null {
    const v = this.#video;
    const d = v.detail;
    return d && v.caseId && d.evidence.kind === 'video' ? { caseId: v.caseId, evidenceId: d.evidence.id } : null;
  }

  /** Looks up a copy made earlier for these bytes (nothing is made). */
  async findCopy(): Promise<void> {
    const t = this.#target();
    if (!t || !this.#api) return;
    const r = await attempt(() => this.#api!.getPlaybackCopy(t.caseId, t.evidenceId));
    const now = this.#target();
    if (now?.caseId !== t.caseId || now.evidenceId !== t.evidenceId) return; // another video was opened meanwhile
    if (r.ok) this.copy = r.value;
    else this.copyError = r.error;
  }

  /**
   * Makes (or reuses) the playback copy and plays it. The engine re-hashes the evidence around
   * the transcode and audits the copy under `examiner`.
   */
  async makeCopy(examiner?: string): Promise<boolean> {
    const t = this.#target();
    if (!t || !this.#api || this.copyWorking) return false;
    this.copyWorking = true;
    this.copyError = null;
    this.copyProgress = null;
    // Subscribed only while this copy is made: its events name the case and evidence.
    const unsubscribe = this.#api.onTaskEvent((ev) => this.#onEvent(ev, t));
    try {
      const r = await attempt(() => (examiner ? this.#api!.makePlaybackCopy(t.caseId, t.evidenceId, examiner) : this.#api!.makePlaybackCopy(t.caseId, t.evidenceId)));
      const now = this.#target();
      if (now?.caseId !== t.caseId || now.evidenceId !== t.evidenceId) return false;
      if (!r.ok) {
        // A cancel the examiner asked for is not an error to show.
        if (r.error.code !== 'cancelled') this.copyError = r.error;
        return false;
      }
      this.copy = r.value;
      this.playCopy();
      return true;
    } finally {
      unsubscribe();
      this.copyWorking = false;
      this.copyProgress = null;
    }
  }

  #onEvent(ev: TaskEvent, t: { caseId: string; evidenceId: number }): void {
    if (ev.type !== 'copy-progress' || ev.caseId !== t.caseId || ev.evidenceId !== t.evidenceId || !this.copyWorking) return;
    if (!Number.isFinite(ev.fraction)) return;
    this.copyProgress = { stage: ev.stage, fraction: Math.min(1, Math.max(0, ev.fraction)) };
  }

  /** Stops the copy being made for the open video (ffmpeg is killed; nothing is kept). */
  async cancelCopy(): Promise<void> {
    const t = this.#target();
    if (!t || !this.#api || !this.copyWorking) return;
    const r = await attempt(() => this.#api!.cancelPlaybackCopy(t.caseId, t.evidenceId));
    if (!r.ok) this.copyError = r.error;
  }

  /** Plays the copy found or made (labelled as a copy in the view). */
  playCopy(): void {
    if (!this.copy) return;
    this.playingCopy = true;
    this.problem = null;
    this.time = 0;
    this.playing = false;
  }

  /** Back to the evidence file itself. */
  playEvidence(): void {
    this.playingCopy = false;
    this.problem = null;
    this.unplayable = false;
    this.time = 0;
    this.playing = false;
  }

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
    const codec = code === MEDIA_ERR_SRC_NOT_SUPPORTED || code === MEDIA_ERR_DECODE;
    if (this.playingCopy) {
      this.problem = 'The playback copy could not be played (it may have been removed or changed); the sampled frames above are still exact.';
      return;
    }
    this.unplayable = codec;
    this.problem = codec
      ? this.#api
        ? 'This browser cannot play the codec of this file. The sampled frames above are still exact; a playback copy (H.264) can be made for motion.'
        : 'This browser cannot play the codec of this file. The sampled frames above are still exact; play the file in a forensic player for motion.'
      : 'The evidence file could not be streamed (it may have changed since it was registered).';
    if (codec) void this.findCopy();
  }

  reset(): void {
    this.time = 0;
    this.playing = false;
    this.problem = null;
    this.seek = null;
    this.unplayable = false;
    this.copy = null;
    this.playingCopy = false;
    this.copyError = null;
  }
}
