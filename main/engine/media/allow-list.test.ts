import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceKind } from '../ingest/references.js';
import { isDeepscanError } from '../util/errors.js';
import { ALLOWED_DEMUXERS, evidenceInputArgs, whitelistRefusal } from './allow-list.js';
import { decodeFrames } from './decode.js';
import { locateFfmpeg, type FfmpegTools } from './ffmpeg.js';
import { countDecodedFrames, probeMedia, type MediaProbe } from './probe.js';
import { runTool } from './proc.js';
import { ffmpegSync, makeTempDir, makeTestVideo, removeDir } from '../../../test/helpers/media-kit.js';

let tools: FfmpegTools;
let dir: string;
const p = (name: string) => path.join(dir, name);

const HLS = (target: string) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${target}\n#EXT-X-ENDLIST\n`;

beforeAll(async () => {
  tools = await locateFfmpeg();
  dir = makeTempDir('allow');
  fs.mkdirSync(p('outside'));
  ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-f', 'mpegts', p('outside/video.ts')]);
  fs.writeFileSync(p('clip.mp4'), HLS(p('outside/video.ts')));
  fs.writeFileSync(p('notes.mp4'), 'A text file with a video name: nothing here is a demuxer ffmpeg lets through.\n');
});

afterAll(() => removeDir(dir));

describe('demuxer allow-list', () => {
  it('lists the containers an investigator meets and no playlist, manifest or network demuxer', () => {
    for (const d of ['mov', 'mp4', 'matroska', 'webm', 'avi', 'mpegts', 'flv', 'asf', 'mxf', 'mpeg', 'image2', 'png_pipe', 'jpeg_pipe']) expect(ALLOWED_DEMUXERS).toContain(d);
    for (const d of ['hls', 'dash', 'concat', 'sdp', 'rtsp', 'rtp', 'tty', 'lavfi', 'webm_dash_manifest', 'image2pipe']) expect(ALLOWED_DEMUXERS).not.toContain(d);
    const args = evidenceInputArgs('/case/clip.mp4');
    expect(args.slice(0, 2)).toEqual(['-protocol_whitelist', 'file']);
    expect(args[2]).toBe('-format_whitelist');
  });

  it('keeps image2 patterns off for every image2 extension, e.g. a%03d.pgm', () => {
    expect(evidenceInputArgs('/case/scan%03d.png')).toContain('-pattern_type');
    expect(evidenceInputArgs('/case/a%03d.pgm')).toContain('-pattern_type');
    expect(evidenceInputArgs('/case/clip%1.mp4')).not.toContain('-pattern_type');
  });

  it('spells the allowed names as this ffmpeg does (a typo would silently refuse a format)', async () => {
    const r = await runTool(tools.ffmpeg, ['-hide_banner', '-demuxers']);
    const names = new Set(r.stdout.split('\n').map((l) => /^\s*D\S*\s+(\S+)/.exec(l)?.[1]).filter(Boolean).flatMap((n) => n!.split(',')));
    expect(names.size).toBeGreaterThan(100);
    // Newer still formats (qoi_pipe: 5.1) may be missing from older builds; listing them is harmless.
    const optional = new Set(['qoi_pipe', 'jpegxl_pipe']);
    expect(ALLOWED_DEMUXERS.filter((d) => !names.has(d) && !optional.has(d))).toEqual([]);
  });

  it('ffprobe itself refuses an HLS playlist named clip.mp4, and the refusal is named', async () => {
    // Straight to ffprobe, past the content sniffing: the allow-list alone must stop it.
    const r = await runTool(tools.ffprobe, ['-v', 'error', '-show_format', ...evidenceInputArgs(p('clip.mp4')), p('clip.mp4')]);
    expect(r.code).not.toBe(0);
    const err = whitelistRefusal(r.stderr, 'clip.mp4');
    expect(err?.code).toBe('external-references');
    expect(err?.message).toBe('"clip.mp4" refers to other files: HLS playlist; Deepscan does not follow references out of an evidence item');
  });

  it('names a format that is not allowed', () => {
    const err = whitelistRefusal("[tty @ 0x55d0c] Format not on whitelist 'mov,mp4'\n", 'readme.mp4');
    expect(err?.code).toBe('format-not-allowed');
    expect(err?.message).toMatch(/^"readme\.mp4" is in the "tty" format, which Deepscan does not read/);
    expect(whitelistRefusal('[h264 @ 0x1] [error] Invalid NAL unit size\n', 'x.mp4')).toBeNull();
  });

  it('counting frames and decoding refuse the playlist too (they do not sniff)', async () => {
    const count = await countDecodedFrames(tools, p('clip.mp4'), { displayName: 'clip.mp4' }).catch((e: unknown) => e);
    expect(isDeepscanError(count) && count.code).toBe('external-references');
    const fakeProbe: MediaProbe = {
      kind: 'video', container: 'mov', codec: 'h264', pixelFormat: 'yuv420p', durationSec: 1, fps: 10, width: 64, height: 48, codedWidth: 64, codedHeight: 48,
      rotation: 0, frameCount: 10, frameCountSource: 'container', containerFrameCount: 10, audioCodecs: [], videoStreamIndex: 0,
    };
    const decoded: unknown[] = [];
    const err = await (async () => {
      for await (const f of decodeFrames(tools, p('clip.mp4'), fakeProbe, [0, 5], { tmpDir: dir, displayName: 'clip.mp4' })) decoded.push(f);
    })().catch((e: unknown) => e);
    expect(decoded).toHaveLength(0);
    expect(isDeepscanError(err) && err.code).toBe('external-references');
  });

  it('probeMedia refuses the playlist before ffprobe runs, and still reads real media', async () => {
    const err = await probeMedia(tools, p('clip.mp4'), 'clip.mp4').catch((e: unknown) => e);
    expect(isDeepscanError(err) && err.code).toBe('external-references');
    makeTestVideo(tools.ffmpeg, p('real.mp4'), { w: 64, h: 48, frames: 5 });
    expect((await probeMedia(tools, p('real.mp4'), 'real.mp4')).frameCount).toBe(5);
    const text = await probeMedia(tools, p('notes.mp4'), 'notes.mp4').catch((e: unknown) => e);
    // No allowed demuxer takes plain text: the file is not media at all.
    expect(isDeepscanError(text) ? text.code : text).toBe('media-unreadable');
  });
});

describe('reference sniffing', () => {
  const b = (s: string) => Buffer.from(s, 'utf8');
  it('names playlists, manifests and lists by content, whatever the name', () => {
    expect(referenceKind('clip.mp4', b(HLS('/some/other/folder/video.ts')), true)).toBe('HLS playlist');
    expect(referenceKind('clip.mp4', b('\ufeff#EXTM3U\nsong.mp3\n'), true)).toBe('M3U playlist');
    expect(referenceKind('a.mp4', b('<?xml version="1.0"?>\n<!-- long comment -->\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>file:///x/</BaseURL></MPD>'), true)).toBe('DASH manifest');
    expect(referenceKind('a.mkv', b('ffconcat version 1.0\nfile sibling.mp4\n'), true)).toBe('ffconcat list');
    expect(referenceKind('a.mp4', b('v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nm=video 5004 RTP/AVP 96\n'), true)).toBe('SDP session description');
    expect(referenceKind('a.mp4', b('[playlist]\nFile1=http://x/y.mp4\n'), true)).toBe('PLS playlist');
    expect(referenceKind('a.mp4', b('<asx version="3.0"><entry><ref href="x.wmv"/></entry></asx>'), true)).toBe('ASX playlist');
    expect(referenceKind('a.mp4', b('<smil><body><video src="x.mp4"/></body></smil>'), true)).toBe('SMIL presentation');
    expect(referenceKind('a.mp4', b('<?xml version="1.0"?><playlist version="1" xmlns="http://xspf.org/ns/0/"></playlist>'), true)).toBe('XSPF playlist');
    expect(referenceKind('a.mp4', b('file:///mnt/other/video.mp4\nhttp://example.org/b.mp4\n'), true)).toBe('list of file paths or URLs');
  });

  it('names reference extensions, and leaves media and plain text alone', () => {
    expect(referenceKind('stream.m3u8', Buffer.alloc(0), false)).toBe('HLS playlist');
    expect(referenceKind('x.mpd', b('garbage'), false)).toBe('DASH manifest');
    expect(referenceKind('x.sdp', b(''), false)).toBe('SDP session description');
    expect(referenceKind('x.ffconcat', b(''), false)).toBe('ffconcat list');
    // A URL list without a media name is just a text file (it stays "not media").
    expect(referenceKind('links.txt', b('http://example.org/a.mp4\n'), false)).toBeNull();
    expect(referenceKind('notes.mp4', b('This is a text file with a video extension.\n'), true)).toBeNull();
    // Binary media (NUL bytes) is never taken for text.
    const mp4Head = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), b('ftypisom'), Buffer.alloc(8), b('#EXTM3U')]);
    expect(referenceKind('clip.mp4', mp4Head, true)).toBeNull();
  });
});
