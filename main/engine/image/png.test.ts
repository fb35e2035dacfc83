import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng, encodePng } from './png.js';
import { makeImage, type Channels, type Image8 } from './image.js';
import { DeepscanError } from '../util/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const FFMPEG = process.env.DEEPSCAN_FFMPEG ?? 'ffmpeg';

function ffmpeg(args: string[], input?: Uint8Array): Buffer {
  return execFileSync(FFMPEG, ['-v', 'error', '-nostdin', ...args], { input, maxBuffer: 1 << 28 });
}

/** Deterministic pseudo-random bytes (xorshift32) so failures reproduce. */
function noise(n: number, seed: number, smooth = false): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  let prev = 128;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const r = s & 0xff;
    prev = smooth ? (prev + ((r % 9) - 4)) & 0xff : r;
    out[i] = prev;
  }
  return out;
}

function randomImage(w: number, h: number, cn: Channels, seed: number, smooth = false): Image8 {
  return makeImage(w, h, cn, noise(w * h * cn, seed, smooth));
}

function chunkTypes(png: Uint8Array): string[] {
  const types: string[] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let off = 8;
  while (off < png.length) {
    const len = view.getUint32(off);
    types.push(String.fromCharCode(...png.subarray(off + 4, off + 8)));
    off += 12 + len;
  }
  return types;
}

function expectDecodeError(bytes: Uint8Array, pattern: RegExp): void {
  let err: unknown;
  try {
    decodePng(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DeepscanError);
  expect((err as DeepscanError).code).toBe('image-invalid');
  expect((err as Error).message).toMatch(pattern);
}

/** Rewrites one chunk's body byte and fixes its CRC, to fabricate headers we cannot produce otherwise. */
function patchIhdr(png: Uint8Array, index: number, value: number): Uint8Array {
  const out = png.slice();
  out[8 + 8 + index] = value;
  // Recompute IHDR CRC via a tiny local CRC (independent of the module under test).
  let c = 0xffffffff;
  for (const b of out.subarray(12, 12 + 4 + 13)) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  new DataView(out.buffer).setUint32(8 + 8 + 13, (c ^ 0xffffffff) >>> 0);
  return out;
}

describe('encodePng / decodePng', () => {
  it('round-trips gray, gray+alpha, RGB and RGBA images of awkward sizes', () => {
    const sizes: [number, number][] = [[1, 1], [1, 7], [7, 1], [5, 3], [64, 33], [380, 380]];
    let seed = 1;
    for (const cn of [1, 2, 3, 4] as Channels[]) {
      for (const [w, h] of sizes) {
        for (const smooth of [false, true]) {
          const img = randomImage(w, h, cn, seed++, smooth);
          const back = decodePng(encodePng(img));
          expect(back.width).toBe(w);
          expect(back.height).toBe(h);
          expect(back.channels).toBe(cn);
          expect(Buffer.from(back.data).equals(Buffer.from(img.data))).toBe(true);
        }
      }
    }
  });

  it('produces deterministic bytes with only IHDR, IDAT and IEND chunks', () => {
    const img = randomImage(97, 61, 3, 42, true);
    const a = encodePng(img);
    const b = encodePng({ ...img, data: img.data.slice() });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(chunkTypes(a)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('is readable by ffmpeg, which sees the same pixels', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deepscan-png-'));
    try {
      for (const [cn, fmt] of [[1, 'gray'], [3, 'rgb24'], [4, 'rgba']] as const) {
        const img = randomImage(33, 17, cn, 7 + cn, true);
        const file = path.join(dir, `x${cn}.png`);
        writeFileSync(file, encodePng(img));
        const raw = ffmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', fmt, '-']);
        expect(Buffer.from(img.data).equals(raw)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('decodes the reference fixture PNGs exactly as ffmpeg does', () => {
    const files = [0, 1, 2, 3, 4, 5].map((i) => path.join(fixtures, 'reference', 'faces380', `face_${i}.png`));
    files.push(path.join(fixtures, 'reference', 'ssim', '0_0_orig.png'), path.join(fixtures, 'reference', 'ssim', '0_0_diff.png'));
    for (const file of files) {
      const img = decodePng(readFileSync(file));
      const fmt = img.channels === 1 ? 'gray' : img.channels === 3 ? 'rgb24' : 'rgba';
      const raw = ffmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', fmt, '-']);
      expect(raw.length).toBe(img.data.length);
      expect(Buffer.from(img.data).equals(raw)).toBe(true);
    }
    const face = decodePng(readFileSync(files[0]));
    expect([face.width, face.height, face.channels]).toEqual([380, 380, 3]);
  });

  it('decodes every filter type and the palette, gray+alpha and 1-bit forms written by ffmpeg', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deepscan-png-'));
    try {
      const src = randomImage(41, 23, 3, 99, true);
      const srcFile = path.join(dir, 'src.rgb');
      writeFileSync(srcFile, src.data);
      const input = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '41x23', '-i', srcFile];
      // One PNG per prediction (filter) mode, plus "mixed" (per-row choice).
      for (const pred of ['none', 'sub', 'up', 'avg', 'paeth', 'mixed']) {
        const out = path.join(dir, `p_${pred}.png`);
        ffmpeg(['-y', ...input, '-pred', pred, '-frames:v', '1', out]);
        const img = decodePng(readFileSync(out));
        expect(Buffer.from(img.data).equals(Buffer.from(src.data))).toBe(true);
      }
      // Other pixel formats: compare with ffmpeg's own decode of the same file.
      for (const [pixFmt, expectChannels, rawFmt] of [
        ['pal8', 3, 'rgb24'],
        ['gray', 1, 'gray'],
        ['ya8', 2, 'ya8'],
        ['rgba', 4, 'rgba'],
        ['monob', 1, 'gray'],
      ] as const) {
        const out = path.join(dir, `f_${pixFmt}.png`);
        ffmpeg(['-y', ...input, '-pix_fmt', pixFmt, '-frames:v', '1', out]);
        const img = decodePng(readFileSync(out));
        expect(img.channels).toBe(expectChannels);
        const raw = ffmpeg(['-i', out, '-f', 'rawvideo', '-pix_fmt', rawFmt, '-']);
        expect(Buffer.from(img.data).equals(raw)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects 16-bit, interlaced, corrupt and non-PNG input with clear errors', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deepscan-png-'));
    try {
      const srcFile = path.join(dir, 'src.rgb');
      writeFileSync(srcFile, noise(8 * 8 * 3, 5));
      const out16 = path.join(dir, 'deep.png');
      ffmpeg(['-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '8x8', '-i', srcFile, '-pix_fmt', 'rgb48be', '-frames:v', '1', out16]);
      expectDecodeError(readFileSync(out16), /16-bit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const good = encodePng(randomImage(8, 8, 3, 3));
    expectDecodeError(patchIhdr(good, 12, 1), /Interlaced/);
    const badCrc = good.slice();
    badCrc[40] ^= 0xff; // inside the IDAT body
    expectDecodeError(badCrc, /CRC/);
    expectDecodeError(good.subarray(0, good.length - 12), /truncated/);
    expectDecodeError(new TextEncoder().encode('GIF89a not a png at all'), /signature/);
  });
});
