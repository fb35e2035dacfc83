import { extname } from 'node:path';

/**
 * Recognises files that are not media but *references* to media elsewhere: playlists,
 * manifests, concat lists, session descriptions, lists of paths or URLs. Handed to ffmpeg,
 * such a file is "decoded" as the video it points at (a 138-byte HLS playlist named clip.mp4
 * decodes as /some/other/folder/video.ts), so it is refused before any probe, by name. The
 * demuxer allow-list (media/allow-list.ts) is the second line: what this sniffing misses,
 * ffmpeg itself refuses.
 */

/** Bytes read to sniff: a manifest's root element may follow a long XML prologue or comment. */
export const REFERENCE_SNIFF_BYTES = 64 * 1024;

const BY_EXTENSION: Record<string, string> = {
  m3u8: 'HLS playlist', m3u: 'M3U playlist', mpd: 'DASH manifest', ffconcat: 'ffconcat list', sdp: 'SDP session description',
  pls: 'PLS playlist', xspf: 'XSPF playlist', smil: 'SMIL presentation', smi: 'SMIL presentation', asx: 'ASX playlist',
  wax: 'ASX playlist', wvx: 'ASX playlist', wpl: 'Windows Media playlist', qtl: 'QuickTime link', ram: 'RealMedia link',
};

/**
 * What kind of reference file this is ("HLS playlist", …), or null when it is not one.
 * `mediaExtension`: whether the name claims to be media (clip.mp4); only then is a bare list
 * of paths or URLs treated as a reference (a notes.txt full of links stays "not media").
 */
export function referenceKind(relPath: string, head: Buffer, mediaExtension: boolean): string | null {
  const text = asText(head);
  if (text !== null) {
    const byContent = kindFromText(text, mediaExtension);
    if (byContent) return byContent;
  }
  return BY_EXTENSION[extname(relPath).slice(1).toLowerCase()] ?? null;
}

/** The head as text, or null when it holds bytes no text file has (media containers all do). */
function asText(head: Buffer): string | null {
  let b = head;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) {
    // UTF-16 (ASX and WPL files written by Windows tools).
    const le = b[0] === 0xff;
    const body = b.subarray(2, 2 + ((b.length - 2) & ~1));
    const swapped = le ? body : Buffer.from(body).swap16();
    return swapped.toString('utf16le');
  }
  for (const byte of b) {
    // NUL and other C0 controls (but tab, LF, CR, FF) never occur in playlists.
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) return null;
  }
  return b.toString('utf8');
}

function kindFromText(text: string, mediaExtension: boolean): string | null {
  const t = text.trimStart();
  if (/^#EXTM3U/.test(t)) return /#EXT-X-/.test(t) ? 'HLS playlist' : 'M3U playlist';
  if (/^ffconcat\s+version/i.test(t)) return 'ffconcat list';
  if (/^\[playlist\]/i.test(t)) return 'PLS playlist';
  if (/^v=0\s*$/m.test(t.split(/\r?\n/, 1)[0]) && /^(o|s|m|c)=/m.test(t)) return 'SDP session description';
  if (/^<(\?xml|!--|!doctype|mpd|smil|asx|playlist)/i.test(t)) {
    if (/<MPD[\s>]/i.test(t)) return 'DASH manifest';
    if (/<smil[\s>]/i.test(t)) return 'SMIL presentation';
    if (/<asx[\s>]/i.test(t)) return 'ASX playlist';
    if (/<playlist[\s>][^]*xspf/i.test(t)) return 'XSPF playlist';
  }
  if (mediaExtension && isPathOrUrlList(t)) return 'list of file paths or URLs';
  return null;
}

/** Every non-empty, non-comment line is a URL (scheme://…, file:…) or an absolute or relative file path. */
function isPathOrUrlList(text: string): boolean {
  // The last line may be cut by the sniff window; it still counts.
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0) return false;
  return lines.every((l) => /^[a-z][a-z0-9+.-]*:\/\//i.test(l) || /^file:/i.test(l) || /^(\/|[A-Za-z]:[\\/]|\.{1,2}[\\/]|\\\\)\S/.test(l) || /^[^\s]+\.[A-Za-z0-9]{2,5}$/.test(l));
}
