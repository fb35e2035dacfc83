import { open } from 'node:fs/promises';
import { extname } from 'node:path';

/**
 * Decides which files are worth handing to ffprobe. A file is a media candidate when its
 * extension or its first bytes say so; everything else is "not media" without being parsed
 * (ffprobe happily "decodes" plain text as a tty video, which would only confuse a report).
 */
const VIDEO_EXT = new Set(['mp4', 'm4v', 'mov', 'qt', 'mkv', 'webm', 'avi', 'wmv', 'asf', 'flv', 'mpg', 'mpeg', 'm2ts', 'mts', 'ts', '3gp', '3g2', 'ogv', 'mxf', 'vob', 'h264', '264', 'hevc', 'h265', 'y4m']);
const IMAGE_EXT = new Set(['jpg', 'jpeg', 'png', 'webp', 'bmp', 'tif', 'tiff']);
const AUDIO_EXT = new Set(['mp3', 'wav', 'm4a', 'aac', 'flac', 'ogg', 'oga', 'opus', 'wma', 'amr']);

export type MediaGuess = 'video' | 'image' | 'audio' | null;

export function guessFromExtension(relPath: string): MediaGuess {
  const ext = extname(relPath).slice(1).toLowerCase();
  if (VIDEO_EXT.has(ext)) return 'video';
  if (IMAGE_EXT.has(ext)) return 'image';
  if (AUDIO_EXT.has(ext)) return 'audio';
  return null;
}

export function guessFromMagic(head: Buffer): MediaGuess {
  const ascii = (start: number, s: string) => head.length >= start + s.length && head.toString('latin1', start, start + s.length) === s;
  if (ascii(4, 'ftyp')) return 'video'; // ISO BMFF (mp4, mov, m4a: probing tells audio-only apart)
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'video'; // Matroska / WebM
  if (ascii(0, 'RIFF') && ascii(8, 'AVI ')) return 'video';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image';
  if (ascii(0, 'RIFF') && ascii(8, 'WAVE')) return 'audio';
  if (ascii(0, 'FLV')) return 'video';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001ba) return 'video'; // MPEG-PS
  if (head.length >= 189 && head[0] === 0x47 && head[188] === 0x47) return 'video'; // MPEG-TS
  if (head.length >= 16 && head.readUInt32BE(0) === 0x3026b275) return 'video'; // ASF / WMV
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image'; // JPEG
  if (ascii(1, 'PNG') && head[0] === 0x89) return 'image';
  if (ascii(0, 'BM')) return 'image';
  if (ascii(0, 'II*\0') || ascii(0, 'MM\0*')) return 'image';
  if (ascii(0, 'ID3') || ascii(0, 'fLaC') || ascii(0, 'OggS')) return 'audio';
  return null;
}

export async function readHead(absPath: string, bytes = 512): Promise<Buffer> {
  const fh = await open(absPath, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** True when the file should be probed as media. */
export function isMediaCandidate(relPath: string, head: Buffer): boolean {
  return guessFromExtension(relPath) !== null || guessFromMagic(head) !== null;
}
