/**
 * Every limit of the argument schemas, each with a test that fails when the limit moves
 * (ported from the hand-written validators these schemas replace: same messages).
 */
import { describe, expect, it } from 'vitest';
import { parseArguments } from './operations.js';
import * as s from './schemas.js';
import { check, LIMITS } from './schemas.js';

const ABS = process.platform === 'win32' ? 'C:\\evidence\\case-1' : '/evidence/case-1';
const CASE = '0123456789abcdef';

function errorOf(r: { ok: boolean; error?: { code: string; message: string } }): string {
  expect(r.ok).toBe(false);
  expect(r.error?.code).toBe('invalid-argument');
  return r.error?.message ?? '';
}

describe('validateOpenCaseRequest', () => {
  it('accepts a folder alone and with all optional fields', () => {
    expect(check(s.openCaseRequest, { folder: ABS })).toEqual({ ok: true, value: { folder: ABS } });
    const full = { folder: ABS, name: 'Harbour fraud', number: '2026-0042', examiner: 'J. Doe' };
    expect(check(s.openCaseRequest, full)).toEqual({ ok: true, value: full });
  });

  it('does not copy unexpected keys through (returns a fresh object)', () => {
    const r = check(s.openCaseRequest, { folder: ABS, name: undefined });
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
    errorOf(check(s.openCaseRequest, value));
  });

  it('rejects unknown keys, __proto__ included', () => {
    expect(errorOf(check(s.openCaseRequest, { folder: ABS, evil: 1 }))).toMatch(/unknown field "evil"/);
    expect(errorOf(check(s.openCaseRequest, JSON.parse(`{"folder":${JSON.stringify(ABS)},"__proto__":{"x":1}}`)))).toMatch(
      /unknown field "__proto__"/,
    );
  });

  it('rejects relative, empty, NUL-bearing and over-long folders', () => {
    expect(errorOf(check(s.openCaseRequest, { folder: 'evidence/case-1' }))).toMatch(/absolute/);
    expect(errorOf(check(s.openCaseRequest, { folder: '../../etc' }))).toMatch(/absolute/);
    expect(errorOf(check(s.openCaseRequest, { folder: '' }))).toMatch(/empty/);
    expect(errorOf(check(s.openCaseRequest, { folder: `${ABS}\u0000x` }))).toMatch(/NUL/);
    expect(errorOf(check(s.openCaseRequest, { folder: `${ABS}\nx` }))).toMatch(/control/);
    expect(errorOf(check(s.openCaseRequest, { folder: ABS + 'a'.repeat(LIMITS.folder) }))).toMatch(/too long/);
  });

  it('rejects wrong types and bad text in optional fields', () => {
    expect(errorOf(check(s.openCaseRequest, { folder: ABS, name: 42 }))).toMatch(/name must be a string/);
    expect(errorOf(check(s.openCaseRequest, { folder: ABS, number: null }))).toMatch(/number must be a string, got null/);
    expect(errorOf(check(s.openCaseRequest, { folder: ABS, examiner: 'x'.repeat(LIMITS.examiner + 1) }))).toMatch(/too long/);
    expect(errorOf(check(s.openCaseRequest, { folder: ABS, name: 'a\u0000b' }))).toMatch(/NUL/);
    expect(errorOf(check(s.openCaseRequest, { folder: ABS, name: 'a\u001bb' }))).toMatch(/control/);
  });
});

describe('validateAnalysisRequest / validateFrames', () => {
  it('accepts a case id with and without frames', () => {
    expect(check(s.analysisRequest, { caseId: CASE })).toEqual({ ok: true, value: { caseId: CASE } });
    expect(check(s.analysisRequest, { caseId: CASE, frames: 32 })).toEqual({ ok: true, value: { caseId: CASE, frames: 32 } });
    expect(check(s.frames, 1).ok).toBe(true);
    expect(check(s.frames, 1000).ok).toBe(true);
  });

  it('accepts the one named ensemble and refuses any other (issue 12)', () => {
    expect(check(s.analysisRequest, { caseId: CASE, ensemble: 'dfdc-2020-winner' })).toEqual({ ok: true, value: { caseId: CASE, ensemble: 'dfdc-2020-winner' } });
    expect(errorOf(check(s.analysisRequest, { caseId: CASE, ensemble: 'mine' }))).toMatch(/ensemble must be dfdc-2020-winner/);
    // A job queue (issue 14): only its shape here; the engine applies the password/loopback rule.
    expect(check(s.analysisRequest, { caseId: CASE, queue: 'rediss://u:p@lab:6380' })).toEqual({ ok: true, value: { caseId: CASE, queue: 'rediss://u:p@lab:6380' } });
    expect(errorOf(check(s.analysisRequest, { caseId: CASE, queue: 'http://lab:6379' }))).toMatch(/queue must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(errorOf(check(s.analysisRequest, { caseId: CASE, queue: 'redis://lab\n:6379' }))).toMatch(/control characters|redis/);
  });

  it.each([0, -1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '32', null, 1e9])('rejects frames = %s', (frames) => {
    errorOf(check(s.analysisRequest, { caseId: CASE, frames }));
  });

  it('rejects unknown keys and bad case ids', () => {
    expect(errorOf(check(s.analysisRequest, { caseId: CASE, model: 'x' }))).toMatch(/unknown field/);
    errorOf(check(s.analysisRequest, { frames: 3 }));
    errorOf(check(s.analysisRequest, { caseId: 7 }));
    expect(errorOf(check(s.analysisRequest, { caseId: 'c1' }))).toMatch(/not a case id/);
  });
});

describe('validateId', () => {
  it('accepts opaque tokens', () => {
    for (const id of ['c1', '2026-0042', '0b6f7c1e-4c7a-4d0e-9a53-1b6b9e2f0a11', 'task_12.3']) {
      expect(check(s.identifier('caseId'), id)).toEqual({ ok: true, value: id });
    }
  });
  it.each(['', '..', '.', 'a/b', 'a\\b', ' a', 'a\u0000', 'a\n', 'x'.repeat(LIMITS.id + 1)])('rejects %j', (id) => {
    errorOf(check(s.identifier('caseId'), id));
  });
  it('rejects non-strings', () => {
    errorOf(check(s.identifier('caseId'), undefined));
    errorOf(check(s.identifier('caseId'), { toString: () => 'c1' }));
  });
});

describe('validateFolder / validateArity / isAppUrl', () => {
  it('checks folders on their own', () => {
    expect(check(s.absolutePath('folder'), ABS).ok).toBe(true);
    errorOf(check(s.absolutePath('folder'), 'relative'));
  });
  it('checks argument counts', () => {
    expect(parseArguments('getCase', [CASE]).ok).toBe(true);
    expect(errorOf(parseArguments('getCase', []))).toMatch(/takes 1 argument, got 0/);
    expect(errorOf(parseArguments('getCase', [CASE, CASE]))).toMatch(/got 2/);
    expect(errorOf(parseArguments('listModels', ['a']))).toMatch(/takes 0 arguments/);
  });
});

describe('validateCaseId / validateRowId / validateIndex / validateThreshold / validateAbsolutePath', () => {
  it('accepts only 16 lower-case hex digits as a case id', () => {
    expect(check(s.caseId(), CASE)).toEqual({ ok: true, value: CASE });
    for (const id of ['c1', CASE.toUpperCase(), `${CASE}0`, CASE.slice(1), `${CASE.slice(0, 15)}g`, `${CASE}\n`, '../../etc/passwd', '', 42, null, undefined]) {
      errorOf(check(s.caseId(), id));
    }
  });
  it('accepts positive safe integers as row ids', () => {
    expect(check(s.rowId('id'), 1)).toEqual({ ok: true, value: 1 });
    expect(check(s.rowId('id'), Number.MAX_SAFE_INTEGER).ok).toBe(true);
    for (const v of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1', null, [1]]) errorOf(check(s.rowId('id'), v));
  });
  it('accepts integers from 0 as frame indices and face numbers', () => {
    expect(check(s.index('frameIndex'), 0)).toEqual({ ok: true, value: 0 });
    for (const v of [-1, 0.5, 2 ** 31, '0', null]) errorOf(check(s.index('faceNo'), v));
  });
  it('accepts thresholds from 0 to 1', () => {
    for (const v of [0, 0.5, 1]) expect(check(s.threshold, v)).toEqual({ ok: true, value: v });
    for (const v of [-0.01, 1.01, Number.NaN, '0.5', null, undefined]) errorOf(check(s.threshold, v));
  });
  it('accepts absolute paths only', () => {
    expect(check(s.absolutePath('path'), `${ABS}/model.pth`).ok).toBe(true);
    expect(errorOf(check(s.absolutePath('path'), 'model.pth'))).toMatch(/path must be an absolute path/);
  });
  it('checks argument count ranges', () => {
    expect(parseArguments('getReviewQueue', [CASE]).ok).toBe(true);
    expect(parseArguments('getReviewQueue', [CASE, 0.5]).ok).toBe(true);
    expect(errorOf(parseArguments('getReviewQueue', []))).toMatch(/takes 1 to 3 arguments, got 0/);
    errorOf(parseArguments('getReviewQueue', [CASE, 0.5, 1]));
    errorOf(parseArguments('getReviewQueue', [CASE, 0.5, {}, 1]));
  });
});

describe('issue 13 arguments', () => {
  it('checks review-queue filters', () => {
    const ok = parseArguments('getReviewQueue', [CASE, 0.5, { evidenceId: 3, track: 1, bands: ['strong'], decisions: ['none', 'fake'], energyMin: 0.05, states: ['needs-decision'] }]);
    expect(ok.ok).toBe(true);
    expect(errorOf(parseArguments('getReviewQueue', [CASE, 0.5, { bands: ['fake'] }]))).toMatch(/bands may hold only/);
    // Several bands at once (any of them matches).
    expect(parseArguments('getReviewQueue', [CASE, 0.5, { bands: ['very-strong', 'strong', 'moderate'] }]).ok).toBe(true);
    expect(errorOf(parseArguments('getReviewQueue', [CASE, 0.5, { energyMax: 2 }]))).toMatch(/energyMax must be a number from 0 to 1/);
    expect(errorOf(parseArguments('getReviewQueue', [CASE, 0.5, { person: 1 }]))).toMatch(/unknown field "person"/);
  });
  it('requires an examiner on writes and checks case details and labels', () => {
    expect(errorOf(parseArguments('updateCaseDetails', [CASE, { name: 'X' }]))).toMatch(/takes 3 arguments/);
    expect(errorOf(parseArguments('updateCaseDetails', [CASE, { name: ' ' }, 'E']))).toMatch(/name must not be blank/);
    expect(parseArguments('updateCaseDetails', [CASE, { number: null, examiner: 'New' }, 'E']).ok).toBe(true);
    expect(errorOf(parseArguments('undoLastReview', [CASE, '  ']))).toMatch(/examiner must not be blank/);
    expect(parseArguments('undoLastReview', [CASE, 'E', { evidenceId: 1, frameIndex: 0, faceNo: 2 }]).ok).toBe(true);
    expect(errorOf(parseArguments('setCategoryLabel', [CASE, 6, 'x', 'E']))).toMatch(/category must be an integer from 0 to 5/);
    expect(parseArguments('setCategoryLabel', [CASE, 2, null, 'E']).ok).toBe(true);
    expect(errorOf(parseArguments('compareVideos', [CASE, 1, 2, 0, '']))).toMatch(/examiner must not be empty/);
    expect(errorOf(parseArguments('startAnalysis', [{ caseId: CASE, examiner: ' ' }]))).toMatch(/examiner must not be blank/);
  });
});

describe('validateReviewRequest', () => {
  const base = { caseId: CASE, evidenceId: 3, frameIndex: 99, faceNo: 1, examiner: 'J. Doe' };
  it('accepts a minimal request, and decision, category and note set or cleared', () => {
    expect(check(s.reviewRequest, base)).toEqual({ ok: true, value: base });
    const full = { ...base, decision: 'unsure', category: 0, note: 'first line\nsecond line' };
    expect(check(s.reviewRequest, full)).toEqual({ ok: true, value: full });
    const cleared = { ...base, decision: null, category: null, note: null };
    expect(check(s.reviewRequest, cleared)).toEqual({ ok: true, value: cleared });
    for (const decision of ['fake', 'real', 'unsure']) expect(check(s.reviewRequest, { ...base, decision }).ok).toBe(true);
    for (const category of [0, 1, 2, 3, 4, 5]) expect(check(s.reviewRequest, { ...base, category }).ok).toBe(true);
  });
  it('rejects bad decisions, categories, notes and examiners', () => {
    expect(errorOf(check(s.reviewRequest, { ...base, decision: 'FAKE' }))).toMatch(/decision must be one of fake, real, unsure/);
    expect(errorOf(check(s.reviewRequest, { ...base, category: 6 }))).toMatch(/category must be an integer from 0 to 5/);
    errorOf(check(s.reviewRequest, { ...base, category: '3' }));
    expect(errorOf(check(s.reviewRequest, { ...base, note: 'x'.repeat(LIMITS.note + 1) }))).toMatch(/too long/);
    expect(errorOf(check(s.reviewRequest, { ...base, note: 'a\u0000' }))).toMatch(/NUL/);
    const { examiner: _e, ...noExaminer } = base;
    expect(errorOf(check(s.reviewRequest, noExaminer))).toMatch(/examiner must be a string/);
    expect(errorOf(check(s.reviewRequest, { ...base, examiner: ' \t' }))).toMatch(/control|blank/);
    expect(errorOf(check(s.reviewRequest, { ...base, examiner: '   ' }))).toMatch(/blank/);
    expect(errorOf(check(s.reviewRequest, { ...base, examiner: 'x'.repeat(LIMITS.examiner + 1) }))).toMatch(/too long/);
  });
  it('rejects unknown keys, bad ids and non-objects', () => {
    expect(errorOf(check(s.reviewRequest, { ...base, createdAt: 'x' }))).toMatch(/unknown field "createdAt"/);
    errorOf(check(s.reviewRequest, { ...base, caseId: 'c1' }));
    errorOf(check(s.reviewRequest, { ...base, evidenceId: 0 }));
    errorOf(check(s.reviewRequest, { ...base, frameIndex: -1 }));
    errorOf(check(s.reviewRequest, { ...base, faceNo: '1' }));
    errorOf(check(s.reviewRequest, [base]));
    errorOf(check(s.reviewRequest, null));
  });
});

describe('exportReport / compareVideos optional arguments', () => {
  it('checks the optional examiner and offset and drops them when undefined', () => {
    expect(parseArguments('exportReport', [CASE, undefined])).toEqual({ ok: true, value: [CASE] });
    expect(errorOf(parseArguments('exportReport', [CASE, '']))).toMatch(/examiner must not be empty/);
    expect(errorOf(parseArguments('exportReport', [CASE, 'x'.repeat(LIMITS.examiner + 1)]))).toMatch(/too long/);
    expect(parseArguments('compareVideos', [CASE, 1, 2, -LIMITS.offsetMax])).toEqual({ ok: true, value: [CASE, 1, 2, -LIMITS.offsetMax] });
    expect(errorOf(parseArguments('compareVideos', [CASE, 1, 2, LIMITS.offsetMax + 1]))).toMatch(/offset must be an integer/);
    expect(errorOf(parseArguments('compareVideos', [CASE, 1, 2, 0.5]))).toMatch(/offset must be an integer/);
    expect(errorOf(parseArguments('getCase', 'not a list'))).toMatch(/arguments must be a list/);
  });
});
