import { describe, expect, it } from 'vitest';
import { stateOfItem } from './review-state.svelte.js';
import { Workstation } from './workstation.svelte.js';
import { analysedFake, SUMMARY } from './test-fakes.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

async function queue() {
  const api = analysedFake();
  const app = new Workstation(api);
  app.prefs.setExaminer('R. Reviewer');
  await app.openRecent(SUMMARY);
  app.router.go('review');
  await tick();
  return { api, app, rs: app.review };
}

const submitted = (api: { calls: [string, unknown][] }) => api.calls.filter(([op]) => op === 'submitReview').map(([, r]) => r as Record<string, unknown>);

describe('ReviewState', () => {
  it('loads flagged faces highest first at the threshold', async () => {
    const { api, rs } = await queue();
    expect(rs.items.length).toBe(8); // person 2 of the fake, in every frame
    expect(rs.items.map((i) => i.ensemble)).toEqual([...rs.items.map((i) => i.ensemble)].sort((a, b) => b - a));
    await rs.load('case-1', 0.9);
    expect(api.calls).toContainEqual(['getReviewQueue', { caseId: 'case-1', threshold: 0.9 }]);
    expect(rs.items.every((i) => i.ensemble >= 0.9)).toBe(true);
    await rs.load('case-1', 1.5);
    expect(rs.error?.code).toBe('invalid-argument');
  });

  it('J/K move, F/R/U decide (and advance), digits categorise', async () => {
    const { api, rs } = await queue();
    expect(rs.handleKey({ key: 'j' })).toBe(true);
    expect(rs.cursor).toBe(1);
    rs.handleKey({ key: 'k' });
    rs.handleKey({ key: 'k' });
    expect(rs.cursor).toBe(0);
    const first = rs.items[0];

    rs.handleKey({ key: 'f' });
    await tick();
    expect(rs.items[0].review).toMatchObject({ decision: 'fake', examiner: 'R. Reviewer' });
    expect(rs.cursor).toBe(1);
    expect(submitted(api)[0]).toEqual({ caseId: 'case-1', evidenceId: 1, frameIndex: first.frameIndex, faceNo: first.faceNo, examiner: 'R. Reviewer', decision: 'fake' });

    rs.handleKey({ key: 'R' });
    await tick();
    expect(rs.items[1].review?.decision).toBe('real');
    rs.advance = false;
    rs.handleKey({ key: 'u' });
    await tick();
    expect(rs.items[2].review?.decision).toBe('unsure');
    expect(rs.cursor).toBe(2);
    rs.handleKey({ key: '4' });
    await tick();
    expect(rs.items[2].review).toMatchObject({ decision: 'unsure', category: 4 });
    expect(rs.handleKey({ key: '7' })).toBe(false);
    expect(rs.decidedCount).toBe(3);
  });

  it('N opens a note that saves without touching the decision; cancel keeps the old note', async () => {
    const { api, rs } = await queue();
    rs.advance = false;
    rs.handleKey({ key: 'f' });
    await tick();
    expect(rs.handleKey({ key: 'n' })).toBe(true);
    expect(rs.noteOpen).toBe(true);
    // Keys go to the note while it is open.
    expect(rs.handleKey({ key: 'j' })).toBe(false);
    rs.noteDraft = '  seam along the jaw ';
    await rs.saveNote();
    expect(rs.noteOpen).toBe(false);
    expect(rs.items[0].review).toMatchObject({ decision: 'fake', note: 'seam along the jaw' });
    expect(submitted(api).at(-1)).not.toHaveProperty('decision');
    rs.openNote();
    expect(rs.noteDraft).toBe('seam along the jaw');
    rs.noteDraft = 'something else';
    rs.cancelNote();
    expect(rs.items[0].review?.note).toBe('seam along the jaw');
  });

  it('selects several faces and marks them all', async () => {
    const { api, rs } = await queue();
    rs.handleKey({ key: 'x' });
    rs.handleKey({ key: 'j' });
    rs.handleKey({ key: ' ' });
    expect(rs.selectedCount).toBe(2);
    await rs.decideSelected('real');
    expect(rs.items.slice(0, 2).map((i) => i.review?.decision)).toEqual(['real', 'real']);
    expect(rs.selectedCount).toBe(0);
    expect(submitted(api)).toHaveLength(2);
    rs.handleKey({ key: 'A', shiftKey: true });
    expect(rs.selectedCount).toBe(rs.items.length);
    rs.handleKey({ key: 'A', shiftKey: true });
    expect(rs.selectedCount).toBe(0);
  });

  it('Home and End go to the first and the last face', async () => {
    const { rs } = await queue();
    expect(rs.handleKey({ key: 'End' })).toBe(true);
    expect(rs.cursor).toBe(rs.items.length - 1);
    expect(rs.handleKey({ key: 'Home' })).toBe(true);
    expect(rs.cursor).toBe(0);
  });

  it('takes several bands and decisions, toggling each value, and drops an emptied list', async () => {
    const { api, rs } = await queue();
    const sent: unknown[] = [];
    const inner = api.getReviewQueue.bind(api);
    api.getReviewQueue = (c, t, f) => (sent.push(f), inner(c, t));
    await rs.toggleFilterValue('case-1', 'bands', 'very-strong');
    await rs.toggleFilterValue('case-1', 'bands', 'strong');
    await rs.toggleFilterValue('case-1', 'decisions', 'fake');
    await rs.toggleFilterValue('case-1', 'decisions', 'none');
    expect(rs.filter).toEqual({ bands: ['very-strong', 'strong'], decisions: ['fake', 'none'] });
    expect(sent.at(-1)).toEqual({ bands: ['very-strong', 'strong'], decisions: ['fake', 'none'] });
    await rs.toggleFilterValue('case-1', 'bands', 'very-strong');
    expect(rs.filter.bands).toEqual(['strong']);
    await rs.toggleFilterValue('case-1', 'bands', 'strong');
    await rs.toggleFilterValue('case-1', 'decisions', 'fake');
    await rs.toggleFilterValue('case-1', 'decisions', 'none');
    expect(rs.filter).toEqual({});
    // No filter left: the plain two-argument read, as before filters existed.
    expect(sent.at(-1)).toBeUndefined();
  });

  it('keeps each face\'s review state current after a local change (a category alone needs a decision)', async () => {
    const { rs } = await queue();
    rs.advance = false;
    expect(stateOfItem(rs.items[0])).toBe('unreviewed');
    rs.handleKey({ key: '2' });
    await tick();
    expect(stateOfItem(rs.items[0])).toBe('needs-decision');
    rs.handleKey({ key: 'f' });
    await tick();
    expect(stateOfItem(rs.items[0])).toBe('decided');
    expect(rs.labelOf(rs.items[0])).toMatch(/^Person 2 · frame \d of 8 \(index \d+\) · face 2$/);
  });

  it('ignores modified keys (browser and app shortcuts)', async () => {
    const { rs } = await queue();
    expect(rs.handleKey({ key: 'f', ctrlKey: true })).toBe(false);
    expect(rs.handleKey({ key: 'j', metaKey: true })).toBe(false);
    expect(rs.cursor).toBe(0);
  });
});
