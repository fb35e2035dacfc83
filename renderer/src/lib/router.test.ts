import { describe, expect, it } from 'vitest';
import type { FaceInfo } from '../../../common/api.js';
import { ExaminerPrompt } from './examiner-prompt.svelte.js';
import { Preferences } from './preferences.svelte.js';
import { Router, type RouterHost } from './router.svelte.js';

function host(): RouterHost & { entered: string[]; caseId: string | null; video: { evidenceId: number | null; selectedFace: FaceInfo | null } } {
  return { entered: [], caseId: null, video: { evidenceId: null, selectedFace: null }, enter(id) { this.entered.push(id); } };
}

describe('Router', () => {
  it('offers views by what is open and enters only available ones', () => {
    const h = host();
    const r = new Router(h);
    expect(r.available('models')).toBe(true);
    expect(r.available('evidence')).toBe(false);
    r.go('evidence');
    expect(r.view).toBe('cases');
    expect(h.entered).toEqual([]);
    h.caseId = 'c1';
    expect(r.available('evidence')).toBe(true);
    expect(r.available('video')).toBe(false);
    r.go('audit');
    expect(r.view).toBe('audit');
    expect(h.entered).toEqual(['audit']);
  });

  it('puts the open video and face into the route only on their views', () => {
    const h = host();
    h.caseId = 'c1';
    h.video.evidenceId = 4;
    h.video.selectedFace = { id: 9 } as FaceInfo;
    const r = new Router(h);
    r.go('evidence');
    expect(r.route).toEqual({ view: 'evidence', caseId: 'c1', evidenceId: null, faceId: null });
    r.go('face');
    expect(r.route).toEqual({ view: 'face', caseId: 'c1', evidenceId: 4, faceId: 9 });
  });
});

describe('ExaminerPrompt', () => {
  it('answers at once when the name is known, else asks; a second ask cancels the first', async () => {
    const prefs = new Preferences();
    const prompt = new ExaminerPrompt(prefs);
    const first = prompt.ensure();
    expect(prompt.open).toBe(true);
    const second = prompt.ensure();
    expect(await first).toBeNull();
    prompt.answer('  B. Examiner ');
    expect(await second).toBe('B. Examiner');
    expect(prompt.open).toBe(false);
    expect(prefs.examiner).toBe('B. Examiner');
    expect(await prompt.ensure()).toBe('B. Examiner');
  });

  it('a blank answer is a cancel and remembers nothing', async () => {
    const prefs = new Preferences();
    const prompt = new ExaminerPrompt(prefs);
    const p = prompt.ensure();
    prompt.answer('   ');
    expect(await p).toBeNull();
    expect(prefs.examiner).toBe('');
  });
});
