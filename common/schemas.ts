/**
 * Argument schemas (valibot) of the workstation operations: the runtime checks of everything
 * the untrusted renderer sends, in one place. The operation table (common/operations.ts)
 * composes them; main validates every call against it before the engine sees anything.
 *
 * Each check keeps the message the hand-written validators gave (tests match on them), so
 * most leaves are `v.custom`/`v.check` with a message function rather than valibot's
 * generic wording. Pure JavaScript: no Node, no DOM (the preload and the renderer bundle it).
 */
import * as v from 'valibot';
import { RELEASE_ENSEMBLE } from './model-card.js';
import { fail, ok, type Result } from './result.js';
import type { AnalysisRequest, CaseDetailsRequest, OpenCaseRequest, ReviewDecision, ReviewQueueFilter, ReviewRequest, ReviewState } from './api.js';
import type { VerdictBand } from './verdict.js';

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
  /** Frame offset between two videos, either way (hours of video). */
  offsetMax: 1_000_000,
  /** A review category's label. */
  categoryLabel: 60,
} as const;

/** Case ids: the first 16 hex digits of the SHA-256 of the evidence folder's canonical path. */
export const CASE_ID_RE = /^[0-9a-f]{16}$/;

export const REVIEW_DECISIONS = ['fake', 'real', 'unsure'] as const satisfies readonly ReviewDecision[];

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const shown = (value: unknown) => (typeof value === 'number' ? String(value) : describe(value));

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * path.isAbsolute of the platform main runs on, without node:path (this module is bundled
 * into the preload and the renderer, which never call it). POSIX: a leading '/'. Windows: a
 * leading separator (root or UNC) or a drive letter followed by a separator ('C:x' is relative).
 */
export function isAbsolutePath(p: string, platform = hostPlatform()): boolean {
  if (platform !== 'win32') return p.startsWith('/');
  return /^[\\/]/.test(p) || /^[A-Za-z]:[\\/]/.test(p);
}

function hostPlatform(): string {
  return (globalThis as { process?: { platform?: string } }).process?.platform ?? 'browser';
}

interface StringRule {
  max: number;
  /** Reject the empty string (no trimming: what you send is what is checked). */
  nonEmpty?: boolean;
  /** Reject all C0 control characters and DEL, not only NUL (single-line fields). */
  singleLine?: boolean;
}

/** A bounded string; the checks run in this order and the first failure is reported. */
export function text(field: string, rule: StringRule) {
  return v.pipe(
    v.string((i) => `${field} must be a string, got ${describe(i.input)}.`),
    v.check((s) => !rule.nonEmpty || s.length > 0, `${field} must not be empty.`),
    v.check((s) => s.length <= rule.max, (i) => `${field} is too long (${String(i.input.length)} characters; at most ${rule.max}).`),
    v.check((s) => !s.includes('\u0000'), `${field} must not contain NUL characters.`),
    v.check((s) => !rule.singleLine || !CONTROL_CHARS.test(s), `${field} must not contain control characters.`),
  );
}

/** Opaque identifier (task id): bounded, printable, no path separators. */
export function identifier(field: string) {
  return v.pipe(
    text(field, { max: LIMITS.id, nonEmpty: true, singleLine: true }),
    v.check((s) => !/[/\\]/.test(s) && s !== '.' && s !== '..' && s.trim() === s, `${field} is not a valid identifier.`),
  );
}

/** A case id as the engine mints it (16 lower-case hex digits); nothing else reaches the engine. */
export function caseId(field = 'caseId') {
  return v.pipe(
    v.string((i) => `${field} must be a string, got ${describe(i.input)}.`),
    v.regex(CASE_ID_RE, `${field} is not a case id (16 lower-case hexadecimal digits).`),
  );
}

/** A database row id: a positive safe integer. */
export function rowId(field: string) {
  return v.custom<number>(
    (n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1,
    (i) => `${field} must be a positive integer, got ${shown(i.input)}.`,
  );
}

/** A frame index or face number: an integer from 0. */
export function index(field: string) {
  return v.custom<number>(
    (n) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= LIMITS.indexMax,
    (i) => `${field} must be an integer from 0 to ${LIMITS.indexMax}, got ${shown(i.input)}.`,
  );
}

/** A probability threshold from 0 to 1. */
export const threshold = v.custom<number>(
  (n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1,
  (i) => `threshold must be a number from 0 to 1, got ${shown(i.input)}.`,
);

/** A frame offset between two videos (reference index = suspect index + offset). */
export const offset = v.custom<number>(
  (n) => typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= LIMITS.offsetMax,
  (i) => `offset must be an integer from -${LIMITS.offsetMax} to ${LIMITS.offsetMax}, got ${shown(i.input)}.`,
);

/** Frames sampled per video. */
export const frames = v.custom<number>(
  (n) => typeof n === 'number' && Number.isInteger(n) && n >= LIMITS.framesMin && n <= LIMITS.framesMax,
  (i) => (typeof i.input === 'number' && Number.isInteger(i.input)
    ? `frames must be between ${LIMITS.framesMin} and ${LIMITS.framesMax}, got ${i.input}.`
    : `frames must be an integer, got ${shown(i.input)}.`),
);

/** An examiner's name: one line, not blank. */
export function examiner(field = 'examiner') {
  return v.pipe(
    text(field, { max: LIMITS.examiner, nonEmpty: true, singleLine: true }),
    v.check((s) => s.trim() !== '', `${field} must not be blank.`),
  );
}

/** An absolute path on this machine (platform rules; NUL and control characters rejected). */
export function absolutePath(field: string) {
  return v.pipe(
    text(field, { max: LIMITS.folder, nonEmpty: true, singleLine: true }),
    v.check((s) => isAbsolutePath(s), (i) => `${field} must be an absolute path (got a relative path: ${JSON.stringify(i.input.slice(0, 200))}).`),
  );
}

/** A plain data object (what structured clone and JSON.parse produce), not an array or class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A request object: plain, with no key outside `entries` (own keys, `__proto__` included, are
 * checked before any field), then each field against its schema.
 */
export function request<const E extends v.ObjectEntries>(op: string, entries: E) {
  const allowed = Object.keys(entries);
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, (i) => `${op} expects an object, got ${describe(i.input)}.`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const unknown = Object.keys(dataset.value).find((k) => !allowed.includes(k));
      if (unknown !== undefined) addIssue({ message: `${op}: unknown field ${JSON.stringify(unknown.slice(0, 64))}; allowed: ${allowed.join(', ')}.` });
    }),
    // A required field left out is reported as its own schema reports undefined.
    v.object(entries, (issue) => {
      const key = issue.path?.[0]?.key;
      const entry = typeof key === 'string' ? entries[key] : undefined;
      const r = entry ? check(entry, undefined) : null;
      return r && !r.ok ? r.error.message : `${op}: ${issue.message}`;
    }),
    // A field sent as undefined is the same as one left out: the engine never sees the key.
    v.transform((o) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as typeof o),
  );
}

/** Runs a schema; the first failure becomes an `invalid-argument` Result with its message. */
export function check<S extends v.GenericSchema>(schema: S, value: unknown): Result<v.InferOutput<S>> {
  const parsed = v.safeParse(schema, value, { abortEarly: true });
  return parsed.success ? ok(parsed.output) : fail({ code: 'invalid-argument', message: parsed.issues[0].message });
}

export const openCaseRequest = request('openCase', {
  folder: absolutePath('folder'),
  name: v.optional(text('name', { max: LIMITS.name, singleLine: true })),
  number: v.optional(text('number', { max: LIMITS.number, singleLine: true })),
  examiner: v.optional(text('examiner', { max: LIMITS.examiner, singleLine: true })),
}) satisfies v.GenericSchema<unknown, OpenCaseRequest>;

export const analysisRequest = request('startAnalysis', {
  caseId: caseId(),
  frames: v.optional(frames),
  examiner: v.optional(examiner()),
  ensemble: v.optional(v.picklist([RELEASE_ENSEMBLE], `ensemble must be ${RELEASE_ENSEMBLE}`)),
  // The engine parses it fully (host, port, password, loopback rule); here only its shape.
  queue: v.optional(v.pipe(
    text('queue', { max: 2048, singleLine: true, nonEmpty: true }),
    v.check((u) => /^rediss?:\/\/[^\s]+$/.test(u), 'queue must be a redis:// or rediss:// URL'),
  )),
}) satisfies v.GenericSchema<unknown, AnalysisRequest>;

/**
 * A review: decision, category and note are each optional (left out: keep the face's current
 * value) or null (clear it); the examiner's name is required.
 */
export const reviewRequest = request('submitReview', {
  caseId: caseId(),
  evidenceId: rowId('evidenceId'),
  frameIndex: index('frameIndex'),
  faceNo: index('faceNo'),
  decision: v.optional(v.nullable(v.picklist(REVIEW_DECISIONS, `decision must be one of ${REVIEW_DECISIONS.join(', ')} or null.`))),
  category: v.optional(v.custom<number | null>(
    (c) => c === null || (typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= LIMITS.categoryMax),
    (i) => `category must be an integer from 0 to ${LIMITS.categoryMax} or null, got ${shown(i.input)}.`,
  )),
  note: v.optional(v.nullable(text('note', { max: LIMITS.note }))),
  examiner: examiner(),
}) satisfies v.GenericSchema<unknown, ReviewRequest>;

export const VERDICT_BANDS = ['none', 'weak', 'moderate', 'strong', 'very-strong', 'not-scored'] as const satisfies readonly VerdictBand[];
export const REVIEW_STATES = ['unreviewed', 'needs-decision', 'decided'] as const satisfies readonly ReviewState[];

/** A difference energy bound (mask / 255 is from 0 to 1). */
const energyBound = (field: string) => v.custom<number>(
  (n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1,
  (i) => `${field} must be a number from 0 to 1, got ${shown(i.input)}.`,
);

const listOf = <T extends string>(field: string, values: readonly T[]) => v.pipe(
  v.array(v.picklist(values, `${field} may hold only ${values.join(', ')}.`), `${field} must be a list.`),
  v.check((a) => a.length <= values.length, `${field} lists too many values.`),
);

export const reviewQueueFilter = request('getReviewQueue filter', {
  evidenceId: v.optional(rowId('evidenceId')),
  track: v.optional(index('track')),
  bands: v.optional(listOf('bands', VERDICT_BANDS)),
  decisions: v.optional(listOf('decisions', [...REVIEW_DECISIONS, 'none'] as const)),
  energyMin: v.optional(energyBound('energyMin')),
  energyMax: v.optional(energyBound('energyMax')),
  states: v.optional(listOf('states', REVIEW_STATES)),
}) satisfies v.GenericSchema<unknown, ReviewQueueFilter>;

export const caseDetailsRequest = request('updateCaseDetails', {
  name: v.optional(v.pipe(text('name', { max: LIMITS.name, nonEmpty: true, singleLine: true }), v.check((x) => x.trim() !== '', 'name must not be blank.'))),
  number: v.optional(v.nullable(text('number', { max: LIMITS.number, singleLine: true }))),
  examiner: v.optional(v.nullable(examiner())),
}) satisfies v.GenericSchema<unknown, CaseDetailsRequest>;

/** A review category, 0 to 5. */
export const category = v.custom<number>(
  (c) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= LIMITS.categoryMax,
  (i) => `category must be an integer from 0 to ${LIMITS.categoryMax}, got ${shown(i.input)}.`,
);

/** A category label; null restores the default. */
export const categoryLabel = v.nullable(v.pipe(
  text('label', { max: LIMITS.categoryLabel, nonEmpty: true, singleLine: true }),
  v.check((x) => x.trim() !== '', 'label must not be blank.'),
));

/** The face whose last decision is undone (left out: the case's last decision). */
export const faceKey = request('undoLastReview face', {
  evidenceId: rowId('evidenceId'),
  frameIndex: index('frameIndex'),
  faceNo: index('faceNo'),
});
