import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FfmpegTools } from './ffmpeg.js';
import { locateFfmpeg } from './ffmpeg.js';
import { countDecodedFrames, probeMedia } from './probe.js';
import { ffmpegSync, fixtureVideo, makeTempDir, makeTestVideo, removeDir } from '../../../test/helpers/media-kit.js';

let tools: FfmpegTools;
let dir: string;
const p = (name: string) => path.join(dir, name);

/** Patches the 32-bit frame counts of a RIFF AVI (avih dwTotalFrames, strh dwLength). */
function lieAboutAviLength(src: string, dst: string, frames: number): void {
  const b = fs.readFileSync(src);
  const avih = b.indexOf('avih');
  const strh = b.indexOf('strh');
  expect(avih).toBeGreaterThan(0);
  expect(b.toString('latin1', strh + 8, strh + 12)).toBe('vids');
  b.writeUInt32LE(frames, avih + 8 + 16); // after cb: dwMicroSecPerFrame, dwMaxBytesPerSec, dwPaddingGranularity, dwFlags
  b.writeUInt32LE(frames, strh + 8 + 32); // after cb: fccType, fccHandler, dwFlags, wPriority+wLanguage, dwInitialFrames, dwScale, dwRate, dwStart
  fs.writeFileSync(dst, b);
}

beforeAll(() => {
  dir = makeTempDir('probe');
  return locateFfmpeg().then((t) => {
    tools = t;
  });
});
afterAll(() => removeDir(dir));

describe('probeMedia', () => {
  it('describes the 1080p fixture', async () => {
    const m = await probeMedia(tools, fixtureVideo, 'three_faces.mp4');
    expect(m).toMatchObject({
      kind: 'video', codec: 'h264', pixelFormat: 'yuv420p', width: 1920, height: 1080, codedWidth: 1920, codedHeight: 1080,
      rotation: 0, fps: 30, frameCount: 300, frameCountSource: 'container', containerFrameCount: 300, audioCodecs: [], videoStreamIndex: 0,
    });
    expect(m.container).toContain('mp4');
    expect(m.durationSec).toBeCloseTo(10, 1);
  });

  it('refuses a zero-byte file as file-empty', async () => {
    fs.writeFileSync(p('empty.mp4'), '');
    await expect(probeMedia(tools, p('empty.mp4'), 'case/empty.mp4')).rejects.toMatchObject({
      code: 'file-empty', file: 'case/empty.mp4', message: expect.stringContaining('"case/empty.mp4" is empty'),
    });
  });

  it('reports a truncated copy of the fixture (moov atom lost) as media-unreadable with ffprobe\'s reason', async () => {
    const whole = fs.readFileSync(fixtureVideo);
    fs.writeFileSync(p('truncated.mp4'), whole.subarray(0, Math.floor(whole.length * 0.4)));
    const err = (await probeMedia(tools, p('truncated.mp4'), 'truncated.mp4').catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('media-unreadable');
    expect(err.message).toMatch(/^"truncated\.mp4" cannot be opened/);
    expect(err.message).toContain('moov atom not found');
    expect(err.message).not.toContain(dir); // the evidence name, not the absolute path
  });

  it('reports a text file renamed .mp4 as media-unreadable', async () => {
    fs.writeFileSync(p('notes.mp4'), 'Vernehmungsprotokoll\nthis is not a video\n');
    await expect(probeMedia(tools, p('notes.mp4'), 'notes.mp4')).rejects.toMatchObject({
      code: 'media-unreadable', message: expect.stringMatching(/not a media file.*Invalid data/),
    });
  });

  it('reports an audio-only file as no-video-stream, naming the audio codec', async () => {
    ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', '-y', p('voice.m4a')]);
    await expect(probeMedia(tools, p('voice.m4a'), 'voice.m4a')).rejects.toMatchObject({
      code: 'no-video-stream', message: '"voice.m4a" has no video stream: it contains only audio (aac).',
    });
  });

  it('does not take cover art for video', async () => {
    ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', '-y', p('cover.jpg')]);
    ffmpegSync(tools.ffmpeg, ['-i', p('voice.m4a'), '-i', p('cover.jpg'), '-map', '0', '-map', '1', '-c', 'copy', '-disposition:v:0', 'attached_pic', '-y', p('song.m4a')]);
    await expect(probeMedia(tools, p('song.m4a'), 'song.m4a')).rejects.toMatchObject({
      code: 'no-video-stream', message: expect.stringContaining('only audio (aac) and a cover picture'),
    });
  });

  it('counts the real frames of an AVI whose header lies about its length', async () => {
    makeTestVideo(tools.ffmpeg, p('honest.avi'), { w: 160, h: 120, frames: 20, rate: 25, codecArgs: ['-c:v', 'mpeg4'] });
    lieAboutAviLength(p('honest.avi'), p('liar.avi'), 200);
    const m = await probeMedia(tools, p('liar.avi'), 'liar.avi');
    expect(m).toMatchObject({ kind: 'video', containerFrameCount: 200, frameCount: 20, frameCountSource: 'decoded' });
    expect(await countDecodedFrames(tools, p('liar.avi'))).toBe(20);
  });

  it('counts decoded frames when a fast-start MP4 is cut short (index says more than the data holds)', async () => {
    makeTestVideo(tools.ffmpeg, p('faststart.mp4'), { w: 320, h: 240, frames: 60, extra: ['-movflags', '+faststart'] });
    const whole = fs.readFileSync(p('faststart.mp4'));
    fs.writeFileSync(p('cut.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
    const m = await probeMedia(tools, p('cut.mp4'), 'cut.mp4');
    expect(m.containerFrameCount).toBe(60);
    expect(m.frameCountSource).toBe('decoded');
    expect(m.frameCount).toBeGreaterThan(0);
    expect(m.frameCount).toBeLessThan(60);
  });

  it('uses the packet count when the container states no frame count (Matroska)', async () => {
    makeTestVideo(tools.ffmpeg, p('clip.mkv'), { w: 160, h: 120, frames: 24 });
    const m = await probeMedia(tools, p('clip.mkv'), 'clip.mkv');
    expect(m).toMatchObject({ containerFrameCount: null, frameCount: 24, frameCountSource: 'packets', container: 'matroska,webm' });
  });

  it('reads the display rotation and reports the displayed size', async () => {
    makeTestVideo(tools.ffmpeg, p('land.mp4'), { w: 320, h: 240, frames: 10 });
    const seen = new Set<number>();
    for (const tag of ['90', '270']) {
      // ffmpeg 5.x writes a display matrix from the legacy 'rotate' tag (its direction differs between versions).
      ffmpegSync(tools.ffmpeg, ['-i', p('land.mp4'), '-c', 'copy', '-metadata:s:v:0', `rotate=${tag}`, '-y', p(`rot${tag}.mp4`)]);
      const m = await probeMedia(tools, p(`rot${tag}.mp4`), `rot${tag}.mp4`);
      expect(m).toMatchObject({ codedWidth: 320, codedHeight: 240, width: 240, height: 320, frameCount: 10 });
      seen.add(m.rotation);
    }
    expect([...seen].sort()).toEqual([270, 90]);
  });

  it('describes a portrait video as stored', async () => {
    makeTestVideo(tools.ffmpeg, p('portrait.mp4'), { w: 180, h: 320, frames: 12 });
    const m = await probeMedia(tools, p('portrait.mp4'), 'portrait.mp4');
    expect(m).toMatchObject({ width: 180, height: 320, rotation: 0, frameCount: 12 });
  });

  it('handles a path with spaces and unicode, and lists audio codecs', async () => {
    const sub = p('Zeugenaussage – ü');
    fs.mkdirSync(sub);
    const f = path.join(sub, 'clip 1.mp4');
    ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30', '-f', 'lavfi', '-i', 'sine=duration=1',
      '-frames:v', '15', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', '-y', f]);
    const m = await probeMedia(tools, f, 'Zeugenaussage – ü/clip 1.mp4');
    expect(m).toMatchObject({ kind: 'video', width: 160, height: 120, frameCount: 15, audioCodecs: ['aac'] });
  });

  it('treats PNG and JPEG stills as one-frame images, even with % in the name', async () => {
    ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'testsrc2=size=200x100', '-frames:v', '1', '-y', p('still.png')]);
    fs.copyFileSync(p('still.png'), p('scan%03d 100%.png'));
    for (const [name, codec] of [['still.png', 'png'], ['cover.jpg', 'mjpeg'], ['scan%03d 100%.png', 'png']] as const) {
      const m = await probeMedia(tools, p(name), name);
      expect(m).toMatchObject({ kind: 'image', codec, frameCount: 1, frameCountSource: 'single-image', fps: null, durationSec: null });
    }
  });
});
