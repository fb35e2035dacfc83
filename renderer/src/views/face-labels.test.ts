/**
 * Issue 13, "one identity everywhere", in the renderer: the Face view, the Video view and the
 * audit view name a face with common/format.ts faceLabel (the PDF's and the CLI's wording), and
 * print probabilities and energies through formatProbability / formatEnergy.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../App.svelte';
import { analysedFake, maskOverlay, SUMMARY, type FakeApi } from '../lib/test-fakes.js';
import { Workstation } from '../lib/workstation.svelte.js';
import { settle } from './dom-test-kit.js';

/** The fake's face: sampled frame 3 of 8 (sample 2, video frame 90), second face, second person. */
const SAMPLE = 2;
const FACE_NO = 1;
const LABEL = 'Person 2 · frame 3 of 8 (index 90) · face 2';

/** A fake whose chosen face is all but certain (0.9996: the old two-decimal display read 1.00). */
function fake(): { api: FakeApi; faceId: number } {
  const api = analysedFake();
  const v = api.videos.get(1)!;
  const face = v.frames[SAMPLE].faces[FACE_NO];
  face.predictions = { 'b0-seed7': 0.9996, 'b0-seed8': 0.9996 };
  face.ensemble = 0.9996;
  face.detector.prob = 0.99996;
  api.overlays.set(face.id, { mask: maskOverlay(face, 0.0784), heatmap: null });
  return { api, faceId: face.id };
}

async function start(api: FakeApi) {
  const app = new Workstation(api);
  app.prefs.setExaminer('J. Doe');
  render(App, { app });
  await settle();
  await app.openRecent(SUMMARY);
  await settle();
  await app.openVideo(1);
  await settle();
  return app;
}

async function openFace(app: Workstation, faceId: number) {
  app.video.selectFaceById(faceId);
  app.router.go('face');
  await settle();
}

describe('one name per face', () => {
  it('names the face in the Face view with faceLabel and prints its probabilities through formatProbability', async () => {
    const { api, faceId } = fake();
    const app = await start(api);
    await openFace(app, faceId);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(LABEL);
    expect(screen.getByRole('img', { name: `Face crop, ${LABEL}` })).toBeTruthy();
    const info = screen.getByRole('heading', { name: LABEL }).closest('section') as HTMLElement;
    const cells = [...info.querySelectorAll('tbody td.num')].map((td) => td.textContent);
    expect(cells).toEqual(['>0.999', '>0.999']);
    // The ensemble chip and the detector's confidence: the same format, never "1.00" or "1.000".
    expect(within(info).getByLabelText('Score >0.999')).toBeTruthy();
    expect(info.textContent).not.toMatch(/\b1\.0{2,}\b/);
    expect(within(info).getByText('Detector').nextElementSibling?.textContent).toBe('>0.999');
    expect(document.querySelector('[data-overlay="mask"] .energy')?.textContent).toBe('0.078');
  });

  it('names the selected face and the face boxes in the Video view the same way', async () => {
    const { api, faceId } = fake();
    const app = await start(api);
    // The video opens on the frame of the highest-scoring face: this one.
    expect(app.video.frameIdx).toBe(SAMPLE);
    expect(screen.getByText(/holds the highest-scoring face/).textContent).toContain('(>0.999)');
    app.video.selectFaceById(faceId);
    await settle();
    const sel = screen.getByRole('heading', { name: 'Selected face' }).closest('section') as HTMLElement;
    expect(sel.querySelector('[data-face-label]')?.textContent).toBe(LABEL);
    expect([...sel.querySelectorAll('td.num')].map((td) => td.textContent)).toEqual(['>0.999', '>0.999', '>0.999']);
    const box = within(screen.getByLabelText('Faces in this frame')).getByRole('button', { name: `${LABEL}, ensemble >0.999, flagged` });
    expect(box.getAttribute('aria-pressed')).toBe('true');
    // The frame stepper keeps one numbering; its hover text is the same frame's frameLabel.
    expect(screen.getByText(`Sampled frame ${SAMPLE + 1} of 8`).getAttribute('title')).toBe('frame 3 of 8 (index 90)');
    const persons = screen.getByRole('heading', { name: 'Per person (track)' }).closest('section') as HTMLElement;
    expect([...persons.querySelectorAll('td.person')].map((td) => td.textContent?.trim())).toEqual(['Person 1', 'Person 2']);
  });

  it('shows a review entry in the audit view with the evidence name and the Face view\'s label', async () => {
    const { api, faceId } = fake();
    const app = await start(api);
    await openFace(app, faceId);
    const heading = screen.getByRole('heading', { level: 1 }).textContent;
    await fireEvent.keyDown(window, { key: 'f' });
    await settle();
    expect(screen.getByText('Examiner: fake')).toBeTruthy();
    // An entry from before issue 13 (no track, no sample number) and one that names the evidence by id only.
    api.audit.items.push(
      { seq: 90, at: '2026-11-24T11:05:00Z', actor: 'J. Doe', action: 'review', details: { path: 'clips/interview.mp4', frame: 90, face: 1, decision: 'real' }, hash: 'c1'.padEnd(64, '0') },
      { seq: 91, at: '2026-11-24T11:06:00Z', actor: 'J. Doe', action: 'attention-heatmap-computed', details: { evidenceId: 1, frameIndex: 45, face: 0 }, hash: 'c2'.padEnd(64, '0') },
    );
    app.router.go('audit');
    await settle();
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    const subjects = rows.map((r) => r.querySelector('[data-subject]')?.textContent ?? null).filter((t) => t !== null);
    expect(subjects).toEqual([
      'Model attention computed · clips/interview.mp4 · frame index 45 · face 1',
      'Marked real · clips/interview.mp4 · frame index 90 · face 2',
      `Marked fake · clips/interview.mp4 · ${LABEL}`,
    ]);
    const decided = rows.find((r) => r.textContent?.includes('Marked fake')) as HTMLElement;
    expect(decided.querySelector('[data-face-label]')?.textContent).toBe(heading);
    // The entry's stored ids stay readable beside the summary.
    expect(decided.textContent).toContain('sampleNo: 2');
    // The filter finds entries by the face's name too.
    await fireEvent.input(screen.getByLabelText('Filter audit log'), { target: { value: 'person 2 · frame 3' } });
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2);
  });
});
