/**
 * Runtime validation of everything the renderer sends. The renderer is untrusted (it renders
 * file names and metadata taken from evidence), so each operation's input is checked here
 * before it reaches the engine: exact shape, no unknown keys, bounded strings, no NUL or
 * control characters, absolute folders, bounded integers.
 *
 * Hand-written on purpose: no schema library, nothing to configure, easy to audit.
 */
import path from 'node:path';
import type { AnalysisRequest, OpenCaseRequest, ReviewDecision, ReviewRequest } from '../../common/api.js';
import { fail, ok, type Result } from '../../common/result.js';

export const LIMITS = {
  /** Longest folder path accepted (Windows long paths reach 32767, Linux PATH_MAX is 4096). */
  folder: 4096,
  name: 200,
  number: 100,
  examiner: 200,
  /** Case and task identifiers are opaque tokens minted by the engine. */
  id: 128,
  framesMin: 1,
  framesMax: 1000,
  /** Review notes may span lines (no NUL). */
  note: 4000,
  /** Largest category of the examiner's 0–5 scale (0 = uncategorised). */
  categoryMax: 5,
  /** Frame indices and face numbers (well beyond any real video). */
  indexMax: 2 ** 31 - 1,
} as const;

/** Case ids: the first 16 hex digits of the SHA-256 of the evidence folder's canonical path. */
export const CASE_ID_RE = /^[0-9a-f]{16}$/;

export const REVIEW_DECISIONS: readonly ReviewDecision[] = ['fake', 'real', 'unsure'];

type V<T> = Result<T>;

function invalid<T = never>(message: string): V<T> {
  return fail({ code: 'invalid-argument', message });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A plain data object (what structured clone and JSON.parse produce), not an array or class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): V<true> {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      return invalid(`${what}: unknown field ${JSON.stringify(key.slice(0, 64))}; allowed: ${allowed.join(', ')}.`);
    }
  }
  return ok(true);
}

interface StringRule {
  max: number;
  /** Reject the empty string (after no trimming: what you send is what is checked). */
  nonEmpty?: boolean;
  /** Reject all C0 control characters and DEL, not only NUL (single-line fields). */
  singleLine?: boolean;
}

function checkString(value: unknown, field: string, rule: StringRule): V<string> {
  if (typeof value !== 'string') return invalid(`${field} must be a string, got ${describe(value)}.`);
  if (rule.nonEmpty && value.length === 0) return invalid(`${field} must not be empty.`);
  if (value.length > rule.max) return invalid(`${field} is too long (${value.length} characters; at most ${rule.max}).`);
  if (value.includes('\u0000')) return invalid(`${field} must not contain NUL characters.`);
  if (rule.singleLine && CONTROL_CHARS.test(value)) return invalid(`${field} must not contain control characters.`);
  return ok(value);
}

function checkOptionalString(value: unknown, field: string, rule: StringRule): V<string | undefined> {
  if (value === undefined) return ok(undefined);
  return checkString(value, field, rule);
}

/** Opaque identifier (case id, task id): bounded, printable, no path separators. */
export function validateId(value: unknown, field: string): V<string> {
  const s = checkString(value, field, { max: LIMITS.id, nonEmpty: true, singleLine: true });
  if (!s.ok) return s;
  if (/[/\\]/.test(s.value) || s.value === '.' || s.value === '..' || s.value.trim() !== s.value) {
    return invalid(`${field} is not a valid identifier.`);
  }
  return s;
}

/** A case id as the engine mints it (16 lower-case hex digits); nothing else reaches the engine. */
export function validateCaseId(value: unknown, field = 'caseId'): V<string> {
  if (typeof value !== 'string') return invalid(`${field} must be a string, got ${describe(value)}.`);
  if (!CASE_ID_RE.test(value)) return invalid(`${field} is not a case id (16 lower-case hexadecimal digits).`);
  return ok(value);
}

/** A database row id: a positive safe integer. */
export function validateRowId(value: unknown, field: string): V<number> {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    return invalid(`${field} must be a positive integer, got ${typeof value === 'number' ? String(value) : describe(value)}.`);
  }
  return ok(value);
}

/** A frame index or face number: an integer from 0. */
export function validateIndex(value: unknown, field: string): V<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > LIMITS.indexMax) {
    return invalid(`${field} must be an integer from 0 to ${LIMITS.indexMax}, got ${typeof value === 'number' ? String(value) : describe(value)}.`);
  }
  return ok(value);
}

/** A probability threshold from 0 to 1. */
export function validateThreshold(value: unknown, field = 'threshold'): V<number> {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    return invalid(`${field} must be a number from 0 to 1, got ${typeof value === 'number' ? String(value) : describe(value)}.`);
  }
  return ok(value);
}

/** A frame offset between two videos (reference index = suspect index + offset). */
export function validateOffset(value: unknown, field = 'offset'): V<number> {
  const max = 1_000_000; // frames: hours of video either way
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > max) {
    return invalid(`${field} must be an integer from -${max} to ${max}, got ${typeof value === 'number' ? String(value) : describe(value)}.`);
  }
  return ok(value);
}

/** An examiner's name: one line, not blank. */
export function validateExaminer(value: unknown, field = 'examiner'): V<string> {
  return checkString(value, field, { max: LIMITS.examiner, nonEmpty: true, singleLine: true });
}

/** An absolute path on this machine (platform rules; NUL and control characters rejected). */
export function validateAbsolutePath(value: unknown, field = 'path'): V<string> {
  return validateFolder(value, field);
}

/** An absolute folder path on this machine (platform rules; NUL and control characters rejected). */
export function validateFolder(value: unknown, field = 'folder'): V<string> {
  const s = checkString(value, field, { max: LIMITS.folder, nonEmpty: true, singleLine: true });
  if (!s.ok) return s;
  if (!path.isAbsolute(s.value)) {
    return invalid(`${field} must be an absolute path (got a relative path: ${JSON.stringify(s.value.slice(0, 200))}).`);
  }
  return s;
}

export function validateOpenCaseRequest(value: unknown): V<OpenCaseRequest> {
  if (!isPlainObject(value)) return invalid(`openCase expects an object, got ${describe(value)}.`);
  const keys = checkKeys(value, ['folder', 'name', 'number', 'examiner'], 'openCase');
  if (!keys.ok) return keys;
  const folder = validateFolder(value.folder);
  if (!folder.ok) return folder;
  const name = checkOptionalString(value.name, 'name', { max: LIMITS.name, singleLine: true });
  if (!name.ok) return name;
  const number = checkOptionalString(value.number, 'number', { max: LIMITS.number, singleLine: true });
  if (!number.ok) return number;
  const examiner = checkOptionalString(value.examiner, 'examiner', { max: LIMITS.examiner, singleLine: true });
  if (!examiner.ok) return examiner;
  const req: OpenCaseRequest = { folder: folder.value };
  if (name.value !== undefined) req.name = name.value;
  if (number.value !== undefined) req.number = number.value;
  if (examiner.value !== undefined) req.examiner = examiner.value;
  return ok(req);
}

export function validateFrames(value: unknown): V<number> {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return invalid(`frames must be an integer, got ${typeof value === 'number' ? String(value) : describe(value)}.`);
  }
  if (value < LIMITS.framesMin || value > LIMITS.framesMax) {
    return invalid(`frames must be between ${LIMITS.framesMin} and ${LIMITS.framesMax}, got ${value}.`);
  }
  return ok(value);
}

export function validateAnalysisRequest(value: unknown): V<AnalysisRequest> {
  if (!isPlainObject(value)) return invalid(`startAnalysis expects an object, got ${describe(value)}.`);
  const keys = checkKeys(value, ['caseId', 'frames'], 'startAnalysis');
  if (!keys.ok) return keys;
  const caseId = validateCaseId(value.caseId);
  if (!caseId.ok) return caseId;
  const req: AnalysisRequest = { caseId: caseId.value };
  if (value.frames !== undefined) {
    const frames = validateFrames(value.frames);
    if (!frames.ok) return frames;
    req.frames = frames.value;
  }
  return ok(req);
}

/**
 * A review: decision, category and note are each optional (left out: keep the face's current
 * value) or null (clear it); the examiner's name is required.
 */
export function validateReviewRequest(value: unknown): V<ReviewRequest> {
  if (!isPlainObject(value)) return invalid(`submitReview expects an object, got ${describe(value)}.`);
  const keys = checkKeys(value, ['caseId', 'evidenceId', 'frameIndex', 'faceNo', 'decision', 'category', 'note', 'examiner'], 'submitReview');
  if (!keys.ok) return keys;
  const caseId = validateCaseId(value.caseId);
  if (!caseId.ok) return caseId;
  const evidenceId = validateRowId(value.evidenceId, 'evidenceId');
  if (!evidenceId.ok) return evidenceId;
  const frameIndex = validateIndex(value.frameIndex, 'frameIndex');
  if (!frameIndex.ok) return frameIndex;
  const faceNo = validateIndex(value.faceNo, 'faceNo');
  if (!faceNo.ok) return faceNo;
  const examiner = checkString(value.examiner, 'examiner', { max: LIMITS.examiner, nonEmpty: true, singleLine: true });
  if (!examiner.ok) return examiner;
  if (examiner.value.trim() === '') return invalid('examiner must not be blank.');
  const req: ReviewRequest = { caseId: caseId.value, evidenceId: evidenceId.value, frameIndex: frameIndex.value, faceNo: faceNo.value, examiner: examiner.value };
  if (value.decision !== undefined) {
    if (value.decision !== null && !REVIEW_DECISIONS.includes(value.decision as ReviewDecision)) {
      return invalid(`decision must be one of ${REVIEW_DECISIONS.join(', ')} or null.`);
    }
    req.decision = value.decision as ReviewDecision | null;
  }
  if (value.category !== undefined) {
    const c = value.category;
    if (c !== null && (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > LIMITS.categoryMax)) {
      return invalid(`category must be an integer from 0 to ${LIMITS.categoryMax} or null, got ${typeof c === 'number' ? String(c) : describe(c)}.`);
    }
    req.category = c as number | null;
  }
  if (value.note !== undefined) {
    if (value.note === null) req.note = null;
    else {
      const note = checkString(value.note, 'note', { max: LIMITS.note });
      if (!note.ok) return note;
      req.note = note.value;
    }
  }
  return ok(req);
}

/** Between `min` and `max` positional arguments (optional trailing arguments). */
export function validateArityRange(args: readonly unknown[], min: number, max: number, op: string): V<true> {
  if (!Array.isArray(args)) return invalid(`${op}: arguments must be a list.`);
  if (args.length < min || args.length > max) return invalid(`${op} takes ${min} to ${max} arguments, got ${args.length}.`);
  return ok(true);
}

/** Exactly `count` positional arguments (IPC callers can send any number). */
export function validateArity(args: readonly unknown[], count: number, op: string): V<true> {
  if (!Array.isArray(args)) return invalid(`${op}: arguments must be a list.`);
  if (args.length !== count) {
    return invalid(`${op} takes ${count} argument${count === 1 ? '' : 's'}, got ${args.length}.`);
  }
  return ok(true);
}

/** Origin the renderer is served from (see main/index.ts). */
export const APP_ORIGIN = 'app://deepscan';

/** True for URLs of our own renderer (app://deepscan/…), false for anything else, malformed included. */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string' || url.length > 8192) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'app:' && parsed.host === 'deepscan' && parsed.username === '' && parsed.password === '';
}
