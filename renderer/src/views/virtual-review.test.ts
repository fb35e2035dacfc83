/**
 * Issue 13 (review at scale): the review queue and the face strip hold 1,200+ faces with only a
 * window of rows in the DOM, the keyboard still walks the whole list (a row outside the window
 * is rendered, then focused), and each face's review state is written out in words.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ReviewInfo, VideoDetail } from '../../../common/api.js';
import App from '../App.svelte';
import { analysedFake, stretchVideo, SUMMARY, type FakeApi } from '../lib/test-fakes.js';
import { Workstation } from '../lib/workstation.svelte.js';
import { settle } from './dom-test-kit.js';

const N = 1200;

/** The fake's analysed video stretched to `frames` sampled frames (two people in each). */
function bigFake(frames = N): FakeApi {
  const api = analysedFake();
  stretchVideo(api, frames);
  return api;
}

async function start(api: FakeApi) {
  const app = new Workstation(api, { mediaUrl: () => null });
  app.prefs.setExaminer('R. Reviewer');
  render(App, { app });
  await settle();
  await app.openRecent(SUMMARY);
  await settle();
  return app;
}

async function reviewView(api: FakeApi) {
  const app = await start(api);
  app.router.go('review');
  await settle();
  return app;
}

const queueRows = () => [...document.querySelectorAll<HTMLTableRowElement>('tr[data-row]')];
const row = (i: number) => document.querySelector<HTMLTableRowElement>(`tr[data-row="${i}"]`);
/** Keys go to whatever has focus and bubble to the view's window handler, as in a browser. */
const press = (key: string) => fireEvent.keyDown(document.activeElement ?? window, { key });
const submitted = (api: FakeApi) => api.calls.filter(([op]) => op === 'submitReview').map(([, r]) => r as Record<string, unknown>);

describe('review queue with 1,200 faces', () => {
  it('keeps a bounded window of rows, with spacers for the rest and the full row count for assistive technology', async () => {
    const api = bigFake();
    const app = await reviewView(api);
    expect(app.review.items).toHaveLength(N);
    const rows = queueRows();
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThanOrEqual(40);
    expect(screen.getByRole('table').getAttribute('aria-rowcount')).toBe(String(N + 1));
    expect(rows[0].getAttribute('aria-rowindex')).toBe('2');
    // The spacer stands in for every row not rendered, at the rows' own height.
    const spacer = document.querySelector<HTMLElement>('tr.spacer');
    expect(parseFloat(spacer?.style.height ?? '0')).toBe((N - rows.length) * 48);
    // Thumbnails are fetched for the rendered rows, not the whole queue.
    expect(api.calls.filter(([op]) => op === 'getFaceCrop').length).toBeLessThanOrEqual(40);
  });

  it('walks to the last face with End and ArrowDown, rendering and focusing it; Home goes back', async () => {
    const app = await reviewView(bigFake());
    const first = row(0) as HTMLTableRowElement;
    expect(first.tabIndex).toBe(0);
    expect(queueRows().filter((r) => r.tabIndex === 0)).toEqual([first]);
    first.focus();
    await press('End');
    await settle();
    const last = row(N - 1);
    expect(last).not.toBeNull();
    expect(document.activeElement).toBe(last);
    expect(last?.getAttribute('aria-current')).toBe('true');
    expect(row(0)).toBeNull();
    expect(queueRows().length).toBeLessThanOrEqual(40);
    // A re-read of the queue (a new threshold, a filter, another examiner's work) keeps the place
    // and the focused row: rows are keyed by face.
    const before = queueRows().map((r) => r.dataset.row);
    await app.review.load(SUMMARY.id);
    await settle();
    expect(queueRows().map((r) => r.dataset.row)).toEqual(before);
    expect(document.activeElement).toBe(row(N - 1));
    await press('Home');
    await settle();
    expect(document.activeElement).toBe(row(0));
    // ArrowDown walks past the first window: each step's row is rendered and focused.
    for (let i = 1; i <= 45; i++) {
      await press('ArrowDown');
      await settle();
      expect((document.activeElement as HTMLElement).dataset.row).toBe(String(i));
    }
    expect(row(0)).toBeNull();
    expect(queueRows().length).toBeLessThanOrEqual(40);
  });

  it('still reviews from the keyboard deep in the queue, the focus following the advance', async () => {
    const api = bigFake();
    const app = await reviewView(api);
    (row(0) as HTMLElement).focus();
    await press('End');
    await settle();
    for (let i = 0; i < 3; i++) {
      await press('k');
      await settle();
    }
    const at = N - 4;
    expect(document.activeElement).toBe(row(at));
    const item = app.review.items[at];
    await press('f');
    await settle();
    expect(submitted(api).at(-1)).toMatchObject({ frameIndex: item.frameIndex, faceNo: item.faceNo, decision: 'fake' });
    expect(row(at)?.textContent).toContain('Fake');
    expect(row(at)?.textContent).toContain('Decided');
    expect(document.activeElement).toBe(row(at + 1)); // advanced, and the focus went with it
    await press('3');
    await settle();
    expect(row(at + 1)?.textContent).toContain('C3');
    expect(row(at + 1)?.textContent).toContain('Needs a decision');
  });
});

describe('review state in words', () => {
  const noteOnly: ReviewInfo = { decision: null, category: 2, note: 'seam at the jaw', examiner: 'R. Reviewer', at: '2026-11-24T10:00:00Z' };
  const decided: ReviewInfo = { decision: 'fake', category: null, note: null, examiner: 'R. Reviewer', at: '2026-11-24T10:00:00Z' };

  /** The fake with, on person 2 (the flagged one), a note-only face and a decided face. */
  function reviewedFake(): FakeApi {
    const api = analysedFake();
    const v = api.videos.get(1) as VideoDetail;
    const flagged = v.frames.flatMap((f) => f.faces).filter((f) => f.track === 1);
    flagged[0].review = noteOnly;
    flagged[1].review = decided;
    return api;
  }

  it('says decided, needs a decision or not reviewed in the queue rows and the current face card', async () => {
    const api = reviewedFake();
    const app = await reviewView(api);
    const state = (faceId: number) => queueRows().find((r) => r.dataset.row === String(app.review.items.findIndex((i) => i.faceId === faceId)))?.querySelector('.dec')?.textContent ?? '';
    const [noteFace, decidedFace] = (api.videos.get(1) as VideoDetail).frames.flatMap((f) => f.faces).filter((f) => f.track === 1);
    expect(state(noteFace.id)).toContain('Needs a decision');
    expect(state(noteFace.id)).not.toContain('Not reviewed');
    expect(state(decidedFace.id)).toContain('Decided');
    expect(state(decidedFace.id)).toContain('Fake');
    const others = app.review.items.filter((i) => i.faceId !== noteFace.id && i.faceId !== decidedFace.id);
    for (const o of others) expect(state(o.faceId)).toContain('Not reviewed');

    // The current face card, on the note-only face.
    app.review.goTo(app.review.items.findIndex((i) => i.faceId === noteFace.id));
    await settle();
    const card = screen.getByRole('region', { name: /^Current face/ });
    expect(within(card).getByText('Review: Needs a decision')).toBeTruthy();
    expect(within(card).queryByText('Not reviewed')).toBeNull();
    // The card names the face as everywhere else (common/format.ts).
    expect(card.textContent).toContain(app.review.labelOf(app.review.items[app.review.cursor]));
    expect(card.textContent).toMatch(/Person 2 · frame \d of 8 \(index \d+\) · face 2/);
    app.review.advance = false;
    await fireEvent.keyDown(window, { key: 'r' });
    await settle();
    expect(within(card).getByText('Review: Decided')).toBeTruthy();
    expect(state(noteFace.id)).toContain('Decided');
  });

  it('shows the state on the face strip\'s crops, in words', async () => {
    const api = reviewedFake();
    const app = await start(api);
    await app.openVideo(1);
    await settle();
    const strip = screen.getByRole('region', { name: 'Faces by person' });
    const [noteFace, decidedFace] = (api.videos.get(1) as VideoDetail).frames.flatMap((f) => f.faces).filter((f) => f.track === 1);
    const crop = (id: number) => strip.querySelector<HTMLElement>(`[data-face="${id}"]`) as HTMLElement;
    expect(crop(noteFace.id).textContent).toContain('To decide');
    expect(crop(noteFace.id).getAttribute('aria-label')).toMatch(/^Person 2 · frame 1 of 8 \(index 0\) · face 2, ensemble \d\.\d{3}, needs a decision$/);
    expect(crop(decidedFace.id).textContent).toContain('Fake');
    expect(crop(decidedFace.id).getAttribute('aria-label')).toMatch(/, decided: fake$/);
    const plain = (api.videos.get(1) as VideoDetail).frames[0].faces[0];
    expect(crop(plain.id).getAttribute('aria-label')).toMatch(/, not reviewed$/);
  });
});

describe('face strip with 1,200 faces (600 per person)', () => {
  const F = N / 2;
  // The Video view around the strip draws every sampled frame on its score plot (~5 SVG nodes
  // per frame), which alone takes seconds in jsdom: hence the longer limit.
  it('renders a bounded window per person and walks to the last face with End, then across with ArrowUp/Down', { timeout: 90_000 }, async () => {
    const api = bigFake(F);
    const app = await start(api);
    await app.openVideo(1);
    await settle();
    const strip = screen.getByRole('region', { name: 'Faces by person' });
    const crops = () => within(strip).getAllByRole('button');
    expect(crops().length).toBeLessThanOrEqual(2 * 30);
    // Crops are fetched for the rendered faces only.
    expect(api.calls.filter(([op]) => op === 'getFaceCrop').length).toBeLessThanOrEqual(2 * 30);
    expect(crops().filter((b) => b.tabIndex === 0)).toHaveLength(1);

    const firstOfP1 = (api.videos.get(1) as VideoDetail).frames[0].faces[0];
    app.video.selectFaceById(firstOfP1.id);
    await settle();
    const start0 = strip.querySelector<HTMLElement>(`[data-face="${firstOfP1.id}"]`) as HTMLElement;
    start0.focus();
    await fireEvent.keyDown(start0, { key: 'End' });
    await settle();
    const lastOfP1 = (api.videos.get(1) as VideoDetail).frames[F - 1].faces[0];
    const focused = document.activeElement as HTMLElement;
    expect(focused.dataset.face).toBe(String(lastOfP1.id));
    expect(app.video.faceId).toBe(lastOfP1.id);
    expect(app.video.frameIdx).toBe(F - 1);
    expect(crops().length).toBeLessThanOrEqual(2 * 30);
    expect(crops().filter((b) => b.tabIndex === 0)).toEqual([focused]);

    // Down to person 2 at the same time: its last face, rendered in its own window and focused.
    await fireEvent.keyDown(focused, { key: 'ArrowDown' });
    await settle();
    const lastOfP2 = (api.videos.get(1) as VideoDetail).frames[F - 1].faces[1];
    expect((document.activeElement as HTMLElement).dataset.face).toBe(String(lastOfP2.id));
    // ArrowLeft walks back face by face.
    for (let k = 2; k <= 20; k++) {
      await fireEvent.keyDown(document.activeElement as HTMLElement, { key: 'ArrowLeft' });
      await settle();
    }
    expect((document.activeElement as HTMLElement).dataset.face).toBe(String((api.videos.get(1) as VideoDetail).frames[F - 20].faces[1].id));
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: 'Home' });
    await settle();
    expect((document.activeElement as HTMLElement).dataset.face).toBe(String((api.videos.get(1) as VideoDetail).frames[0].faces[1].id));
    expect(crops().length).toBeLessThanOrEqual(2 * 30);
  });
});
