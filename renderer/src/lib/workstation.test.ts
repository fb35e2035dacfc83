import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { KeyValueStore } from './preferences.svelte.js';
import { formatRoute, parseRoute } from './route.js';
import { Workstation } from './workstation.svelte.js';
import { analysedFake, SUMMARY } from './test-fakes.js';

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

async function opened(store = memoryStore()) {
  const api = analysedFake();
  const app = new Workstation(api, { store });
  await app.openRecent(SUMMARY);
  await new Promise((r) => setTimeout(r, 0));
  return { api, app, store };
}

describe('routes', () => {
  it('round-trips view, case, video and face through the hash', () => {
    const r = { view: 'face' as const, caseId: 'abc', evidenceId: 2, faceId: 17 };
    expect(parseRoute(formatRoute(r))).toEqual(r);
    expect(parseRoute('')).toEqual({ view: 'cases', caseId: null, evidenceId: null, faceId: null });
    expect(parseRoute('#view=nonsense&ev=x')).toMatchObject({ view: 'cases', evidenceId: null });
  });

  it('restores a face view after a reload', async () => {
    const api = analysedFake();
    const app = new Workstation(api);
    await app.restore({ view: 'face', caseId: 'case-1', evidenceId: 1, faceId: 105 });
    expect(app.router.view).toBe('face');
    expect(app.video.selectedFace?.id).toBe(105);
    expect(app.router.route).toEqual({ view: 'face', caseId: 'case-1', evidenceId: 1, faceId: 105 });
    expect(api.calls.map(([op]) => op)).toContain('getCase');
    expect(api.calls.map(([op]) => op)).not.toContain('openCase');
  });

  it('falls back to the cases view when the case is gone', async () => {
    const api = analysedFake({ getCase: async () => ({ ok: false, error: { code: 'case-missing', message: 'gone' } }) });
    const app = new Workstation(api);
    await app.restore({ view: 'audit', caseId: 'zzz', evidenceId: null, faceId: null });
    expect(app.router.view).toBe('cases');
    expect(app.caseState.error).toBe(null);
  });
});

describe('Workstation', () => {
  it('gates views on what is open', async () => {
    const app = new Workstation(analysedFake());
    expect(app.router.available('models')).toBe(true);
    expect(app.router.available('evidence')).toBe(false);
    app.router.go('audit');
    expect(app.router.view).toBe('cases');
    await app.openRecent(SUMMARY);
    expect(app.router.view).toBe('evidence');
    expect(app.router.available('video')).toBe(false);
    await app.openVideo(1);
    expect(app.router.available('video')).toBe(true);
    // The highest-scoring face starts selected, so the face view is available.
    expect(app.video.selectedFace?.ensemble).toBe(Math.max(...app.video.flagged.map((x) => x.face.ensemble ?? 0)));
    expect(app.router.available('face')).toBe(true);
    app.video.faceId = null;
    expect(app.router.available('face')).toBe(false);
  });

  it('takes scores and review counts from the evidence rows, without reading every video', async () => {
    const { api, app } = await opened();
    const row = app.caseState.evidence.find((r) => r.id === 1)!;
    expect(row).toMatchObject({ faces: 16, reviewedFaces: 0 });
    expect(row.score).toBe(api.videos.get(1)!.score);
    expect(api.calls.filter(([op]) => op === 'getVideo')).toEqual([]);
  });

  it('reads face geometry once per item, when a view needs it', async () => {
    const { api, app } = await opened();
    await app.ensureGeometry(1);
    await app.ensureGeometry(1);
    expect(api.calls.filter(([op]) => op === 'getVideo')).toHaveLength(1);
    const f = api.videos.get(1)!.frames[0].faces[1];
    expect(app.geometry[f.id]).toEqual({ box: f.box, width: 1280, height: 720, track: 1 });
  });

  it('asks for the examiner once, remembers it, and sends only the changed fields', async () => {
    const { api, app, store } = await opened();
    await app.openVideo(1);
    app.video.stepFlagged(1);
    const face = app.video.selectedFace!;
    const target = app.targetOf(face)!;
    const pending = app.decide(target, { decision: 'fake' });
    flushSync();
    expect(app.prompt.open).toBe(true);
    app.prompt.answer('  A. Examiner ');
    const info = await pending;
    expect(info).toMatchObject({ decision: 'fake', examiner: 'A. Examiner' });
    expect(store.data.get('deepscan.examiner')).toBe('A. Examiner');
    const req = api.calls.find(([op]) => op === 'submitReview')?.[1];
    expect(req).toEqual({ caseId: 'case-1', evidenceId: 1, frameIndex: target.frameIndex, faceNo: face.faceNo, examiner: 'A. Examiner', decision: 'fake' });
    // The video view sees it at once; the evidence table counts it.
    expect(app.video.selectedFace?.review?.decision).toBe('fake');
    expect(app.caseState.evidence.find((r) => r.id === 1)?.reviewedFaces).toBe(1);

    // A note later keeps the decision (the engine merges), and no second prompt.
    const again = await app.decide(app.targetOf(app.video.selectedFace!)!, { note: 'seam at jaw' });
    expect(again).toMatchObject({ decision: 'fake', note: 'seam at jaw' });
    expect(app.prompt.open).toBe(false);

    // A new window remembers the examiner.
    expect(new Workstation(api, { store }).prefs.examiner).toBe('A. Examiner');
  });

  it('records nothing when the examiner prompt is cancelled', async () => {
    const { api, app } = await opened();
    await app.openVideo(1);
    app.video.stepFlagged(1);
    const pending = app.decide(app.targetOf(app.video.selectedFace!)!, { decision: 'real' });
    app.prompt.answer(null);
    expect(await pending).toBe(null);
    expect(api.calls.some(([op]) => op === 'submitReview')).toBe(false);
  });

  it('persists the theme choice', () => {
    const store = memoryStore();
    const app = new Workstation(analysedFake(), { store });
    expect(app.prefs.theme).toBe('system');
    app.prefs.setTheme('dark');
    expect(new Workstation(analysedFake(), { store }).prefs.theme).toBe('dark');
  });
});
