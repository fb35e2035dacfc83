/**
 * The closed schema of model manifests (issue 10). Every field is checked, unknown keys are
 * refused, and each failure names the manifest file and the field, so a forged manifest (an
 * `architecture.variant` of `../../evidence`, a NaN mean, an extra key) is a named refusal
 * rather than a path, a silent default or a wrong score later.
 *
 * Two shapes: the installed manifest (`models/<id>/manifest.json`, written by Deepscan and
 * re-checked on every read) and the import manifest given with an ONNX file (`--manifest`),
 * which only describes the model; the id, hashes and sources are Deepscan's to fill in.
 */
import { DeepscanError } from '../util/errors.js';
import { releaseCard } from './release.js';

export const VARIANTS = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'] as const;
export type Variant = (typeof VARIANTS)[number];
export const SOURCE_FORMATS = ['torch-legacy', 'torch-zip', 'onnx'] as const;
/** The preprocessing divides 8-bit pixels by 255 (preprocess.ts); no other scale is honoured. */
export const PIXEL_SCALE = 1 / 255;
export const MIN_INPUT_SIZE = 32;
export const MAX_INPUT_SIZE = 1024;
export const MAX_SOURCES = 64;
/** Model ids: content-derived only (see model-store.ts), so this pattern is also a safe folder name. */
export const MODEL_ID_PATTERN = /^(?:efficientnet-b[0-7]|onnx)-[0-9a-f]{12}$/;
/** Display names: letters, digits, space and a few separators; never a path. */
export const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._()+-]{0,99}$/u;
const TENSOR_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const FILE_NAME = /^[^/\\\p{Cc}]{1,255}$/u;

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, msg: string): never {
    throw new DeepscanError('model-invalid', `${this.file}: manifest field ${field} ${msg}`, { file: this.file });
  }

  /** An object with exactly the allowed keys (the required ones present). */
  obj(v: unknown, field: string, required: readonly string[], optional: readonly string[] = []): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    const o = v as Obj;
    for (const k of Object.keys(o)) {
      if (!required.includes(k) && !optional.includes(k)) this.fail(field ? `${field}.${k}` : k, 'is not a known field');
    }
    for (const k of required) if (!Object.hasOwn(o, k)) this.fail(field ? `${field}.${k}` : k, 'is missing');
    return o;
  }

  str(v: unknown, field: string, re: RegExp, what: string): string {
    if (typeof v !== 'string' || !re.test(v)) this.fail(field, `must be ${what} (got ${describe(v)})`);
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) this.fail(field, `must be one of ${values.join(', ')} (got ${describe(v)})`);
    return v as T;
  }

  int(v: unknown, field: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.fail(field, `must be an integer from ${min} to ${max} (got ${describe(v)})`);
    return v;
  }

  num(v: unknown, field: string, min: number, max: number, minExclusive = false): number {
    const ok = typeof v === 'number' && Number.isFinite(v) && (minExclusive ? v > min : v >= min) && v <= max;
    if (!ok) this.fail(field, `must be a finite number ${minExclusive ? 'above' : 'from'} ${min} ${minExclusive ? 'up ' : ''}to ${max} (got ${describe(v)})`);
    return v as number;
  }

  triple(v: unknown, field: string, min: number, max: number, minExclusive: boolean): [number, number, number] {
    if (!Array.isArray(v) || v.length !== 3) this.fail(field, `must be 3 numbers, one per RGB channel (got ${describe(v)})`);
    return [0, 1, 2].map((i) => this.num(v[i], `${field}[${i}]`, min, max, minExclusive)) as [number, number, number];
  }

  nullable<T>(v: unknown, check: (x: unknown) => T): T | null {
    return v === null ? null : check(v);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return v === null ? 'null' : typeof v;
}

export interface ManifestInput {
  name: string;
  size: number;
  layout: 'NCHW';
  colour: 'RGB';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

function checkInput(c: Checker, v: unknown, field: string, full: boolean): ManifestInput {
  const keys = ['size', 'mean', 'std'];
  const rest = ['name', 'layout', 'colour', 'scale'];
  const o = c.obj(v, field, full ? [...keys, ...rest] : keys, full ? [] : rest);
  const scale = o.scale === undefined ? PIXEL_SCALE : c.num(o.scale, `${field}.scale`, 0, 1, true);
  if (Math.abs(scale - PIXEL_SCALE) > 1e-12) c.fail(`${field}.scale`, `must be 1/255, the only scale the preprocessing applies (got ${scale})`);
  return {
    name: o.name === undefined ? 'input' : c.str(o.name, `${field}.name`, TENSOR_NAME, 'an ONNX input name'),
    size: c.int(o.size, `${field}.size`, MIN_INPUT_SIZE, MAX_INPUT_SIZE),
    layout: o.layout === undefined ? 'NCHW' : c.oneOf(o.layout, `${field}.layout`, ['NCHW'] as const),
    colour: o.colour === undefined ? 'RGB' : c.oneOf(o.colour, `${field}.colour`, ['RGB'] as const),
    scale: PIXEL_SCALE,
    // On pixels scaled to [0, 1]: a mean outside it or a zero/huge std is not a real normalisation.
    mean: c.triple(o.mean, `${field}.mean`, 0, 1, false),
    std: c.triple(o.std, `${field}.std`, 0.001, 1, false),
  };
}

function checkOutput(c: Checker, v: unknown, field: string, full: boolean): { logit: string; prob: string | null } {
  const o = c.obj(v, field, full ? ['logit', 'prob'] : [], full ? [] : ['logit', 'prob']);
  return {
    logit: o.logit === undefined ? 'logit' : c.str(o.logit, `${field}.logit`, TENSOR_NAME, 'an ONNX output name'),
    prob: o.prob === undefined ? null : c.nullable(o.prob, (x) => c.str(x, `${field}.prob`, TENSOR_NAME, 'an ONNX output name or null')),
  };
}

/** What an import manifest (`--manifest`, beside an ONNX file) may say. */
export interface ImportManifest {
  name: string | null;
  variant: Variant;
  features: number;
  input: ManifestInput;
  output: { logit: string; prob: string | null };
  /** When given, the ONNX file must hash to it. */
  onnxSha256: string | null;
}

export function checkImportManifest(raw: unknown, file: string): ImportManifest {
  const c: Checker = new Checker(file);
  // Required fields are checked in reading order (architecture first), so the first missing one is named.
  const o = c.obj(raw, '', [], ['architecture', 'input', 'name', 'kind', 'output', 'onnxSha256']);
  if (o.architecture === undefined) c.fail('architecture', 'is missing');
  if (o.kind !== undefined) c.oneOf(o.kind, 'kind', ['deepfake-classifier'] as const);
  const arch = c.obj(o.architecture, 'architecture', ['variant'], ['family', 'features']);
  if (arch.family !== undefined) c.oneOf(arch.family, 'architecture.family', ['efficientnet'] as const);
  return {
    name: o.name === undefined ? null : c.str(o.name, 'name', NAME_PATTERN, 'a name of 1–100 letters, digits, spaces or ._()+-'),
    variant: c.oneOf(arch.variant, 'architecture.variant', VARIANTS),
    features: arch.features === undefined ? 0 : c.int(arch.features, 'architecture.features', 0, 10_000),
    input: o.input === undefined ? c.fail('input', 'is missing') : checkInput(c, o.input, 'input', false),
    output: o.output === undefined ? { logit: 'logit', prob: null } : checkOutput(c, o.output, 'output', false),
    onnxSha256: o.onnxSha256 === undefined ? null : c.str(o.onnxSha256, 'onnxSha256', SHA256, 'a lower-case hex SHA-256'),
  };
}

/**
 * Checks an installed manifest read from `file` in the folder `dirName`, field by field, and
 * returns it unchanged when valid. The id must be the folder's name and agree with the hash.
 */
export function checkInstalledManifest<T>(raw: unknown, file: string, dirName: string, maxBytes: number): T {
  const c: Checker = new Checker(file);
  const fields = ['id', 'name', 'kind', 'architecture', 'input', 'output', 'onnxSha256', 'onnxBytes', 'sources', 'checkpoint', 'builderVersion', 'softwareVersion', 'createdAt'];
  // Unknown keys first, then the id (what a forged manifest most wants to change), then the rest.
  // card (issue 12) is optional: manifests written before it have none.
  const o = c.obj(raw, '', [], [...fields, 'card']);
  const id = c.str(o.id, 'id', MODEL_ID_PATTERN, 'a content-derived model id');
  if (id !== dirName) c.fail('id', `is ${id} but the model folder is ${JSON.stringify(dirName)}`);
  c.obj(raw, '', fields, ['card']);
  c.str(o.name, 'name', NAME_PATTERN, 'a name of 1–100 letters, digits, spaces or ._()+-');
  c.oneOf(o.kind, 'kind', ['deepfake-classifier'] as const);
  const arch = c.obj(o.architecture, 'architecture', ['family', 'variant', 'features', 'parameters', 'inputSize']);
  c.oneOf(arch.family, 'architecture.family', ['efficientnet'] as const);
  const variant = c.oneOf(arch.variant, 'architecture.variant', VARIANTS);
  c.int(arch.features, 'architecture.features', 0, 10_000);
  c.nullable(arch.parameters, (x) => c.int(x, 'architecture.parameters', 0, 1e9));
  const inputSize = c.int(arch.inputSize, 'architecture.inputSize', MIN_INPUT_SIZE, MAX_INPUT_SIZE);
  const input = checkInput(c, o.input, 'input', true);
  if (input.size !== inputSize) c.fail('input.size', `is ${input.size} but architecture.inputSize is ${inputSize}`);
  checkOutput(c, o.output, 'output', true);
  const sha = c.str(o.onnxSha256, 'onnxSha256', SHA256, 'a lower-case hex SHA-256');
  if (!id.endsWith(`-${sha.slice(0, 12)}`)) c.fail('id', `does not derive from onnxSha256 ${sha}`);
  if (id.startsWith('efficientnet-') && !id.startsWith(`efficientnet-${variant}-`)) c.fail('id', `does not match architecture.variant ${variant}`);
  c.int(o.onnxBytes, 'onnxBytes', 1, maxBytes);
  const sources = o.sources;
  if (!Array.isArray(sources) || sources.length < 1 || sources.length > MAX_SOURCES) c.fail('sources', `must be an array of 1 to ${MAX_SOURCES} sources (got ${describe(sources)})`);
  sources.forEach((s: unknown, i: number) => {
    const f = `sources[${i}]`;
    const so = c.obj(s, f, ['fileName', 'sha256', 'bytes', 'format', 'importedAt']);
    c.str(so.fileName, `${f}.fileName`, FILE_NAME, 'a file name without a path');
    c.str(so.sha256, `${f}.sha256`, SHA256, 'a lower-case hex SHA-256');
    c.int(so.bytes, `${f}.bytes`, 0, maxBytes);
    c.oneOf(so.format, `${f}.format`, SOURCE_FORMATS);
    c.str(so.importedAt, `${f}.importedAt`, ISO_TIME, 'an ISO-8601 UTC time');
  });
  c.nullable(o.checkpoint, (x) => {
    const ck = c.obj(x, 'checkpoint', ['epoch', 'bceBest']);
    c.nullable(ck.epoch, (e) => c.int(e, 'checkpoint.epoch', 0, 1e6));
    c.nullable(ck.bceBest, (b) => c.num(b, 'checkpoint.bceBest', -1e6, 1e6));
    return ck;
  });
  if (o.card !== undefined) checkCard(c, o.card, variant);
  c.nullable(o.builderVersion, (x) => c.int(x, 'builderVersion', 1, 1000));
  c.str(o.softwareVersion, 'softwareVersion', /^[0-9A-Za-z.+-]{1,64}$/, 'a version string');
  c.str(o.createdAt, 'createdAt', ISO_TIME, 'an ISO-8601 UTC time');
  return raw as T;
}

/**
 * A card is Deepscan's own text for a released B7: it must be exactly the card releaseCard()
 * gives for its member's file name and this manifest's variant, so a hand-edited manifest
 * cannot give an arbitrary model the published detector's card or claims.
 */
function checkCard(c: Checker, v: unknown, variant: string): void {
  const card = c.obj(v, 'card', ['ensemble', 'member', 'source', 'licence', 'trainingData', 'inputSize', 'publishedAccuracy', 'knownLimits']);
  const member = c.obj(card.member, 'card.member', ['fileName', 'seed', 'epoch']);
  const fileName = c.str(member.fileName, 'card.member.fileName', FILE_NAME, 'a file name');
  const expected = releaseCard(fileName, variant);
  if (!expected) c.fail('card', `is only given to the released B7 checkpoints (got ${describe(fileName)} with architecture ${variant})`);
  if (JSON.stringify(sortKeys(v)) !== JSON.stringify(sortKeys(expected))) c.fail('card', 'differs from the published release\'s card');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Obj)[k])]));
}
