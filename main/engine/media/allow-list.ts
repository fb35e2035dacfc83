/**
 * What ffmpeg/ffprobe may open when they read evidence. An evidence item must be analysed
 * from its own bytes only: ffmpeg's playlist and manifest demuxers (HLS, DASH, ffconcat, SDP,
 * RTSP…) would otherwise follow the references inside a small text file and decode some
 * *other* video, which Deepscan would then report under the text file's hash.
 *
 * Two ffmpeg options enforce it, given before every `-i` that reads evidence:
 *   -protocol_whitelist file  only local files can be opened (no http, tcp, rtp, pipe,
 *                             concat:, subfile,… even from inside a demuxer);
 *   -format_whitelist …       only demuxers of self-contained media. ffmpeg 5.1 still probes
 *                             every demuxer, then refuses the winner if it is not listed
 *                             ("[hls @ 0x…] Format not on whitelist '…'"), so a playlist named
 *                             clip.mp4 is refused instead of being read as an MP4.
 * image2 is listed because a still whose name holds '%' is read with it (patterns turned
 * off, see inputArgs); plain stills are read by the *_pipe demuxers, which sniff content.
 */
import path from 'node:path';
import { DeepscanError } from '../util/errors.js';

/** Demuxers of media that carry their own pictures (ffmpeg's demuxer names, `ffmpeg -demuxers`). */
export const ALLOWED_DEMUXERS: readonly string[] = [
  // ISO base media: mov, mp4, m4v (reported as mp4), m4a, 3gp, 3g2, mj2 are one demuxer.
  'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2',
  'matroska', 'webm', 'avi', 'mpegts', 'mpeg', 'flv', 'asf', 'mxf', 'ogg',
  // Elementary streams and raw containers that some recorders and exporters write.
  'h264', 'hevc', 'm4v', 'mpegvideo', 'mjpeg', 'yuv4mpegpipe', 'ivf', 'gif', 'apng',
  // Audio-only files are probed so that they are reported as "no video stream".
  'mp3', 'wav', 'aac', 'flac', 'w64', 'aiff',
  // Stills.
  'image2', 'jpeg_pipe', 'png_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe', 'gif_pipe', 'j2k_pipe', 'jpegls_pipe', 'jpegxl_pipe',
  'ppm_pipe', 'pgm_pipe', 'pam_pipe', 'pbm_pipe', 'qoi_pipe', 'dpx_pipe', 'exr_pipe', 'psd_pipe', 'sgi_pipe', 'pcx_pipe',
];

/**
 * Demuxers whose input is a list of references to other files or network streams. Never on
 * the allow-list; named here so that ffmpeg's refusal becomes 'external-references'.
 */
const REFERENCE_DEMUXERS: Record<string, string> = {
  hls: 'HLS playlist',
  dash: 'DASH manifest',
  webm_dash_manifest: 'WebM DASH manifest',
  concat: 'ffconcat list',
  sdp: 'SDP session description',
  rtsp: 'RTSP session',
  rtp: 'RTP session',
  image2: 'image sequence',
};

/** Input options for every ffmpeg/ffprobe invocation that reads an evidence file. */
export function evidenceInputArgs(absPath: string): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS.join(','), ...stillPatternArgs(absPath)];
}

/**
 * Extensions ffmpeg's image2 demuxer claims by name. With '%' in such a name image2 reads a
 * numbered *sequence* (scan%03d.png → scan000.png, scan001.png…, the evidence's siblings), so
 * for these names image2 is forced with patterns off. (Passing -pattern_type to other demuxers
 * makes ffmpeg fail with "Option pattern_type not found", so it is not global.)
 */
const IMAGE2_EXTENSIONS = new Set([
  '.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.jp2', '.j2k', '.j2c', '.jls', '.jxl', '.ljpg', '.pgm', '.ppm',
  '.pbm', '.pam', '.pnm', '.pfm', '.phm', '.pgmyuv', '.pcx', '.sgi', '.tga', '.dpx', '.exr', '.xbm', '.xwd', '.sun', '.ras',
  '.rs', '.im1', '.im8', '.im24', '.sunras', '.vbn', '.qoi', '.gif', '.psd', '.y', '.pix', '.pic', '.xface', '.hdr', '.cri',
]);

function stillPatternArgs(absPath: string): string[] {
  const base = path.basename(absPath);
  if (base.includes('%') && IMAGE2_EXTENSIONS.has(path.extname(base).toLowerCase())) {
    return ['-f', 'image2', '-pattern_type', 'none'];
  }
  return [];
}

const NOT_ON_WHITELIST = /^\[([A-Za-z0-9_,]+) @ ?(?:0x)?[0-9a-fA-F]+\]\s*(?:\[\w+\]\s*)?Format not on whitelist/m;

/**
 * ffmpeg's refusal of a demuxer that is not on the allow-list, as the error an investigator
 * reads; null when the stderr holds no such refusal.
 */
export function whitelistRefusal(stderr: string, displayName: string): DeepscanError | null {
  const m = NOT_ON_WHITELIST.exec(stderr);
  if (!m) return null;
  const demuxer = m[1];
  const reference = REFERENCE_DEMUXERS[demuxer];
  if (reference) return externalReferencesError(displayName, reference);
  return new DeepscanError(
    'format-not-allowed',
    `"${displayName}" is in the "${demuxer}" format, which Deepscan does not read: only self-contained video and image formats are analysed.`,
    { file: displayName },
  );
}

export function externalReferencesError(displayName: string, what: string): DeepscanError {
  return new DeepscanError(
    'external-references',
    `"${displayName}" refers to other files: ${what}; Deepscan does not follow references out of an evidence item`,
    { file: displayName },
  );
}
