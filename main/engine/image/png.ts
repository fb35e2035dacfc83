/**
 * Lossless PNG codec on node:zlib.
 *
 * Encoding is deterministic: only IHDR, IDAT and IEND chunks (no time, text or gamma chunks),
 * a fixed zlib level/strategy, and a fixed per-row filter choice (the usual "minimum sum of
 * absolute differences" heuristic, ties to the lower filter number). The same pixels give the
 * same bytes on the same Node build (zlib itself is part of the Node binary).
 *
 * Decoding supports what face crops and reference fixtures use and a little more: bit depth 8
 * for gray, gray+alpha, RGB, RGBA; bit depths 1/2/4/8 for gray and palette; all five filter
 * types; tRNS on palette images (→ RGBA). Interlaced (Adam7) and 16-bit images are rejected
 * with a clear error rather than decoded wrongly.
 */
import { deflateSync, inflateSync, constants as zc } from 'node:zlib';
import { DeepscanError } from '../util/errors.js';
import { assertImage, type Channels, type Image8 } from './image.js';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** zlib level used for every encode; part of the determinism contract. */
export const PNG_ZLIB_LEVEL = 6;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function fail(message: string): never {
  throw new DeepscanError('image-invalid', message);
}

// ---------------------------------------------------------------- encode

function colorTypeFor(channels: Channels): number {
  switch (channels) {
    case 1: return 0;
    case 2: return 4;
    case 3: return 2;
    case 4: return 6;
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typeBytes = new TextEncoder().encode(type);
  out.set(typeBytes, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32([typeBytes, data]));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

/** Encodes an 8-bit gray, gray+alpha, RGB or RGBA image as PNG bytes. */
export function encodePng(img: Image8): Uint8Array {
  assertImage(img, 'PNG source image');
  if (img.width < 1 || img.height < 1) {
    throw new DeepscanError('invalid-argument', `PNG cannot hold an empty image (${img.width}x${img.height})`);
  }
  const { width, height, channels: bpp, data } = img;
  const stride = width * bpp;
  const raw = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const cur = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : zero;
    let bestFilter = 0;
    let bestScore = Infinity;
    for (let f = 0; f < 5; f++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? cur[i - bpp] : 0;
        const b = prev[i];
        const c = i >= bpp ? prev[i - bpp] : 0;
        let v: number;
        switch (f) {
          case 0: v = cur[i]; break;
          case 1: v = cur[i] - a; break;
          case 2: v = cur[i] - b; break;
          case 3: v = cur[i] - ((a + b) >> 1); break;
          default: v = cur[i] - paeth(a, b, c); break;
        }
        v &= 0xff;
        candidate[i] = v;
        score += v < 128 ? v : 256 - v;
      }
      if (score < bestScore) {
        bestScore = score;
        bestFilter = f;
        best.set(candidate);
      }
    }
    const o = y * (stride + 1);
    raw[o] = bestFilter;
    raw.set(best, o + 1);
  }
  const idat = deflateSync(raw, { level: PNG_ZLIB_LEVEL, strategy: zc.Z_DEFAULT_STRATEGY, memLevel: 8, windowBits: 15 });

  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorTypeFor(bpp);
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace

  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(idat.buffer, idat.byteOffset, idat.byteLength)), chunk('IEND', new Uint8Array(0))];
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- decode

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

/**
 * Decodes PNG bytes to an 8-bit image. Gray → 1 channel, gray+alpha → 2, RGB → 3, RGBA → 4,
 * palette → 3 (or 4 when a tRNS chunk is present).
 */
export function decodePng(bytes: Uint8Array): Image8 {
  if (bytes.length < SIGNATURE.length + 12 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('Not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = SIGNATURE.length;
  let info: PngInfo | undefined;
  let palette: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idats: Uint8Array[] = [];
  let sawEnd = false;
  while (off + 12 <= bytes.length) {
    const len = view.getUint32(off);
    if (off + 12 + len > bytes.length) fail(`PNG chunk at byte ${off} runs past the end of the file`);
    const typeBytes = bytes.subarray(off + 4, off + 8);
    const type = String.fromCharCode(...typeBytes);
    const body = bytes.subarray(off + 8, off + 8 + len);
    const crc = view.getUint32(off + 8 + len);
    if (crc32([typeBytes, body]) !== crc) fail(`PNG chunk ${type} has a bad CRC (file corrupt)`);
    off += 12 + len;
    if (type === 'IHDR') {
      if (len !== 13) fail('PNG IHDR has the wrong length');
      const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      info = { width: bv.getUint32(0), height: bv.getUint32(4), bitDepth: body[8], colorType: body[9], interlace: body[12] };
      if (body[10] !== 0 || body[11] !== 0) fail('PNG uses an unknown compression or filter method');
    } else if (type === 'PLTE') {
      palette = body.slice();
    } else if (type === 'tRNS') {
      trns = body.slice();
    } else if (type === 'IDAT') {
      idats.push(body);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    } else if ((typeBytes[0] & 0x20) === 0) {
      fail(`PNG has an unknown critical chunk ${type}`);
    }
  }
  if (!info) fail('PNG has no IHDR chunk');
  if (!sawEnd) fail('PNG is truncated (no IEND chunk)');
  if (idats.length === 0) fail('PNG has no image data (no IDAT chunk)');
  const { width, height, bitDepth, colorType, interlace } = info;
  if (width < 1 || height < 1) fail(`PNG has an invalid size ${width}x${height}`);
  if (interlace !== 0) fail('Interlaced (Adam7) PNG is not supported; re-save it non-interlaced');
  if (bitDepth === 16) fail('16-bit PNG is not supported; only 8-bit (and 1/2/4-bit gray or palette) images');

  let samples: number; // samples per pixel in the stored data
  let outChannels: Channels;
  switch (colorType) {
    case 0: samples = 1; outChannels = 1; if (![1, 2, 4, 8].includes(bitDepth)) fail(`PNG gray bit depth ${bitDepth} is invalid`); break;
    case 2: samples = 3; outChannels = 3; if (bitDepth !== 8) fail(`PNG RGB bit depth ${bitDepth} is not supported`); break;
    case 3: samples = 1; outChannels = trns ? 4 : 3; if (![1, 2, 4, 8].includes(bitDepth)) fail(`PNG palette bit depth ${bitDepth} is invalid`); break;
    case 4: samples = 2; outChannels = 2; if (bitDepth !== 8) fail(`PNG gray+alpha bit depth ${bitDepth} is not supported`); break;
    case 6: samples = 4; outChannels = 4; if (bitDepth !== 8) fail(`PNG RGBA bit depth ${bitDepth} is not supported`); break;
    default: fail(`PNG color type ${colorType} is invalid`);
  }
  if (colorType === 3 && (!palette || palette.length % 3 !== 0 || palette.length === 0)) fail('Palette PNG has no valid PLTE chunk');

  const total = idats.reduce((s, p) => s + p.length, 0);
  const z = new Uint8Array(total);
  let zo = 0;
  for (const p of idats) {
    z.set(p, zo);
    zo += p.length;
  }
  let raw: Uint8Array;
  try {
    const b = inflateSync(z);
    raw = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new DeepscanError('image-invalid', `PNG image data does not decompress: ${(e as Error).message}`, { cause: e });
  }

  const bitsPerPixel = samples * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter byte distance
  if (raw.length < height * (stride + 1)) fail(`PNG image data is too short (${raw.length} bytes for ${width}x${height})`);

  const unfiltered = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = unfiltered.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? unfiltered.subarray((y - 1) * stride, y * stride) : undefined;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let v: number;
      switch (ft) {
        case 0: v = src[i]; break;
        case 1: v = src[i] + a; break;
        case 2: v = src[i] + b; break;
        case 3: v = src[i] + ((a + b) >> 1); break;
        case 4: v = src[i] + paeth(a, b, c); break;
        default: fail(`PNG row ${y} has an invalid filter type ${ft}`);
      }
      cur[i] = v & 0xff;
    }
  }

  const out = new Uint8Array(width * height * outChannels);
  if (bitDepth === 8 && colorType !== 3) {
    out.set(unfiltered.subarray(0, out.length));
    return { width, height, channels: outChannels, data: out };
  }
  // Sub-byte gray, or palette: expand sample by sample.
  const maxv = (1 << bitDepth) - 1;
  const pal = palette;
  for (let y = 0; y < height; y++) {
    const row = unfiltered.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < width; x++) {
      let s: number;
      if (bitDepth === 8) s = row[x];
      else {
        const bit = x * bitDepth;
        s = (row[bit >> 3] >> (8 - bitDepth - (bit & 7))) & maxv;
      }
      const o = (y * width + x) * outChannels;
      if (colorType === 0) {
        out[o] = Math.round((s * 255) / maxv);
      } else {
        if (!pal || s * 3 + 2 >= pal.length) fail(`Palette PNG refers to colour ${s} beyond its palette`);
        out[o] = pal[s * 3];
        out[o + 1] = pal[s * 3 + 1];
        out[o + 2] = pal[s * 3 + 2];
        if (outChannels === 4) out[o + 3] = trns && s < trns.length ? trns[s] : 255;
      }
    }
  }
  return { width, height, channels: outChannels, data: out };
}
