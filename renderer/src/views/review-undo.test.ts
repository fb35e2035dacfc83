/**
 * Changing a decision asks first; the last decision can be undone (the engine's undoLastReview,
 * which records the undo itself); the face reads "not reviewed" again afterwards.
 */
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { UndoResult } from '../../../common/api.js';
import { ok } from '../../../common/result.js';
import App from '../App.svelte';
import { analysedFake, SUMMARY, type FakeApi } from '../lib/test-fakes.js';
import { Workstation } from '../lib/workstation.svelte.js';
import { settle } from './dom-test-kit.js';

async function faceView(api: FakeApi, confirm: (m: string) => boolean) {
  const app = new Workstation(api, { confirm, mediaUrl: () => null });
  app.prefs.setExaminer('J. Doe');
  render(App, { app });
  await settle();
  await app.openRecent(SUMMARY);
  await settle();
  await app.openVideo(1);
  await settle();
  const face = app.video.selectedFace;
  if (!face) throw new Error('no face');
  await app.openFace(1, face.id);
  await settle();
  return { app, face };
}

const key = (k: string) => fireEvent.keyDown(window, { key: k });
const decisions = (api: FakeApi) => api.calls.filter(([op]) => op === 'submitReview').map(([, r]) => (r as { decision?: string }).decision);

describe('changing and undoing a decision', () => {
  it('asks before replacing a decision with another, and keeps it when the examiner says no', async () => {
    const asked: string[] = [];
    let answer = false;
    const api = analysedFake();
    await faceView(api, (m) => (asked.push(m), answer));
    await key('f');
    await settle();
    expect(asked).toEqual([]); // a first decision is not a change
    expect(screen.getByText('Examiner: fake')).toBeTruthy();
    await key('r');
    await settle();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/from fake to real/);
    expect(decisions(api)).toEqual(['fake']);
    expect(screen.getByText('Examiner: fake')).toBeTruthy();
    answer = true;
    await key('r');
    await settle();
    expect(decisions(api)).toEqual(['fake', 'real']);
    expect(screen.getByText('Examiner: real')).toBeTruthy();
  });

  it('undoes the last decision through the engine and shows the face as not reviewed', async () => {
    const undone: unknown[][] = [];
    const api = analysedFake();
    const { app, face } = await faceView(api, () => true);
    const frame = app.video.frameOf(face.id);
    api.undoLastReview = async (...args: unknown[]) => {
      undone.push(args);
      const r: UndoResult = {
        evidenceId: 1,
        frameIndex: frame?.index ?? -1,
        faceNo: face.faceNo,
        undoneReviewId: 1,
        review: { decision: null, category: null, note: null, examiner: 'J. Doe', at: '2026-12-02T06:50:00Z' },
      };
      return ok(r);
    };
    await key('f');
    await settle();
    expect(app.video.selectedFace?.review?.decision).toBe('fake');
    await fireEvent.click(screen.getByRole('button', { name: 'Undo last decision' }));
    await settle();
    expect(undone).toEqual([[SUMMARY.id, 'J. Doe']]);
    expect(app.video.selectedFace?.review).toBeNull();
    expect(screen.queryByText('Examiner: fake')).toBeNull();
  });
});

describe('review queue filters', () => {
  it('sends the chosen video, person, band, decision and energy to the engine, and clears them', async () => {
    const api = analysedFake();
    const seen: unknown[] = [];
    const inner = api.getReviewQueue.bind(api);
    api.getReviewQueue = (c, t, f) => {
      seen.push(f);
      return inner(c, t);
    };
    const app = new Workstation(api, { mediaUrl: () => null });
    render(App, { app });
    await settle();
    await app.openRecent(SUMMARY);
    await settle();
    app.router.go('review');
    await settle();
    const group = screen.getByRole('group', { name: 'Queue filters' });
    const select = (label: string) => [...group.querySelectorAll('label')].find((l) => l.textContent?.trim().startsWith(label))?.querySelector('select') as HTMLSelectElement;
    await fireEvent.change(select('Video'), { target: { value: '1' } });
    await settle();
    expect(seen.at(-1)).toEqual({ evidenceId: 1 });
    await fireEvent.change(select('Person'), { target: { value: '1' } });
    // Band and decision take several values: ticking two of each sends both lists.
    const tick = async (name: string) => {
      await fireEvent.click(within(group).getByRole('checkbox', { name }));
      await settle();
    };
    await tick('Very strong');
    await tick('Strong');
    await tick('Fake');
    await tick('No decision yet');
    expect(seen.at(-1)).toEqual({ evidenceId: 1, track: 1, bands: ['very-strong', 'strong'], decisions: ['fake', 'none'] });
    expect(group.textContent).toContain('Band: Very strong, Strong');
    // Unticking the last value of a list drops the filter (all again).
    await tick('Fake');
    await tick('No decision yet');
    expect(seen.at(-1)).toEqual({ evidenceId: 1, track: 1, bands: ['very-strong', 'strong'] });
    expect(group.textContent).toContain('Decision: All');
    const energy = screen.getByLabelText('Minimum difference energy');
    await fireEvent.input(energy, { target: { value: '0.2' } });
    await fireEvent.submit(energy.closest('form') as HTMLFormElement);
    await settle();
    expect(seen.at(-1)).toMatchObject({ energyMin: 0.2 });
    await fireEvent.change(select('Video'), { target: { value: '' } });
    await settle();
    expect(seen.at(-1)).not.toHaveProperty('evidenceId');
  });
});

describe('case details and category labels', () => {
  it('edits the case name, number and examiner through the engine and shows them', async () => {
    const api = analysedFake();
    const sent: unknown[][] = [];
    api.updateCaseDetails = async (...args) => {
      sent.push(args);
      return ok({ ...SUMMARY, name: 'Harbour fraud II', number: null, examiner: 'A. Smith' });
    };
    const app = new Workstation(api, { mediaUrl: () => null });
    app.prefs.setExaminer('J. Doe');
    render(App, { app });
    await settle();
    await app.openRecent(SUMMARY);
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Edit case details' }));
    await settle();
    const form = screen.getByRole('form', { name: 'Case details' });
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'Harbour fraud II' } });
    await fireEvent.input(screen.getByLabelText('Number'), { target: { value: '' } });
    await fireEvent.input(screen.getByLabelText('Examiner'), { target: { value: 'A. Smith' } });
    await fireEvent.submit(form);
    await settle();
    expect(sent).toEqual([[SUMMARY.id, { name: 'Harbour fraud II', number: null, examiner: 'A. Smith' }, 'J. Doe']]);
    expect(screen.getByLabelText('Open case').textContent).toContain('Harbour fraud II');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Edit case details' }));
  });

  it('lists the case\'s category labels and renames one', async () => {
    const api = analysedFake();
    const labels = [0, 1, 2, 3, 4, 5].map((c) => ({ category: c, label: c === 0 ? 'Uncategorised' : `Category ${c}`, custom: false }));
    const renamed: unknown[][] = [];
    api.getCategoryLabels = async () => ok(labels);
    api.setCategoryLabel = async (...args) => {
      renamed.push(args);
      return ok(labels.map((l) => (l.category === args[1] ? { ...l, label: String(args[2]), custom: true } : l)));
    };
    const { app } = await faceView(api, () => true);
    expect(app.categories).toHaveLength(6);
    await fireEvent.click(screen.getByRole('button', { name: 'Rename category 2' }));
    await settle();
    const input = screen.getByLabelText('Label of category 2');
    await fireEvent.input(input, { target: { value: 'Face swap' } });
    await fireEvent.submit(input.closest('form') as HTMLFormElement);
    await settle();
    expect(renamed).toEqual([[SUMMARY.id, 2, 'Face swap', 'J. Doe']]);
    expect(screen.getByText('Face swap')).toBeTruthy();
    expect(screen.getByRole('button', { name: '2' }).getAttribute('title')).toBe('Face swap');
  });
});
