import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeepscanError } from '../util/errors.js';
import { bundledModelsDir } from '../util/version.js';

/** The bundled MTCNN nets' folder (DEEPSCAN_MTCNN_DIR overrides it) and their SHA-256s. */
export function mtcnnModelDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DEEPSCAN_MTCNN_DIR ?? join(bundledModelsDir(), 'mtcnn');
}

export function mtcnnChecksums(dir = mtcnnModelDir()): Record<string, string> {
  let manifest: { models?: Record<string, { sha256?: string }> };
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch (e) {
    throw new DeepscanError('model-invalid', `${join(dir, 'manifest.json')}: the face detector's manifest cannot be read (${(e as Error).message}); run "npm run models"`);
  }
  const out: Record<string, string> = {};
  for (const net of ['pnet', 'rnet', 'onet']) {
    const sha = manifest.models?.[net]?.sha256;
    if (!sha) throw new DeepscanError('model-invalid', `${join(dir, 'manifest.json')}: no SHA-256 for ${net}`);
    // The nets on disk must be the ones the manifest (and so every result) names.
    const file = join(dir, `${net}.onnx`);
    let actual: string;
    try {
      actual = createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch (e) {
      throw new DeepscanError('model-invalid', `${file}: the face detector net cannot be read (${(e as Error).message})`, { file });
    }
    if (actual !== sha) throw new DeepscanError('model-invalid', `${file}: SHA-256 ${actual} does not match the manifest (${sha}); run "npm run models"`, { file });
    out[net] = sha;
  }
  return out;
}
