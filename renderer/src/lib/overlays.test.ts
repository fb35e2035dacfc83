import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { FaceOverlays, ReportResult } from '../../../common/api.js';
import { fail, ok, type Result } from '../../../common/result.js';
import { CompareState, referenceCandidates } from './compare-state.svelte.js';
import { OverlayState, placeMask } from './overlay-state.svelte.js';
import { ReportState } from './report-state.svelte.js';
import { analysedFake, HEATMAP_LABEL, maskOverlay, REPORT, SUMMARY } from './test-fakes.js';
import { Workstation } from './workstation.svelte.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('placeMask', () => {
  it('places the reference crop relative to the face crop, in percent', () => {
    expect(placeMask([100, 200, 300, 400], [100, 200, 300, 400])).toEqual({ left: 0, top: 0, width: 100, height: 100 });
    const p = placeMask([100, 200, 300, 400], [110, 190, 330, 390]);
    for (const [k, v] of Object.entries({ left: 5, top: -5, width: 110, height: 100 })) expect(p[k as keyof typeof p]).toBeCloseTo(v, 9);
    expect(placeMask([0, 0, 0, 10], [0, 0, 5, 5])).toEqual({ left: 0, top: 0, width: 100, height: 100 });
  });
});

describe('OverlayState', () => {
  it('reads a face once, and again after invalidation', async () => {
    const api = analysedFake();
    const face = api.videos.get(1)!.frames[0].faces[1];
    const s = new OverlayState(api);
    await s.load('case-1', face.id);
    await s.load('case-1', face.id);
    expect(s.byFace[face.id]).toEqual({ mask: null, heatmap: null });
    api.overlays.set(face.id, { mask: maskOverlay(face), heatmap: null });
    s.invalidate();
    await s.load('case-1', face.id);
    expect(s.byFace[face.id].mask?.energy).toBe(0.42);
    expect(api.calls.filter(([op]) => op === 'getFaceOverlays')).toHaveLength(2);
  });

  it('shows the computation as busy, keeps it running across faces, and stores its result', async () => {
    const d = deferred<Result<FaceOverlays>>();
    const api = analysedFake({ computeHeatmap: () => d.promise });
    const s = new OverlayState(api);
    const run = s.computeHeatmap('case-1', 101);
    flushSync();
    expect(s.computing[101]).toBe(true);
    expect(await s.computeHeatmap('case-1', 101)).toBe(false); // no second run for the same face
    await s.load('case-1', 102); // other faces stay usable meanwhile
    expect(s.byFace[102]).toBeTruthy();
    d.resolve(ok({ mask: null, heatmap: { dataUrl: 'data:image/png;base64,AA==', label: HEATMAP_LABEL, baseScore: 0.9, models: ['b0-seed7'], createdAt: '2026-11-24T12:00:00Z', method: 'cam', scale: { min: -1.5, max: 2.5, unit: 'logit' } } }));
    expect(await run).toBe(true);
    expect(s.computing[101]).toBeUndefined();
    expect(s.byFace[101].heatmap?.label).toBe(HEATMAP_LABEL);
  });

  it('records errors per face, and drops answers for a case that was closed', async () => {
    const api = analysedFake({ computeHeatmap: async () => fail({ code: 'internal', message: 'onnxruntime: out of memory' }) });
    const s = new OverlayState(api);
    expect(await s.computeHeatmap('case-1', 101)).toBe(false);
    expect(s.errors[101].message).toContain('out of memory');
    const d = deferred<Result<FaceOverlays>>();
    api.getFaceOverlays = () => d.promise;
    const late = s.load('case-1', 103);
    s.clear();
    d.resolve(ok({ mask: null, heatmap: null }));
    await late;
    expect(s.byFace[103]).toBeUndefined();
  });
});

describe('CompareState', () => {
  it('offers the other readable videos of the case', () => {
    const api = analysedFake();
    expect(referenceCandidates(api.rows, 1).map((r) => r.id)).toEqual([2]);
    expect(referenceCandidates(api.rows, 2).map((r) => r.id)).toEqual([1]);
  });

  it('needs a reference and a whole-number offset, then keeps the summary per suspect', async () => {
    const api = analysedFake();
    const s = new CompareState(api);
    expect(await s.run('case-1', 1)).toBe(null);
    expect(s.error?.message).toMatch(/Choose the known original/);
    s.referenceId = 2;
    s.offset = '1.5';
    expect(await s.run('case-1', 1)).toBe(null);
    expect(s.error?.message).toMatch(/whole number/);
    s.offset = '-3';
    const r = await s.run('case-1', 1);
    expect(r).toMatchObject({ referencePath: 'clips/broken.mov', offset: -3, faces: 16 });
    expect(s.error).toBe(null);
    expect(s.results[1]).toEqual(r);
    expect(api.calls).toContainEqual(['compareVideos', { caseId: 'case-1', suspectEvidenceId: 1, referenceEvidenceId: 2, offset: -3 }]);
  });

  it('is busy while running and shows the engine error', async () => {
    const d = deferred<Result<never>>();
    const api = analysedFake({ compareVideos: () => d.promise });
    const s = new CompareState(api);
    s.referenceId = 2;
    const run = s.run('case-1', 1);
    flushSync();
    expect(s.running).toBe(1);
    d.resolve(fail({ code: 'invalid-argument', message: 'no frames in common at offset 0' }));
    expect(await run).toBe(null);
    expect(s.running).toBe(null);
    expect(s.error?.message).toContain('no frames in common');
  });
});

describe('ReportState', () => {
  it('exports, copies the hash and shows errors', async () => {
    const api = analysedFake();
    const s = new ReportState(api);
    expect(await s.export('case-1', 'J. Doe')).toEqual(REPORT);
    expect(api.calls).toContainEqual(['exportReport', { caseId: 'case-1', examiner: 'J. Doe' }]);
    const copied: string[] = [];
    await s.copy('sha256', { writeText: async (t: string) => void copied.push(t) });
    expect(copied).toEqual([REPORT.sha256]);
    expect(s.copied).toBe('sha256');
    await s.copy('path', { writeText: async () => Promise.reject(new Error('denied')) });
    expect(s.copied).toBe('path-failed');
    api.report = fail({ code: 'io', message: 'disk full' }) as Result<ReportResult>;
    expect(await s.export('case-1')).toBe(null);
    expect(s.error?.message).toBe('disk full');
  });
});

describe('Workstation: comparison and report', () => {
  it('compares the open video, then reads the face overlays again', async () => {
    const api = analysedFake();
    const app = new Workstation(api);
    app.prefs.setExaminer('J. Doe');
    await app.openRecent(SUMMARY);
    await app.openVideo(1);
    app.video.stepFlagged(1);
    app.router.go('face');
    const face = app.video.selectedFace!;
    await app.overlays.load('case-1', face.id);
    expect(app.overlays.byFace[face.id].mask).toBe(null);
    app.compare.referenceId = 2;
    const r = await app.compareOpenVideo();
    expect(r?.meanEnergy).toBe(0.225);
    await Promise.resolve();
    await new Promise((res) => setTimeout(res, 0));
    expect(app.overlays.byFace[face.id].mask?.energy).toBe(0.42);
  });

  it('exports the report with the examiner, asking once', async () => {
    const api = analysedFake();
    const app = new Workstation(api);
    await app.openRecent(SUMMARY);
    const pending = app.exportReport();
    flushSync();
    expect(app.prompt.open).toBe(true);
    app.prompt.answer('K. Reviewer');
    expect(await pending).toEqual(REPORT);
    expect(api.calls).toContainEqual(['exportReport', { caseId: 'case-1', examiner: 'K. Reviewer' }]);
    // Cancelling the prompt exports nothing.
    const app2 = new Workstation(api);
    await app2.openRecent(SUMMARY);
    const p2 = app2.exportReport();
    app2.prompt.answer(null);
    expect(await p2).toBe(null);
    expect(api.calls.filter(([op]) => op === 'exportReport')).toHaveLength(1);
  });
});
