import { describe, expect, it } from 'vitest';
import {
  isAppUrl,
  LIMITS,
  validateAbsolutePath,
  validateAnalysisRequest,
  validateArity,
  validateArityRange,
  validateCaseId,
  validateFolder,
  validateFrames,
  validateId,
  validateIndex,
  validateOpenCaseRequest,
  validateReviewRequest,
  validateRowId,
  validateThreshold,
} from './validate.js';

const ABS = process.platform === 'win32' ? 'C:\\evidence\\case-1' : '/evidence/case-1';
const CASE = '0123456789abcdef';

function errorOf(r: { ok: boolean; error?: { code: string; message: string } }): string {
  expect(r.ok).toBe(false);
  expect(r.error?.code).toBe('invalid-argument');
  return r.error?.message ?? '';
}

describe('validateOpenCaseRequest', () => {
  it('accepts a folder alone and with all optional fields', () => {
    expect(validateOpenCaseRequest({ folder: ABS })).toEqual({ ok: true, value: { folder: ABS } });
    const full = { folder: ABS, name: 'Harbour fraud', number: '2026-0042', examiner: 'J. Doe' };
    expect(validateOpenCaseRequest(full)).toEqual({ ok: true, value: full });
  });

  it('does not copy unexpected keys through (returns a fresh object)', () => {
    const r = validateOpenCaseRequest({ folder: ABS, name: undefined });
    expect(r).toEqual({ ok: true, value: { folder: ABS } });
    expect(r.ok && 'name' in r.value).toBe(false);
  });

  it.each([
    ['null', null],
    ['a string', ABS],
    ['an array', [ABS]],
    ['a number', 1],
    ['a class instance', new Date()],
    ['no folder', {}],
  ])('rejects %s', (_label, value) => {
    errorOf(validateOpenCaseRequest(value));
  });

  it('rejects unknown keys, __proto__ included', () => {
    expect(errorOf(validateOpenCaseRequest({ folder: ABS, evil: 1 }))).toMatch(/unknown field "evil"/);
    expect(errorOf(validateOpenCaseRequest(JSON.parse(`{"folder":${JSON.stringify(ABS)},"__proto__":{"x":1}}`)))).toMatch(
      /unknown field "__proto__"/,
    );
  });

  it('rejects relative, empty, NUL-bearing and over-long folders', () => {
    expect(errorOf(validateOpenCaseRequest({ folder: 'evidence/case-1' }))).toMatch(/absolute/);
    expect(errorOf(validateOpenCaseRequest({ folder: '../../etc' }))).toMatch(/absolute/);
    expect(errorOf(validateOpenCaseRequest({ folder: '' }))).toMatch(/empty/);
    expect(errorOf(validateOpenCaseRequest({ folder: `${ABS}\u0000x` }))).toMatch(/NUL/);
    expect(errorOf(validateOpenCaseRequest({ folder: `${ABS}\nx` }))).toMatch(/control/);
    expect(errorOf(validateOpenCaseRequest({ folder: ABS + 'a'.repeat(LIMITS.folder) }))).toMatch(/too long/);
  });

  it('rejects wrong types and bad text in optional fields', () => {
    expect(errorOf(validateOpenCaseRequest({ folder: ABS, name: 42 }))).toMatch(/name must be a string/);
    expect(errorOf(validateOpenCaseRequest({ folder: ABS, number: null }))).toMatch(/number must be a string, got null/);
    expect(errorOf(validateOpenCaseRequest({ folder: ABS, examiner: 'x'.repeat(LIMITS.examiner + 1) }))).toMatch(/too long/);
    expect(errorOf(validateOpenCaseRequest({ folder: ABS, name: 'a\u0000b' }))).toMatch(/NUL/);
    expect(errorOf(validateOpenCaseRequest({ folder: ABS, name: 'a\u001bb' }))).toMatch(/control/);
  });
});

describe('validateAnalysisRequest / validateFrames', () => {
  it('accepts a case id with and without frames', () => {
    expect(validateAnalysisRequest({ caseId: CASE })).toEqual({ ok: true, value: { caseId: CASE } });
    expect(validateAnalysisRequest({ caseId: CASE, frames: 32 })).toEqual({ ok: true, value: { caseId: CASE, frames: 32 } });
    expect(validateFrames(1).ok).toBe(true);
    expect(validateFrames(1000).ok).toBe(true);
  });

  it.each([0, -1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '32', null, 1e9])('rejects frames = %s', (frames) => {
    errorOf(validateAnalysisRequest({ caseId: CASE, frames }));
  });

  it('rejects unknown keys and bad case ids', () => {
    expect(errorOf(validateAnalysisRequest({ caseId: CASE, model: 'x' }))).toMatch(/unknown field/);
    errorOf(validateAnalysisRequest({ frames: 3 }));
    errorOf(validateAnalysisRequest({ caseId: 7 }));
    expect(errorOf(validateAnalysisRequest({ caseId: 'c1' }))).toMatch(/not a case id/);
  });
});

describe('validateId', () => {
  it('accepts opaque tokens', () => {
    for (const id of ['c1', '2026-0042', '0b6f7c1e-4c7a-4d0e-9a53-1b6b9e2f0a11', 'task_12.3']) {
      expect(validateId(id, 'caseId')).toEqual({ ok: true, value: id });
    }
  });
  it.each(['', '..', '.', 'a/b', 'a\\b', ' a', 'a\u0000', 'a\n', 'x'.repeat(LIMITS.id + 1)])('rejects %j', (id) => {
    errorOf(validateId(id, 'caseId'));
  });
  it('rejects non-strings', () => {
    errorOf(validateId(undefined, 'caseId'));
    errorOf(validateId({ toString: () => 'c1' }, 'caseId'));
  });
});

describe('validateFolder / validateArity / isAppUrl', () => {
  it('checks folders on their own', () => {
    expect(validateFolder(ABS).ok).toBe(true);
    errorOf(validateFolder('relative'));
  });
  it('checks argument counts', () => {
    expect(validateArity(['a'], 1, 'op').ok).toBe(true);
    expect(errorOf(validateArity([], 1, 'op'))).toMatch(/takes 1 argument, got 0/);
    expect(errorOf(validateArity(['a', 'b'], 1, 'op'))).toMatch(/got 2/);
    expect(errorOf(validateArity(['a'], 0, 'op'))).toMatch(/takes 0 arguments/);
  });
  it('recognises only our app origin', () => {
    expect(isAppUrl('app://deepscan/index.html')).toBe(true);
    expect(isAppUrl('app://deepscan/')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://deepscan.evil/index.html',
      'app://user@deepscan/index.html',
      'https://deepscan/index.html',
      'file:///index.html',
      'about:blank',
      '',
      'not a url',
      42,
      null,
    ]) {
      expect(isAppUrl(url), String(url)).toBe(false);
    }
  });
});

describe('validateCaseId / validateRowId / validateIndex / validateThreshold / validateAbsolutePath', () => {
  it('accepts only 16 lower-case hex digits as a case id', () => {
    expect(validateCaseId(CASE)).toEqual({ ok: true, value: CASE });
    for (const id of ['c1', CASE.toUpperCase(), `${CASE}0`, CASE.slice(1), `${CASE.slice(0, 15)}g`, `${CASE}\n`, '../../etc/passwd', '', 42, null, undefined]) {
      errorOf(validateCaseId(id));
    }
  });
  it('accepts positive safe integers as row ids', () => {
    expect(validateRowId(1, 'id')).toEqual({ ok: true, value: 1 });
    expect(validateRowId(Number.MAX_SAFE_INTEGER, 'id').ok).toBe(true);
    for (const v of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1', null, [1]]) errorOf(validateRowId(v, 'id'));
  });
  it('accepts integers from 0 as frame indices and face numbers', () => {
    expect(validateIndex(0, 'frameIndex')).toEqual({ ok: true, value: 0 });
    for (const v of [-1, 0.5, 2 ** 31, '0', null]) errorOf(validateIndex(v, 'faceNo'));
  });
  it('accepts thresholds from 0 to 1', () => {
    for (const v of [0, 0.5, 1]) expect(validateThreshold(v)).toEqual({ ok: true, value: v });
    for (const v of [-0.01, 1.01, Number.NaN, '0.5', null, undefined]) errorOf(validateThreshold(v));
  });
  it('accepts absolute paths only', () => {
    expect(validateAbsolutePath(`${ABS}/model.pth`).ok).toBe(true);
    expect(errorOf(validateAbsolutePath('model.pth'))).toMatch(/path must be an absolute path/);
  });
  it('checks argument count ranges', () => {
    expect(validateArityRange(['a'], 1, 2, 'op').ok).toBe(true);
    expect(validateArityRange(['a', 'b'], 1, 2, 'op').ok).toBe(true);
    expect(errorOf(validateArityRange([], 1, 2, 'op'))).toMatch(/takes 1 to 2 arguments, got 0/);
    errorOf(validateArityRange(['a', 'b', 'c'], 1, 2, 'op'));
  });
});

describe('validateReviewRequest', () => {
  const base = { caseId: CASE, evidenceId: 3, frameIndex: 99, faceNo: 1, examiner: 'J. Doe' };
  it('accepts a minimal request, and decision, category and note set or cleared', () => {
    expect(validateReviewRequest(base)).toEqual({ ok: true, value: base });
    const full = { ...base, decision: 'unsure', category: 0, note: 'first line\nsecond line' };
    expect(validateReviewRequest(full)).toEqual({ ok: true, value: full });
    const cleared = { ...base, decision: null, category: null, note: null };
    expect(validateReviewRequest(cleared)).toEqual({ ok: true, value: cleared });
    for (const decision of ['fake', 'real', 'unsure']) expect(validateReviewRequest({ ...base, decision }).ok).toBe(true);
    for (const category of [0, 1, 2, 3, 4, 5]) expect(validateReviewRequest({ ...base, category }).ok).toBe(true);
  });
  it('rejects bad decisions, categories, notes and examiners', () => {
    expect(errorOf(validateReviewRequest({ ...base, decision: 'FAKE' }))).toMatch(/decision must be one of fake, real, unsure/);
    expect(errorOf(validateReviewRequest({ ...base, category: 6 }))).toMatch(/category must be an integer from 0 to 5/);
    errorOf(validateReviewRequest({ ...base, category: '3' }));
    expect(errorOf(validateReviewRequest({ ...base, note: 'x'.repeat(LIMITS.note + 1) }))).toMatch(/too long/);
    expect(errorOf(validateReviewRequest({ ...base, note: 'a\u0000' }))).toMatch(/NUL/);
    const { examiner: _e, ...noExaminer } = base;
    expect(errorOf(validateReviewRequest(noExaminer))).toMatch(/examiner must be a string/);
    expect(errorOf(validateReviewRequest({ ...base, examiner: ' \t' }))).toMatch(/control|blank/);
    expect(errorOf(validateReviewRequest({ ...base, examiner: '   ' }))).toMatch(/blank/);
    expect(errorOf(validateReviewRequest({ ...base, examiner: 'x'.repeat(LIMITS.examiner + 1) }))).toMatch(/too long/);
  });
  it('rejects unknown keys, bad ids and non-objects', () => {
    expect(errorOf(validateReviewRequest({ ...base, createdAt: 'x' }))).toMatch(/unknown field "createdAt"/);
    errorOf(validateReviewRequest({ ...base, caseId: 'c1' }));
    errorOf(validateReviewRequest({ ...base, evidenceId: 0 }));
    errorOf(validateReviewRequest({ ...base, frameIndex: -1 }));
    errorOf(validateReviewRequest({ ...base, faceNo: '1' }));
    errorOf(validateReviewRequest([base]));
    errorOf(validateReviewRequest(null));
  });
});
