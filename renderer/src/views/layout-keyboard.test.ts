/**
 * Issue 13 (renderer): playback tied to the sampled frames, the skip link, focus on the opened
 * item, the face strip's roving tabindex, per-person timeline lines, the opening frame said
 * out loud, one frame numbering, elapsed/ETA, real counts after an item, the empty folder.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { taskTiming } from '../lib/case-state.svelte.js';
import type { MediaUrlFn } from '../lib/media-url.js';
import { personSeries } from '../lib/person-series.js';
import type { PlaybackCopyInfo } from '../../../common/api.js';
import { fail, ok } from '../../../common/result.js';
import { analysedFake, fakeApi, SUMMARY, videoDetail, type FakeApi } from '../lib/test-fakes.js';
import { Workstation } from '../lib/workstation.svelte.js';
import { settle } from './dom-test-kit.js';

async function start(api: FakeApi = analysedFake(), mediaUrl: MediaUrlFn = (c, id) => `/api/evidence/${c}/${id}?token=t`) {
  const app = new Workstation(api, { mediaUrl });
  render(App, { app });
  await settle();
  await app.openRecent(SUMMARY);
  await settle();
  return { api, app };
}

/** The host's URLs for the evidence itself and for its playback copy. */
const sourceUrl: MediaUrlFn = (c, id, source = 'evidence') => `/api/${source}/${c}/${id}?token=t`;

const COPY: PlaybackCopyInfo = {
  evidenceId: 1, evidenceSha256: '3f9a1c0b7d2e'.padEnd(64, '0'), file: '/home/x/.deepscan/cases/case-1/proxies/3f9a.mp4', sha256: 'c0ffee12ab34'.padEnd(64, '9'),
  bytes: 1234, mediaType: 'video/mp4', createdAt: '2026-12-02T10:00:00.000Z', ffmpegVersion: '5.1.8', ffmpegArgs: ['-c:v', 'libx264'], reused: false,
};

/** Opens the video, lets the player fail on its codec and asks for a playback copy (as J. Doe). */
async function askForCopy(api: FakeApi): Promise<Workstation> {
  const { app } = await start(api, sourceUrl);
  app.prefs.setExaminer('J. Doe');
  await openVideo(app);
  app.playback.failed(4);
  await settle();
  await fireEvent.click(screen.getByRole('button', { name: 'Make a playback copy' }));
  await settle();
  return app;
}

async function openVideo(app: Workstation) {
  await fireEvent.click(screen.getByRole('button', { name: 'Open clips/interview.mp4' }));
  await settle();
  expect(app.router.view).toBe('video');
}

describe('skip link and focus', () => {
  it('offers "Skip to content" as the first link and moves focus into the view', async () => {
    await start();
    const skip = screen.getByRole('link', { name: 'Skip to content' });
    // First focusable element of the page.
    const focusable = document.querySelectorAll('a[href], button, input, select, [tabindex="0"]');
    expect(focusable[0]).toBe(skip);
    await fireEvent.click(skip);
    expect(document.activeElement).toBe(screen.getByRole('main'));
  });

  it('focuses the opened video\'s heading, and the opened item again when back in the list', async () => {
    const { app } = await start();
    await openVideo(app);
    const h1 = screen.getByRole('heading', { level: 1, name: 'clips/interview.mp4' });
    expect(document.activeElement).toBe(h1);
    app.router.go('evidence');
    await settle();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Open clips/interview.mp4' }));
  });
});

describe('video view', () => {
  it('opens on the frame with the highest score and says so, with one frame numbering', async () => {
    const { app } = await start();
    await openVideo(app);
    const d = app.video.detail;
    if (!d) throw new Error('no detail');
    let best = { i: -1, p: -1 };
    d.frames.forEach((f, i) => f.faces.forEach((x) => (x.ensemble ?? 0) > best.p && (best = { i, p: x.ensemble ?? 0 })));
    expect(app.video.frameIdx).toBe(best.i);
    const note = screen.getByText(/holds the highest-scoring face/);
    expect(note.textContent).toContain(`sampled frame ${best.i + 1}`);
    const pos = screen.getByText(`Sampled frame ${best.i + 1} of ${d.frames.length}`);
    // The source index is on hover (the frame's common name, frameLabel), not printed beside it.
    expect(pos.getAttribute('title')).toBe(`frame ${best.i + 1} of ${d.frames.length} (index ${d.frames[best.i].index})`);
    expect(screen.queryByText(/^index \d+/)).toBeNull();
    // Moving away drops the note (it explains the opening position only).
    await fireEvent.keyDown(window, { key: best.i > 0 ? 'ArrowLeft' : 'ArrowRight' });
    await settle();
    expect(screen.queryByText(/holds the highest-scoring face/)).toBeNull();
  });

  it('draws one timeline line per person, not only each frame\'s top face', async () => {
    const { app } = await start();
    await openVideo(app);
    const plot = document.querySelector('figure.plot') as HTMLElement;
    expect(plot.querySelectorAll('path[data-person]').length).toBe(2);
    expect(within(plot).getByText('Person 1')).toBeTruthy();
    expect(within(plot).getByText('Person 2')).toBeTruthy();
    const series = personSeries(videoDetail());
    expect(series.map((s) => s.track)).toEqual([0, 1]);
    // Each person's own value, also where the other person scores higher.
    const d = videoDetail();
    expect(series[0].values[3]).toBe(d.frames[3].faces[0].ensemble);
    expect(series[1].values[3]).toBe(d.frames[3].faces[1].ensemble);
  });

  it('gives a person with no face in a frame a gap on the timeline', () => {
    const d = videoDetail();
    d.frames[2].faces = d.frames[2].faces.filter((f) => f.track !== 1);
    expect(personSeries(d)[1].values[2]).toBeNull();
  });

  it('plays the evidence from the host\'s stream URL and seeks to the chosen sampled frame', async () => {
    const { app } = await start();
    await openVideo(app);
    const player = screen.getByLabelText('Evidence playback') as HTMLVideoElement;
    expect(player.getAttribute('src')).toBe(`/api/evidence/${SUMMARY.id}/1?token=t`);
    const markers = screen.getAllByRole('button', { name: /^Seek to sampled frame/ });
    expect(markers).toHaveLength(8);
    await fireEvent.click(markers[5]);
    await settle();
    expect(app.video.frameIdx).toBe(5);
    expect(app.playback.seek?.t).toBe(app.video.detail?.frames[5].pts);
    expect(player.currentTime).toBeCloseTo(app.video.detail?.frames[5].pts ?? -1, 5);
  });

  it('shows face boxes only while the playhead is on a sampled frame', async () => {
    const { app } = await start();
    await openVideo(app);
    const pts = app.video.detail?.frames[2].pts ?? 0;
    app.playback.time = pts + 0.01; // within half a frame at 30 fps
    await settle();
    const boxes = document.querySelector('svg.boxes');
    expect(boxes?.getAttribute('data-frame')).toBe('2');
    expect(boxes?.querySelectorAll('rect')).toHaveLength(2);
    app.playback.time = pts + 0.5; // between samples
    await settle();
    expect(document.querySelector('svg.boxes')).toBeNull();
    expect(screen.getByText(/Face boxes appear on sampled frames only/)).toBeTruthy();
  });

  it('says so when the browser cannot play the codec', async () => {
    const { app } = await start();
    await openVideo(app);
    app.playback.failed(4); // MEDIA_ERR_SRC_NOT_SUPPORTED
    await settle();
    expect(screen.getByText(/cannot play the codec/)).toBeTruthy();
  });

  it('offers a playback copy for a codec it cannot play, plays it labelled as a copy, and goes back to the evidence', async () => {
    const made: unknown[][] = [];
    let stored: PlaybackCopyInfo | null = null; // what the engine has recorded
    const api = analysedFake({
      getPlaybackCopy: async () => ok(stored),
      makePlaybackCopy: async (...args: unknown[]) => (made.push(args), (stored = COPY), ok(COPY)),
    });
    const { app } = await start(api, sourceUrl);
    app.prefs.setExaminer('J. Doe');
    await openVideo(app);
    const player = () => screen.getByLabelText('Evidence playback') as HTMLVideoElement;
    expect(player().getAttribute('src')).toBe(`/api/evidence/${SUMMARY.id}/1?token=t`);
    app.playback.failed(4);
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Make a playback copy' }));
    await settle();
    expect(made).toEqual([[SUMMARY.id, 1, 'J. Doe']]);
    expect(player().getAttribute('src')).toBe(`/api/playback-copy/${SUMMARY.id}/1?token=t`);
    const label = screen.getByTestId('playback-copy-label');
    expect(label.textContent).toMatch(/Playing a playback copy, not the evidence file/);
    expect(label.textContent).toContain(COPY.sha256.slice(0, 12));
    expect(label.textContent).toContain(COPY.evidenceSha256.slice(0, 12));

    await fireEvent.click(within(label).getByRole('button', { name: 'Back to the evidence file' }));
    await settle();
    expect(player().getAttribute('src')).toBe(`/api/evidence/${SUMMARY.id}/1?token=t`);
    expect(screen.queryByTestId('playback-copy-label')).toBeNull();
    // The copy is known now: the next failure offers it without transcoding again.
    app.playback.failed(4);
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Play the playback copy' }));
    await settle();
    expect(made).toHaveLength(1);
    expect(player().getAttribute('src')).toBe(`/api/playback-copy/${SUMMARY.id}/1?token=t`);
  });

  it('offers a copy made earlier without making another, and shows why a copy was refused', async () => {
    let asked = 0;
    const api = analysedFake({
      getPlaybackCopy: async () => (asked++, ok(asked > 1 ? null : COPY)),
      makePlaybackCopy: async () => fail({ code: 'evidence-changed', message: 'clips/interview.mp4: the file changed since it was hashed; no playback copy was made' }),
    });
    const { app } = await start(api, sourceUrl);
    app.prefs.setExaminer('J. Doe');
    await openVideo(app);
    app.playback.failed(3); // MEDIA_ERR_DECODE
    await settle();
    expect(screen.getByRole('button', { name: 'Play the playback copy' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Make a playback copy' })).toBeNull();

    // Another video opened: nothing carries over; this time no copy exists and making one is refused.
    app.playback.reset();
    app.playback.failed(4);
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Make a playback copy' }));
    await settle();
    expect(screen.getByText(/changed since it was hashed/).getAttribute('role')).toBe('alert');
    expect((screen.getByLabelText('Evidence playback') as HTMLVideoElement).getAttribute('src')).toBe(`/api/evidence/${SUMMARY.id}/1?token=t`);
  });

  it('shows the copy\'s progress from its events (this evidence only), then clears it when the copy is there', async () => {
    let finish: ((v: Awaited<ReturnType<FakeApi['makePlaybackCopy']>>) => void) | null = null;
    const api = analysedFake({
      getPlaybackCopy: async () => ok(null),
      makePlaybackCopy: () => new Promise((resolve) => (finish = resolve)),
    });
    const app = await askForCopy(api);
    expect(screen.queryByTestId('playback-copy-progress')).toBeNull(); // nothing reported yet
    api.emit({ type: 'copy-progress', taskId: null, caseId: SUMMARY.id, evidenceId: 1, stage: 'verify', fraction: 0 });
    await settle();
    const bar = () => within(screen.getByTestId('playback-copy-progress')).getByRole('progressbar', { name: 'Playback copy progress' }) as HTMLProgressElement;
    expect(screen.getByTestId('playback-copy-progress').textContent).toContain('Checking the evidence hash');
    expect(bar().hasAttribute('value')).toBe(false); // indeterminate while hashing
    api.emit({ type: 'copy-progress', taskId: null, caseId: SUMMARY.id, evidenceId: 1, stage: 'transcode', fraction: 0.426 });
    await settle();
    expect(screen.getByTestId('playback-copy-progress').textContent).toContain('Encoded 42 %');
    expect(bar().value).toBeCloseTo(0.426, 6);
    // Another evidence item's or another case's copy does not move this bar.
    api.emit({ type: 'copy-progress', taskId: null, caseId: SUMMARY.id, evidenceId: 2, stage: 'transcode', fraction: 0.9 });
    api.emit({ type: 'copy-progress', taskId: null, caseId: 'case-other', evidenceId: 1, stage: 'transcode', fraction: 0.9 });
    await settle();
    expect(bar().value).toBeCloseTo(0.426, 6);
    // Nor does the analysis progress of the evidence list read it as an analysis.
    expect(app.caseState.task).toBeNull();
    finish!(ok(COPY));
    await settle();
    expect(screen.queryByTestId('playback-copy-progress')).toBeNull();
    expect(screen.getByTestId('playback-copy-label')).toBeTruthy();
    expect(api.listeners.size).toBe(1); // the copy's subscription is gone; the case's own remains
  });

  it('cancels a copy being made: the engine is asked to stop, no error is shown, and the offer comes back', async () => {
    let finish: ((v: Awaited<ReturnType<FakeApi['makePlaybackCopy']>>) => void) | null = null;
    const cancels: unknown[][] = [];
    const api = analysedFake({
      getPlaybackCopy: async () => ok(null),
      makePlaybackCopy: () => new Promise((resolve) => (finish = resolve)),
      cancelPlaybackCopy: async (...args: unknown[]) => {
        cancels.push(args);
        finish?.(fail({ code: 'cancelled', message: 'the playback copy was cancelled' }));
        return ok({ cancelled: true });
      },
    });
    const app = await askForCopy(api);
    expect(screen.getByText(/Making the playback copy/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await settle();
    expect(cancels).toEqual([[SUMMARY.id, 1]]);
    expect(screen.queryByText(/Making the playback copy/)).toBeNull();
    expect(screen.queryByText(/was cancelled/)).toBeNull();
    expect(screen.getByRole('button', { name: 'Make a playback copy' })).toBeTruthy();
    expect(app.playback.playingCopy).toBe(false);
  });

  it('plays nothing without a host that streams (and says where playback works)', async () => {
    const { app } = await start(analysedFake(), () => null);
    await openVideo(app);
    expect(screen.queryByLabelText('Evidence playback')).toBeNull();
    expect(screen.getByText(/Playback needs the desktop app/)).toBeTruthy();
  });
});

describe('face strip', () => {
  it('is one Tab stop, and arrow keys move along a person and between persons', async () => {
    const { app } = await start();
    await openVideo(app);
    const strip = screen.getByRole('region', { name: 'Faces by person' });
    const crops = within(strip).getAllByRole('button');
    expect(crops.filter((b) => b.tabIndex === 0)).toHaveLength(1);
    const current = crops.find((b) => b.tabIndex === 0) as HTMLElement;
    expect(Number(current.dataset.face)).toBe(app.video.faceId);
    current.focus();
    app.video.selectFaceById(Number(within(strip).getAllByRole('button')[0].dataset.face));
    await settle();
    const first = within(strip).getAllByRole('button')[0];
    first.focus();
    await fireEvent.keyDown(first, { key: 'ArrowRight' });
    await settle();
    const second = within(strip).getAllByRole('button')[1];
    expect(document.activeElement).toBe(second);
    expect(app.video.faceId).toBe(Number(second.dataset.face));
    expect(within(strip).getAllByRole('button').filter((b) => b.tabIndex === 0)).toEqual([second]);
    // The window's ← / → (frame stepping) did not also run: the frame is the second face's.
    expect(app.video.frameIdx).toBe(1);
    await fireEvent.keyDown(second, { key: 'ArrowDown' });
    await settle();
    const below = document.activeElement as HTMLElement;
    expect(app.video.selectedFace?.track).toBe(1);
    expect(app.video.frameIdx).toBe(1);
    expect(below.dataset.face).toBe(String(app.video.faceId));
    await fireEvent.keyDown(below, { key: 'End' });
    await settle();
    expect(app.video.frameIdx).toBe(7);
  });
});

describe('evidence list during and after an analysis', () => {
  it('estimates the time left from the work done, and not before any', () => {
    const t = { startedAt: 0, total: 4, finished: 1, fraction: 0.5, currentPath: 'b.mp4' };
    expect(taskTiming(t, 30_000)).toEqual({ elapsedSec: 30, remainingSec: 50 });
    expect(taskTiming({ ...t, finished: 0, currentPath: null }, 30_000).remainingSec).toBeNull();
  });

  it('shows elapsed time while running and a finished item\'s real counts at once', async () => {
    const api = fakeApi();
    const { app } = await start(api);
    await fireEvent.click(screen.getByRole('button', { name: 'Start analysis' }));
    await settle();
    api.emit({ type: 'task-started', taskId: 'task-1', caseId: SUMMARY.id, total: 2 });
    await settle();
    expect(screen.getByTestId('analysis-timing').textContent).toMatch(/elapsed/);
    // The engine has written the item: the list read after its event has the counts.
    api.rows[0] = { ...api.rows[0], status: 'analyzed', integrity: 'ok', faces: 16, sampledFrames: 8, score: 0.61 };
    const reads = api.calls.filter(([op]) => op === 'listEvidence').length;
    api.emit({ type: 'item-finished', taskId: 'task-1', evidencePath: 'clips/interview.mp4', status: 'analyzed', error: null, skipped: false });
    await settle();
    expect(api.calls.filter(([op]) => op === 'listEvidence').length).toBe(reads + 1);
    const row = screen.getByRole('button', { name: 'Open clips/interview.mp4' }).closest('tr') as HTMLElement;
    expect(row.textContent).toContain('16');
    expect(row.textContent).toContain('0.61');
    expect(app.caseState.running).toBe(true);
  });

  it('says an empty folder is empty and how to add evidence', async () => {
    const api = fakeApi();
    api.rows = [];
    await start(api);
    expect(screen.getByText(/The evidence folder holds no files/)).toBeTruthy();
    expect(screen.queryByText(/Every item has been analysed/)).toBeNull();
    expect(screen.getByText(/The evidence folder is empty\. Copy the files/)).toBeTruthy();
  });
});
