/** Test-only helpers: fixture paths and ffmpeg frame decoding (not used by the engine). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../../main/engine/faces/pil-resize.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
export const mtcnnDir = process.env.DEEPSCAN_MTCNN_DIR ?? path.join(repoRoot, 'models', 'mtcnn');

/** Decode the given (sorted) frame indices of a video to packed RGB, optionally scaled. */
export async function decodeFrames(file: string, idxs: number[], width: number, height: number, scale?: { w: number; h: number }): Promise<RgbImage[]> {
  const expr = idxs.map((i) => `eq(n\\,${i})`).join('+');
  const vf = `select='${expr}'` + (scale ? `,scale=${scale.w}:${scale.h}` : '');
  const outW = scale?.w ?? width;
  const outH = scale?.h ?? height;
  const args = ['-v', 'error', '-i', file, '-vf', vf, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const chunks: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (c) => resolve(c ?? -1));
  });
  if (code !== 0) throw new Error(`ffmpeg failed (${code}): ${Buffer.concat(err).toString()}`);
  const all = Buffer.concat(chunks);
  const size = outW * outH * 3;
  if (all.length !== size * idxs.length) throw new Error(`ffmpeg gave ${all.length} bytes, expected ${size * idxs.length}`);
  return idxs.map((_, k) => ({ data: new Uint8Array(all.buffer, all.byteOffset + k * size, size), width: outW, height: outH }));
}
