import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { STANDING_NOTE } from '../../../common/verdict.js';
import App from '../App.svelte';
import { analysedFake, HEAT_PNG, HEATMAP_LABEL, MASK_PNG, maskOverlay, REPORT, SUMMARY, type FakeApi } from '../lib/test-fakes.js';
import { Workstation } from '../lib/workstation.svelte.js';
import { settle } from './dom-test-kit.js';

async function start(opts: { examiner?: string; api?: FakeApi } = {}) {
  const api = opts.api ?? analysedFake();
  const app = new Workstation(api);
  if (opts.examiner) app.prefs.setExaminer(opts.examiner);
  render(App, { app });
  await settle();
  await app.openRecent(SUMMARY);
  await settle();
  return { api, app };
}

const key = (k: string, extra: Record<string, unknown> = {}) => fireEvent.keyDown(window, { key: k, ...extra });
const submitted = (api: FakeApi) => api.calls.filter(([op]) => op === 'submitReview').map(([, r]) => r as Record<string, unknown>);

describe('navigation', () => {
  it('offers views by what is open, and switches with Alt+digit', async () => {
    const { app } = await start();
    const rail = screen.getByRole('navigation', { name: 'Views' });
    const btn = (name: RegExp) => within(rail).getByRole('button', { name });
    expect(btn(/Evidence/).getAttribute('aria-current')).toBe('page');
    expect(btn(/Video/)).toHaveProperty('disabled', true);
    expect(btn(/Face/)).toHaveProperty('disabled', true);
    await key('7', { altKey: true });
    await settle();
    expect(app.router.view).toBe('audit');
    expect(screen.getByRole('main').getAttribute('aria-label')).toBe('Audit');
    await key('3', { altKey: true }); // no video open: ignored
    expect(app.router.view).toBe('audit');
    await fireEvent.click(btn(/Cases/));
    await settle();
    expect(screen.getByRole('button', { name: 'Open case Harbour fraud' })).toBeTruthy();
  });
});

describe('evidence table', () => {
  it('shows the score as a cautious band chip, sorts by score and filters flagged items', async () => {
    await start();
    const table = screen.getByRole('table');
    const row = within(table).getByRole('button', { name: 'Open clips/interview.mp4' }).closest('tr') as HTMLElement;
    expect(row.textContent).toMatch(/0\.\d\d/);
    expect(row.querySelector('.c-score .badge')?.getAttribute('title')).toMatch(/indication of manipulation$/);
    expect(row.textContent).toContain('No'); // not reviewed yet
    await fireEvent.click(within(table).getByRole('button', { name: /^Score/ }));
    const first = within(table).getAllByRole('row')[1];
    expect(first.querySelector('td')?.getAttribute('title')).toBe('clips/interview.mp4');
    expect(within(table).getByRole('columnheader', { name: /Score/ }).getAttribute('aria-sort')).toBe('descending');
    await fireEvent.change(screen.getByLabelText('Show evidence with status'), { target: { value: 'pending' } });
    await settle();
    expect(within(table).getAllByRole('row')).toHaveLength(2);
  });
});

describe('media warnings', () => {
  it('marks an incomplete video in the evidence list and lists its warnings in the video view', async () => {
    const api = analysedFake();
    const truncated = { code: 'truncated', message: 'truncated: 133 of 300 frames decodable; sampled over those 133' };
    api.rows[0].warnings = [truncated];
    api.videos.get(1)!.evidence.warnings = [truncated];
    const { app } = await start({ api });
    const table = screen.getByRole('table');
    const row = within(table).getByRole('button', { name: 'Open clips/interview.mp4' }).closest('tr') as HTMLElement;
    const marker = within(row).getByLabelText('1 media warning: truncated');
    expect(marker.getAttribute('title')).toBe(truncated.message);
    const clean = table.querySelector('td[title="clips/broken.mov"]')?.closest('tr') as HTMLElement;
    expect(clean.textContent).toContain('broken.mov');
    expect(clean.querySelector('.media-warning')).toBeNull();
    await app.openVideo(1);
    await settle();
    const list = screen.getByRole('list', { name: 'Media warnings' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(1);
    expect(list.textContent).toContain('truncated: 133 of 300 frames decodable; sampled over those 133');
  });
});

describe('video view', () => {
  it('draws the frame with face boxes, the score plot, the model table and the explanation', async () => {
    const { app, api } = await start();
    await fireEvent.click(screen.getByRole('button', { name: 'Open clips/interview.mp4' }));
    await settle();
    expect(app.router.view).toBe('video');
    // Starts on the frame of the highest-scoring face, with its preview.
    expect(api.calls.some(([op]) => op === 'getFramePreview')).toBe(true);
    const faces = within(screen.getByLabelText('Faces in this frame')).getAllByRole('button', { name: /^Person \d · frame \d of 8 \(index \d+\) · face \d, ensemble/ });
    expect(faces).toHaveLength(2);
    expect(faces.filter((f) => /flagged/.test(f.getAttribute('aria-label') ?? ''))).toHaveLength(1);
    expect(screen.getByRole('slider', { name: /Frame score timeline/ })).toBeTruthy();
    const formed = screen.getByRole('heading', { name: 'How the score was formed' }).closest('section') as HTMLElement;
    expect(within(formed).getAllByRole('row')).toHaveLength(3);
    expect(formed.textContent).toContain('EfficientNet-B0 seed 7: 6 of 16 faces above 0.8 (needs more than 6 and more than 11)');
    expect(formed.textContent).toMatch(/Video score = mean of the 2 model values/);
    expect(screen.getByLabelText('Standing note').textContent).toContain(STANDING_NOTE);
    expect(screen.getAllByText('Person 2').length).toBeGreaterThan(0);
  });

  it('steps frames with the arrows, jumps to flagged faces and opens one', async () => {
    const { app } = await start();
    await app.openVideo(1);
    await settle();
    app.video.selectFrame(0);
    await key('ArrowRight');
    expect(app.video.frameIdx).toBe(1);
    await fireEvent.click(screen.getByRole('button', { name: /Next flagged face/ }));
    await settle();
    expect(app.video.selectedFace?.track).toBe(1);
    expect(screen.getByRole('heading', { name: 'Selected face' }).closest('section')?.textContent).toContain('Person 2');
    await fireEvent.click(screen.getByRole('button', { name: /Open face/ }));
    await settle();
    expect(app.router.view).toBe('face');
    expect(app.router.route.faceId).toBe(app.video.selectedFace?.id);
  });
});

describe('comparison with a known original', () => {
  it('chooses another video of the case, runs the comparison and shows the summary; masks then appear', async () => {
    const { api, app } = await start({ examiner: 'J. Doe' });
    await app.openVideo(1);
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Compare with known original…' }));
    await settle();
    const select = screen.getByLabelText('Known original', { selector: 'select' }) as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['clips/broken.mov']);
    await fireEvent.input(screen.getByLabelText('Frame offset'), { target: { value: '2' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Compare' }));
    await settle();
    expect(api.calls).toContainEqual(['compareVideos', { caseId: 'case-1', suspectEvidenceId: 1, referenceEvidenceId: 2, offset: 2 }]);
    const summary = screen.getByRole('status', { name: 'Comparison summary' });
    expect(summary.textContent).toContain('0.225');
    expect(summary.textContent).toContain('broken.mov');
    expect(summary.textContent).toMatch(/Faces with a mask\s*16/);
    await fireEvent.click(screen.getByRole('button', { name: /Open face/ }));
    await settle();
    expect(document.querySelector('[data-overlay="mask"] .energy')?.textContent).toBe('0.420');
  });

  it('shows a failed comparison plainly, and says when there is nothing to compare with', async () => {
    const api = analysedFake({ compareVideos: async () => ({ ok: false, error: { code: 'invalid-argument', message: 'the reference video has no frames at these indices' } }) });
    const { app } = await start({ api, examiner: 'J. Doe' });
    await app.openVideo(1);
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Compare with known original…' }));
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: 'Compare' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toContain('the reference video has no frames at these indices');
    app.caseState.evidence = app.caseState.evidence.filter((r) => r.id === 1);
    await settle();
    expect(screen.getByText('No other video in this case to compare with.')).toBeTruthy();
  });
});

describe('report export', () => {
  it('exports with the current examiner and shows path, pages and a copyable SHA-256', async () => {
    const { api } = await start({ examiner: 'R. Reviewer' });
    await fireEvent.click(screen.getByRole('button', { name: 'Export report (PDF)' }));
    await settle();
    expect(api.calls).toContainEqual(['exportReport', { caseId: 'case-1', examiner: 'R. Reviewer' }]);
    const card = screen.getByRole('heading', { name: 'Report exported' }).closest('section') as HTMLElement;
    expect(card.textContent).toContain(REPORT.file);
    expect(card.textContent).toContain('7 pages');
    expect(screen.getByTestId('report-sha256').textContent).toBe(REPORT.sha256);
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void writes.push(t) }, configurable: true });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy report SHA-256' }));
    await settle();
    expect(writes).toEqual([REPORT.sha256]);
    expect(screen.getByRole('button', { name: 'Copy report SHA-256' }).textContent).toBe('Copied');
  });

  it('shows an export error plainly', async () => {
    const api = analysedFake();
    api.report = { ok: false, error: { code: 'io', message: 'cannot write the case workspace' } };
    await start({ api, examiner: 'R. Reviewer' });
    await fireEvent.click(screen.getByRole('button', { name: 'Export report (PDF)' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toContain('cannot write the case workspace');
  });
});

describe('face view', () => {
  async function faceView(examiner?: string, api?: FakeApi) {
    const r = await start({ examiner, api });
    await r.app.openVideo(1);
    r.app.video.stepFlagged(1);
    r.app.router.go('face');
    await settle();
    return r;
  }

  it('shows per-model probabilities and zoom controls; without a mask, the hint to compare', async () => {
    const { api, app } = await faceView();
    const info = screen.getByRole('heading', { name: /Person 2/ }).closest('section') as HTMLElement;
    expect(within(info).getAllByRole('row')).toHaveLength(3);
    expect(info.textContent).toContain('EfficientNet-B0 seed 8');
    expect(api.calls).toContainEqual(['getFaceOverlays', { caseId: 'case-1', faceId: app.video.selectedFace!.id }]);
    expect(screen.getByText('Compare this video with a known original (Video view) to compute difference masks.')).toBeTruthy();
    expect(screen.queryByLabelText('Difference mask opacity')).toBe(null);
    expect(document.querySelector('.overlay-slot > *')).toBe(null);
    const pct = () => screen.getByRole('group', { name: 'Zoom' }).querySelector('.pct')?.textContent;
    const before = pct();
    await fireEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    expect(pct()).not.toBe(before);
  });

  it('draws the difference mask at its reference crop, with energy, reference, toggle and opacity', async () => {
    const api = analysedFake();
    const v = api.videos.get(1)!;
    for (const fr of v.frames) for (const f of fr.faces) api.overlays.set(f.id, { mask: maskOverlay(f, 0.37), heatmap: null });
    await faceView(undefined, api);
    const block = document.querySelector('[data-overlay="mask"]') as HTMLElement;
    expect(block.textContent).toContain('0.370');
    expect(block.textContent).toContain('original.mp4');
    expect(block.textContent).toContain('45');
    const img = document.querySelector('.overlay-slot .mask') as HTMLElement;
    expect(img.dataset.src).toBe(MASK_PNG);
    // Face crop 720..1020 × 140..500; the reference crop is 4 px right and 2 px up.
    expect(img.style.left).toBe(`${(4 / 300) * 100}%`);
    expect(img.style.top).toBe(`${(-2 / 360) * 100}%`);
    expect(img.style.width).toBe('100%');
    expect(img.style.opacity).toBe('0.6');
    await fireEvent.input(screen.getByLabelText('Difference mask opacity'), { target: { value: '25' } });
    expect(img.style.opacity).toBe('0.25');
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Difference mask' }));
    expect(document.querySelector('.overlay-slot .mask')).toBe(null);
    expect(screen.getByLabelText('Difference mask opacity')).toHaveProperty('disabled', true);
  });

  it('computes model attention with a busy state, stretches it over the crop, and captions it as attention', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const api = analysedFake();
    const real = api.computeHeatmap.bind(api);
    api.computeHeatmap = async (c, f) => {
      await gate;
      return real(c, f);
    };
    await faceView(undefined, api);
    expect(screen.getByText(/not the manipulated region/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Compute model attention' }));
    await settle();
    const busy = screen.getByRole('button', { name: 'Computing model attention…' });
    expect(busy).toHaveProperty('disabled', true);
    // The default (class activation map) takes one forward pass: no "minutes" warning any more.
    expect(screen.queryByText(/can take minutes/)).toBe(null);
    // The examiner may leave meanwhile.
    await key('Escape');
    await settle();
    expect(screen.getByRole('main').getAttribute('aria-label')).toBe('Video');
    release();
    await settle();
    await fireEvent.click(screen.getByRole('button', { name: /Open face/ }));
    await settle();
    const heat = document.querySelector('.overlay-slot img.heat') as HTMLImageElement;
    expect(heat.getAttribute('src')).toBe(HEAT_PNG);
    expect(screen.getByRole('checkbox', { name: 'Model attention' })).toHaveProperty('checked', true);
    expect(screen.getByText(HEATMAP_LABEL)).toBeTruthy();
    expect(screen.getByText(/shows model attention .* not the manipulated region/)).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('Model attention opacity'), { target: { value: '80' } });
    expect(heat.style.opacity).toBe('0.8');
  });

  it('shows a failed computation plainly', async () => {
    const api = analysedFake({ computeHeatmap: async () => ({ ok: false, error: { code: 'internal', message: 'onnxruntime: bad allocation' } }) });
    await faceView(undefined, api);
    await fireEvent.click(screen.getByRole('button', { name: 'Compute model attention' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toContain('onnxruntime: bad allocation');
    expect(screen.getByRole('button', { name: 'Compute model attention' })).toHaveProperty('disabled', false);
  });

  it('asks the examiner once, then F marks fake and N saves a note with Enter', async () => {
    const { api } = await faceView();
    await key('f');
    await settle();
    const dialog = screen.getByRole('dialog', { name: 'Who is reviewing?' });
    expect((within(dialog).getByLabelText('Examiner name') as HTMLInputElement).value).toBe('J. Doe'); // from the case
    await fireEvent.submit(dialog.querySelector('form') as HTMLFormElement);
    await settle();
    expect(screen.queryByRole('dialog')).toBe(null);
    expect(screen.getByText('Examiner: fake')).toBeTruthy();
    await key('n');
    await settle();
    const note = screen.getByLabelText(/^Note/) as HTMLTextAreaElement;
    await fireEvent.input(note, { target: { value: 'edge halo' } });
    await fireEvent.keyDown(note, { key: 'Enter' });
    await settle();
    expect(screen.getByText('edge halo')).toBeTruthy();
    expect(submitted(api).map((r) => [r.decision, r.note, r.examiner])).toEqual([
      ['fake', undefined, 'J. Doe'],
      [undefined, 'edge halo', 'J. Doe'],
    ]);
    // Esc cancels an edit.
    await key('n');
    await settle();
    await fireEvent.keyDown(screen.getByLabelText(/^Note/), { key: 'Escape' });
    await settle();
    expect(screen.queryByLabelText(/^Note/)).toBe(null);
    expect(submitted(api)).toHaveLength(2);
  });
});

describe('review view', () => {
  async function review() {
    const r = await start({ examiner: 'R. Reviewer' });
    r.app.router.go('review');
    await settle();
    return r;
  }
  const currentRow = () => document.querySelector('tr.current') as HTMLElement;

  it('lists flagged faces highest first with the key help visible', async () => {
    const { app } = await review();
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(app.review.items.length);
    expect(currentRow().dataset.row).toBe('0');
    const help = screen.getByLabelText('Keyboard shortcuts');
    for (const k of ['J / K', 'F', 'R', 'U', 'N', '0–5']) expect(within(help).getByText(k)).toBeTruthy();
  });

  it('works from the keyboard: J/K, F, R, U, digits, N with Enter and Esc', async () => {
    const { api } = await review();
    await key('j');
    await key('j');
    await key('k');
    expect(currentRow().dataset.row).toBe('1');
    await key('f');
    await settle();
    expect(currentRow().dataset.row).toBe('2'); // advanced
    expect(within(screen.getByRole('table')).getAllByRole('row')[2].textContent).toContain('Fake');
    await key('k');
    await key('3');
    await settle();
    expect(within(screen.getByRole('table')).getAllByRole('row')[2].textContent).toContain('C3');
    await key('n');
    await settle();
    const note = screen.getByLabelText(/^Note/) as HTMLTextAreaElement;
    expect(document.activeElement).toBe(note);
    // Typing in the note does not trigger shortcuts.
    await fireEvent.keyDown(note, { key: 'f' });
    await fireEvent.input(note, { target: { value: 'mouth warps' } });
    await fireEvent.keyDown(note, { key: 'Enter' });
    await settle();
    expect(screen.getByText('mouth warps')).toBeTruthy();
    const reqs = submitted(api);
    expect(reqs.map((r) => [r.decision, r.category, r.note])).toEqual([
      ['fake', undefined, undefined],
      [undefined, 3, undefined],
      [undefined, undefined, 'mouth warps'],
    ]);
    await key('u');
    await key('r');
    await settle();
    const decisions = submitted(api).slice(3).map((r) => r.decision);
    expect(decisions).toEqual(['unsure', 'real']);
  });

  it('marks several selected faces at once', async () => {
    const { api, app } = await review();
    const boxes = screen.getAllByRole('checkbox', { name: /^Select Person \d · frame/ });
    await fireEvent.click(boxes[0]);
    await fireEvent.click(boxes[2]);
    expect(screen.getByText(/2 selected/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Mark selected unsure' }));
    await settle();
    expect(submitted(api).map((r) => r.decision)).toEqual(['unsure', 'unsure']);
    expect(app.review.items.filter((i) => i.review?.decision === 'unsure')).toHaveLength(2);
    expect(screen.getByText(/0 selected/)).toBeTruthy();
  });

  it('re-reads the queue at another threshold', async () => {
    const { api } = await review();
    await fireEvent.input(screen.getByLabelText(/Flag at ensemble/), { target: { value: '0.9' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await settle();
    expect(api.calls).toContainEqual(['getReviewQueue', { caseId: 'case-1', threshold: 0.9 }]);
  });
});

describe('models and audit views', () => {
  it('lists models with checksums and sources, and imports by path', async () => {
    const { api } = await start();
    await key('6', { altKey: true });
    await settle();
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(table.textContent).toContain('dfdc_b0_seed7.legacy.pth');
    expect(table.textContent).toContain('c0ffee777777');
    const path = screen.getByLabelText('Path');
    await fireEvent.input(path, { target: { value: '/tmp/readme.txt' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toContain('Not a checkpoint');
    await fireEvent.input(path, { target: { value: '/models/b7.pth' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    await settle();
    expect(api.calls).toContainEqual(['importModel', '/models/b7.pth']);
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(4);
  });

  it('shows the chain status, head hash and entries; a broken chain names the entry', async () => {
    const api = analysedFake();
    const { app } = await start({ api });
    app.router.go('audit');
    await settle();
    expect(screen.getByText('Chain verified')).toBeTruthy();
    expect(screen.getByText(api.audit.headHash)).toBeTruthy();
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(4);
    await fireEvent.input(screen.getByLabelText('Filter audit log'), { target: { value: 'case-created' } });
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2);

    api.audit = { ...api.audit, ok: false, firstBadSeq: 2, problem: 'entry 2 does not match its hash' };
    await fireEvent.click(screen.getByRole('button', { name: 'Re-verify' }));
    await settle();
    expect(screen.getByText('Chain broken at entry 2')).toBeTruthy();
    expect(screen.getByText('entry 2 does not match its hash')).toBeTruthy();
  });
});
