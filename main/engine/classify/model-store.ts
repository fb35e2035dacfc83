import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { DeepscanError, errorMessage } from '../util/errors.js';
import { softwareVersion } from '../util/version.js';
import { buildDeepfakeClassifierOnnx, DEFAULT_INPUT_SIZE } from './efficientnet/onnx.js';
import { readTorchCheckpoint } from './torch/checkpoint.js';

/**
 * Installed classifier models: `$DEEPSCAN_HOME/models/<id>/{model.onnx, manifest.json}`.
 * A model's id is derived from its ONNX bytes, so the same weights imported from a legacy and
 * a zip-format checkpoint are one model (with both sources recorded). Every score in a case
 * names the model id and the ONNX SHA-256, and the ONNX bytes are re-hashed when loaded.
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
}

export function modelsRoot(home: string): string {
  return join(home, 'models');
}

export async function listModels(home: string): Promise<ModelManifest[]> {
  const root = modelsRoot(home);
  const names = await readdir(root).catch(() => [] as string[]);
  const out: ModelManifest[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.')) continue;
    const m = await readManifest(join(root, n)).catch(() => null);
    if (m) out.push(m);
  }
  return out;
}

export async function getModel(home: string, id: string): Promise<{ manifest: ModelManifest; onnxPath: string }> {
  if (!/^[a-z0-9][a-z0-9._-]{0,80}$/.test(id)) throw new DeepscanError('invalid-argument', `not a model id: ${id}`);
  const dir = join(modelsRoot(home), id);
  const manifest = await readManifest(dir).catch((e) => {
    throw new DeepscanError('model-invalid', `model ${id} is not installed (${errorMessage(e)}); see "deepscan models list"`);
  });
  return { manifest, onnxPath: join(dir, 'model.onnx') };
}

/** Loads a model's ONNX bytes and checks them against the manifest's SHA-256. */
export async function loadVerifiedOnnx(home: string, id: string): Promise<{ manifest: ModelManifest; bytes: Buffer }> {
  const { manifest, onnxPath } = await getModel(home, id);
  const bytes = await readFile(onnxPath);
  const actual = sha256(bytes);
  if (actual !== manifest.onnxSha256) {
    throw new DeepscanError('model-invalid', `${onnxPath}: model file does not match its manifest (SHA-256 ${actual}, expected ${manifest.onnxSha256}); re-import the model`, { file: onnxPath });
  }
  return { manifest, bytes };
}

export async function removeModel(home: string, id: string): Promise<ModelManifest> {
  const { manifest } = await getModel(home, id);
  await rm(join(modelsRoot(home), id), { recursive: true, force: true });
  return manifest;
}

export interface ImportResult {
  manifest: ModelManifest;
  /** False when the same ONNX model was already installed (the source is added to it). */
  created: boolean;
}

/**
 * Imports a PyTorch checkpoint (legacy or zip torch.save; read by the allow-list parser, never
 * executed) or an ONNX file with a manifest, and installs it atomically.
 */
export async function importModel(home: string, file: string, opts: { name?: string; manifestFile?: string } = {}): Promise<ImportResult> {
  const fileBytes = await readFile(file).catch((e) => {
    throw new DeepscanError('file-unreadable', `${file}: cannot read the model file (${errorMessage(e)})`, { file });
  });
  const sourceSha = sha256(fileBytes);
  const now = new Date().toISOString();
  let onnx: Uint8Array;
  let partial: Omit<ModelManifest, 'id' | 'name' | 'onnxSha256' | 'onnxBytes' | 'sources' | 'createdAt' | 'softwareVersion'>;
  let format: ModelSource['format'];
  if (extname(file).toLowerCase() === '.onnx') {
    format = 'onnx';
    onnx = fileBytes;
    partial = await onnxManifestFields(file, opts.manifestFile);
  } else {
    if (opts.manifestFile) throw new DeepscanError('invalid-argument', '--manifest is only for ONNX files');
    const ckpt = readTorchCheckpoint(file);
    format = ckpt.format === 'zip' ? 'torch-zip' : 'torch-legacy';
    const built = buildDeepfakeClassifierOnnx(ckpt, { inputSize: DEFAULT_INPUT_SIZE, file: basename(file) });
    onnx = built.bytes;
    partial = {
      kind: 'deepfake-classifier',
      architecture: { family: 'efficientnet', variant: built.arch.variant, features: built.arch.features, parameters: built.arch.parameters, inputSize: built.arch.inputSize },
      input: { name: 'input', size: built.arch.inputSize, layout: 'NCHW', colour: 'RGB', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD },
      output: { logit: 'logit', prob: 'prob' },
      checkpoint: { epoch: ckpt.epoch, bceBest: ckpt.bceBest },
      builderVersion: ONNX_BUILDER_VERSION,
    };
  }
  const onnxSha = sha256(onnx);
  const id = `${partial.architecture.family}-${partial.architecture.variant}-${onnxSha.slice(0, 12)}`;
  const source: ModelSource = { fileName: basename(file), sha256: sourceSha, bytes: fileBytes.length, format, importedAt: now };
  const root = modelsRoot(home);
  const dir = join(root, id);
  await mkdir(root, { recursive: true });
  const existing = await readManifest(dir).catch(() => null);
  if (existing) {
    if (!existing.sources.some((s) => s.sha256 === sourceSha)) {
      existing.sources.push(source);
      await writeJsonAtomic(join(dir, 'manifest.json'), existing);
    }
    return { manifest: existing, created: false };
  }
  const manifest: ModelManifest = {
    id, name: opts.name ?? defaultName(file), ...partial, onnxSha256: onnxSha, onnxBytes: onnx.length, sources: [source],
    softwareVersion: softwareVersion(), createdAt: now,
  };
  // Build the model folder aside, then rename: a crash never leaves a half-installed model.
  const staging = join(root, `.staging-${id}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  await writeFile(join(staging, 'model.onnx'), onnx);
  await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(staging, dir);
  return { manifest, created: true };
}

async function onnxManifestFields(file: string, manifestFile: string | undefined) {
  if (!manifestFile) {
    throw new DeepscanError('invalid-argument', `${file}: an ONNX model needs --manifest <file.json> saying its architecture, input size, mean and std`);
  }
  const raw = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;
  const arch = raw.architecture as Record<string, unknown> | undefined;
  const input = raw.input as Record<string, unknown> | undefined;
  const num3 = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!arch || typeof arch.variant !== 'string' || !input || typeof input.size !== 'number' || !num3(input.mean) || !num3(input.std)) {
    throw new DeepscanError('model-invalid', `${manifestFile}: manifest needs architecture.variant, input.size, input.mean[3] and input.std[3]`, { file: manifestFile });
  }
  return {
    kind: 'deepfake-classifier' as const,
    architecture: { family: 'efficientnet' as const, variant: arch.variant, features: Number(arch.features ?? 0), parameters: null, inputSize: input.size },
    input: { name: String(input.name ?? 'input'), size: input.size, layout: 'NCHW' as const, colour: 'RGB' as const, scale: 1 / 255, mean: input.mean as number[], std: input.std as number[] },
    output: { logit: String((raw.output as Record<string, unknown> | undefined)?.logit ?? 'logit'), prob: null },
    checkpoint: null,
    builderVersion: null,
  };
}

async function readManifest(dir: string): Promise<ModelManifest> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  await stat(join(dir, 'model.onnx'));
  return m;
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, file);
}

function defaultName(file: string): string {
  return basename(file).replace(/\.(pth|pt|ckpt|onnx)$/i, '').replace(/\.(legacy|zip)$/i, '');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
