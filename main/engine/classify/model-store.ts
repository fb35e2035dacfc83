import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { DeepscanError, errorMessage, isDeepscanError } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { buildDeepfakeClassifierOnnx, DEFAULT_INPUT_SIZE } from './efficientnet/onnx.js';
import { checkImportManifest, checkInstalledManifest, MODEL_ID_PATTERN, NAME_PATTERN, VARIANTS, type Variant } from './manifest-schema.js';
import { MAX_MANIFEST_BYTES, MAX_MODEL_FILE_BYTES, readRegularFile } from './model-file.js';
import { checkOnnxRuns, type OnnxContract } from './onnx-check.js';
import { releaseCard, type ModelCard } from './release.js';
import { parseTorchCheckpoint } from './torch/checkpoint.js';

/**
 * Installed classifier models: `$DEEPSCAN_HOME/models/<id>/{model.onnx, manifest.json}`.
 * A model's id is derived from its ONNX bytes, so the same weights imported from a legacy and
 * a zip-format checkpoint are one model (with both sources recorded). Every score in a case
 * names the model id and the ONNX SHA-256, and the ONNX bytes are re-hashed when loaded.
 *
 * Nothing a user writes reaches a path (issue 10): the id is `efficientnet-<variant>-<sha12>`
 * for a checkpoint, where the variant is inferred from the weights' shapes (so from content),
 * and `onnx-<sha12>` for an ONNX file, whose manifest's claims are not used in the id. Names,
 * variants and file names only ever land inside manifest.json, which is checked against a
 * closed schema (manifest-schema.ts) when imported and every time it is read back.
 */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
/** Bumped when the builder's output for the same checkpoint could change. */
export const ONNX_BUILDER_VERSION = 1;

export interface ModelSource {
  fileName: string;
  sha256: string;
  bytes: number;
  format: 'torch-legacy' | 'torch-zip' | 'onnx';
  importedAt: string;
}

export interface ModelManifest {
  id: string;
  name: string;
  kind: 'deepfake-classifier';
  architecture: { family: 'efficientnet'; variant: string; features: number; parameters: number | null; inputSize: number };
  input: { name: string; size: number; layout: 'NCHW'; colour: 'RGB'; scale: number; mean: number[]; std: number[] };
  output: { logit: string; prob: string | null };
  onnxSha256: string;
  onnxBytes: number;
  sources: ModelSource[];
  checkpoint: { epoch: number | null; bceBest: number | null } | null;
  builderVersion: number | null;
  softwareVersion: string;
  createdAt: string;
  /** Present only for a released DFDC-winner B7 (release.ts); absent → a test model. */
  card?: ModelCard;
}

export function modelsRoot(home: string): string {
  return join(home, 'models');
}

/** An entry of the models folder that is not a valid installed model. */
export interface InvalidModel {
  /** The entry's name in the models folder. */
  dir: string;
  error: DeepscanError;
}

/**
 * Every entry of the models folder, valid or not. Invalid ones are reported, never dropped:
 * a silently skipped model would silently change the ensemble an analysis runs.
 */
export async function scanModels(home: string): Promise<{ models: ModelManifest[]; invalid: InvalidModel[] }> {
  const root = modelsRoot(home);
  const names = await readdir(root).catch(() => [] as string[]);
  const models: ModelManifest[] = [];
  const invalid: InvalidModel[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.')) continue; // staging folders of imports in progress (and dot files)
    try {
      models.push(await readManifest(root, n));
    } catch (e) {
      invalid.push({ dir: n, error: isDeepscanError(e) ? e : new DeepscanError('model-invalid', `${join(root, n)}: ${errorMessage(e)}`, { file: join(root, n) }) });
    }
  }
  return { models, invalid };
}

/**
 * The installed models. Fails with the first invalid one's named error (manifest file and
 * field) rather than hiding it: analysis runs every installed model by default, and must not
 * quietly run without one. `deepscan models list` shows valid and invalid ones (scanModels).
 */
export async function listModels(home: string): Promise<ModelManifest[]> {
  const { models, invalid } = await scanModels(home);
  if (invalid.length) {
    const e = invalid[0].error;
    const more = invalid.length > 1 ? ` (and ${invalid.length - 1} more)` : '';
    throw new DeepscanError(e.code, `${e.message}${more}; remove it with "deepscan models remove ${invalid[0].dir}" or re-import it`, e.file !== undefined ? { file: e.file } : undefined);
  }
  return models;
}

function checkId(id: string): void {
  if (!MODEL_ID_PATTERN.test(id)) throw new DeepscanError('invalid-argument', `not a model id: ${JSON.stringify(id.slice(0, 100))} (ids look like efficientnet-b0-0123456789ab)`);
}

export async function getModel(home: string, id: string): Promise<{ manifest: ModelManifest; onnxPath: string }> {
  checkId(id);
  const root = modelsRoot(home);
  if (!(await lstat(join(root, id)).catch(() => null))) {
    throw new DeepscanError('model-invalid', `model ${id} is not installed; see "deepscan models list"`);
  }
  const manifest = await readManifest(root, id);
  return { manifest, onnxPath: join(root, id, 'model.onnx') };
}

/** Loads a model's ONNX bytes and checks them against the manifest's SHA-256. */
export async function loadVerifiedOnnx(home: string, id: string): Promise<{ manifest: ModelManifest; bytes: Buffer }> {
  const { manifest, onnxPath } = await getModel(home, id);
  const bytes = await readRegularFile(onnxPath, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'installed model' });
  const actual = sha256(bytes);
  if (actual !== manifest.onnxSha256) {
    throw new DeepscanError('model-invalid', `${onnxPath}: model file does not match its manifest (SHA-256 ${actual}, expected ${manifest.onnxSha256}); re-import the model`, { file: onnxPath });
  }
  return { manifest, bytes };
}

/** Uninstalls a model, also one whose manifest is invalid (manifest null then). */
export async function removeModel(home: string, id: string): Promise<{ id: string; manifest: ModelManifest | null }> {
  checkId(id);
  const root = modelsRoot(home);
  const dir = join(root, id);
  const st = await lstat(dir).catch(() => null);
  if (!st) throw new DeepscanError('model-invalid', `model ${id} is not installed; see "deepscan models list"`);
  const manifest = await readManifest(root, id).catch(() => null);
  // A symlink is unlinked, never followed: removal cannot reach outside the models folder.
  await rm(dir, { recursive: st.isDirectory(), force: true });
  return { id, manifest };
}

export interface ImportResult {
  manifest: ModelManifest;
  /** False when the same ONNX model was already installed (the source is added to it). */
  created: boolean;
  /** Time spent loading and test-running the model in onnxruntime (null when already installed). */
  loadCheckMs: number | null;
}

type PartialManifest = Omit<ModelManifest, 'id' | 'name' | 'onnxSha256' | 'onnxBytes' | 'sources' | 'createdAt' | 'softwareVersion'>;

/**
 * Imports a PyTorch checkpoint (legacy or zip torch.save; read by the allow-list parser, never
 * executed) or an ONNX file with a manifest, checks that the model runs, and installs it
 * atomically. Only regular files are read, within MAX_MODEL_FILE_BYTES (model-file.ts).
 */
export async function importModel(home: string, file: string, opts: { name?: string; manifestFile?: string } = {}): Promise<ImportResult> {
  if (opts.name !== undefined && !NAME_PATTERN.test(opts.name)) {
    throw new DeepscanError('invalid-argument', `--name ${JSON.stringify(opts.name.slice(0, 100))}: a model name is 1–100 letters, digits, spaces or ._()+- and starts with a letter or digit`);
  }
  const isOnnx = extname(file).toLowerCase() === '.onnx';
  if (!isOnnx && opts.manifestFile) throw new DeepscanError('invalid-argument', '--manifest is only for ONNX files');
  // Checked before the model file is read: a missing or bad manifest costs nothing.
  const claimed = isOnnx ? await readImportManifest(file, opts.manifestFile) : null;
  const fileBytes = await readRegularFile(file, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'model file' });
  const sourceSha = sha256(fileBytes);
  const now = new Date().toISOString();
  let onnx: Uint8Array;
  let partial: PartialManifest;
  let format: ModelSource['format'];
  let variant: Variant;
  let name = opts.name ?? null;
  if (claimed) {
    format = 'onnx';
    onnx = fileBytes;
    variant = claimed.variant;
    name ??= claimed.name;
    if (claimed.onnxSha256 !== null && claimed.onnxSha256 !== sourceSha) {
      throw new DeepscanError('model-invalid', `${opts.manifestFile}: manifest says onnxSha256 ${claimed.onnxSha256} but ${file} hashes to ${sourceSha}`, { file });
    }
    partial = {
      kind: 'deepfake-classifier',
      architecture: { family: 'efficientnet', variant, features: claimed.features, parameters: null, inputSize: claimed.input.size },
      input: claimed.input,
      output: claimed.output,
      checkpoint: null,
      builderVersion: null,
    };
  } else {
    const ckpt = parseTorchCheckpoint(new Uint8Array(fileBytes.buffer, fileBytes.byteOffset, fileBytes.byteLength), file);
    format = ckpt.format === 'zip' ? 'torch-zip' : 'torch-legacy';
    const built = buildDeepfakeClassifierOnnx(ckpt, { inputSize: DEFAULT_INPUT_SIZE, file: basename(file) });
    // Inferred from the weights' shapes; checked anyway, since it becomes part of a folder name.
    if (!(VARIANTS as readonly string[]).includes(built.arch.variant)) throw new DeepscanError('internal', `${file}: unexpected architecture variant ${built.arch.variant}`);
    variant = built.arch.variant as Variant;
    onnx = built.bytes;
    partial = {
      kind: 'deepfake-classifier',
      architecture: { family: 'efficientnet', variant, features: built.arch.features, parameters: built.arch.parameters, inputSize: built.arch.inputSize },
      input: { name: 'input', size: built.arch.inputSize, layout: 'NCHW', colour: 'RGB', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD },
      output: { logit: 'logit', prob: 'prob' },
      // Informational values from the pickle: kept only when they are what they claim to be.
      checkpoint: {
        epoch: ckpt.epoch !== null && Number.isSafeInteger(ckpt.epoch) && ckpt.epoch >= 0 && ckpt.epoch <= 1e6 ? ckpt.epoch : null,
        bceBest: ckpt.bceBest !== null && Number.isFinite(ckpt.bceBest) && Math.abs(ckpt.bceBest) <= 1e6 ? ckpt.bceBest : null,
      },
      builderVersion: ONNX_BUILDER_VERSION,
    };
  }
  const onnxSha = sha256(onnx);
  const source: ModelSource = { fileName: safeFileName(file), sha256: sourceSha, bytes: fileBytes.length, format, importedAt: now };
  const root = modelsRoot(home);
  await mkdir(root, { recursive: true });

  // The same ONNX bytes are the same model, whichever way they arrive.
  const { models } = await scanModels(home);
  const same = models.find((m) => m.onnxSha256 === onnxSha);
  // Only for weights read from a checkpoint: an ONNX file's variant is its manifest's claim.
  const card = claimed ? null : releaseCard(basename(file), variant);
  if (same) return { manifest: await addSource(root, same, source, card), created: false, loadCheckMs: null };

  const id = claimed ? `onnx-${onnxSha.slice(0, 12)}` : `efficientnet-${variant}-${onnxSha.slice(0, 12)}`;
  const dir = installDir(root, id);
  if (await lstat(dir).catch(() => null)) {
    // Present but not listed as valid: readManifest names what is wrong with it.
    await readManifest(root, id);
    throw new DeepscanError('model-invalid', `${dir}: a model folder for ${id} exists but holds another model; remove it with "deepscan models remove ${id}"`, { file: dir });
  }
  const t0 = performance.now();
  const contract: OnnxContract = { input: partial.input, output: partial.output };
  await checkOnnxRuns(onnx, contract, file);
  const loadCheckMs = performance.now() - t0;

  const manifest: ModelManifest = {
    id, name: name ?? defaultName(file), ...partial, onnxSha256: onnxSha, onnxBytes: onnx.length, sources: [source],
    softwareVersion: softwareVersion(), createdAt: now, ...(card ? { card } : {}),
  };
  checkInstalledManifest(JSON.parse(JSON.stringify(manifest)), join(dir, 'manifest.json'), id, MAX_MODEL_FILE_BYTES);
  // Build the model folder aside, then rename: a crash never leaves a half-installed model.
  const staging = await mkdtemp(join(root, '.staging-'));
  try {
    await writeFile(join(staging, 'model.onnx'), onnx, { flag: 'wx' });
    await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    // Another import of the same model won the race: that one is installed.
    const winner = await readManifest(root, id).catch(() => null);
    if (winner && winner.onnxSha256 === onnxSha) return { manifest: await addSource(root, winner, source, card), created: false, loadCheckMs };
    throw new DeepscanError('file-unreadable', `${dir}: cannot install the model (${errorMessage(e)})`, { file: dir, cause: e });
  }
  return { manifest, created: true, loadCheckMs };
}

/** `<root>/<id>`, refusing anything that would not be a direct child of the models folder. */
function installDir(root: string, id: string): string {
  const dir = join(root, id);
  if (!MODEL_ID_PATTERN.test(id) || relative(root, dir) !== id) throw new DeepscanError('internal', `refusing to install model ${JSON.stringify(id)} outside ${root}`);
  return dir;
}

async function addSource(root: string, m: ModelManifest, source: ModelSource, card: ModelCard | null = null): Promise<ModelManifest> {
  // A model installed before cards existed gets its card when its released file is imported again.
  const addCard = card !== null && !m.card;
  if (!addCard && m.sources.some((s) => s.sha256 === source.sha256)) return m;
  const sources = m.sources.some((s) => s.sha256 === source.sha256) || m.sources.length >= 64 ? m.sources : [...m.sources, source];
  const next: ModelManifest = { ...m, sources, ...(addCard ? { card } : {}) };
  const file = join(installDir(root, m.id), 'manifest.json');
  checkInstalledManifest(JSON.parse(JSON.stringify(next)), file, m.id, MAX_MODEL_FILE_BYTES);
  await writeJsonAtomic(file, next);
  return next;
}

async function readImportManifest(file: string, manifestFile: string | undefined) {
  if (!manifestFile) {
    throw new DeepscanError('invalid-argument', `${file}: an ONNX model needs --manifest <file.json> saying its architecture, input size, mean and std`);
  }
  const text = (await readRegularFile(manifestFile, { maxBytes: MAX_MANIFEST_BYTES, what: 'manifest' })).toString('utf8');
  return checkImportManifest(parseJson(text, manifestFile), manifestFile);
}

/** Reads and checks `<root>/<name>/manifest.json`; every failure names the file and the field. */
async function readManifest(root: string, name: string): Promise<ModelManifest> {
  const dir = join(root, name);
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new DeepscanError('model-invalid', `${dir}: not a model folder (it is ${st.isSymbolicLink() ? 'a symbolic link' : 'a file'})`, { file: dir });
  const file = join(dir, 'manifest.json');
  const text = (await readRegularFile(file, { maxBytes: MAX_MANIFEST_BYTES, what: 'manifest' })).toString('utf8');
  const m = checkInstalledManifest<ModelManifest>(parseJson(text, file), file, name, MAX_MODEL_FILE_BYTES);
  const onnxPath = join(dir, 'model.onnx');
  const ost = await lstat(onnxPath).catch(() => null);
  if (!ost?.isFile()) throw new DeepscanError('model-invalid', `${onnxPath}: the model file is ${ost ? 'not a regular file' : 'missing'}; re-import the model`, { file: onnxPath });
  if (ost.size !== m.onnxBytes) throw new DeepscanError('model-invalid', `${onnxPath}: the model file has ${ost.size} bytes, its manifest says ${m.onnxBytes}; re-import the model`, { file: onnxPath });
  return m;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DeepscanError('model-invalid', `${file}: manifest is not valid JSON (${errorMessage(e)})`, { file });
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, file);
}

/** The source's file name as recorded: no control characters or backslashes, at most 255 characters. */
function safeFileName(file: string): string {
  return basename(file).replace(/[\\\p{Cc}]/gu, '_').slice(0, 255) || 'model';
}

/** A display name from the file name, reduced to the characters a name may hold. */
function defaultName(file: string): string {
  const base = basename(file).replace(/\.(pth|pt|ckpt|onnx)$/i, '').replace(/\.(legacy|zip)$/i, '');
  const cleaned = base.replace(/[^\p{L}\p{N} ._()+-]/gu, '_').replace(/^[^\p{L}\p{N}]+/u, '').slice(0, 100);
  return NAME_PATTERN.test(cleaned) ? cleaned : 'model';
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
