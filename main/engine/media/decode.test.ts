import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedFrame, FramesMissingError } from './decode.js';
import { decodeFrames } from './decode.js';
import type { FfmpegTools } from './ffmpeg.js';
import { locateFfmpeg } from './ffmpeg.js';
import type { MediaProbe } from './probe.js';
import { probeMedia } from './probe.js';
import { sampleFrameIndices } from './sample.js';
import { ffmpegSync, fixtureVideo, makeTempDir, makeTestVideo, referenceFrames, removeDir } from '../../../test/helpers/media-kit.js';

let tools: FfmpegTools;
let dir: string; // inputs
let scratch: string; // decodeFrames' tmpDir
const p = (name: string) => path.join(dir, name);

async function collect(file: string, probe: MediaProbe, indices: number[], opts: { signal?: AbortSignal } = {}): Promise<DecodedFrame[]> {
  const out: DecodedFrame[] = [];
  for await (const f of decodeFrames(tools, file, probe, indices, { tmpDir: scratch, ...opts })) out.push(f);
  return out;
}

function isJpeg(b: Buffer): boolean {
  return b[0] === 0xff && b[1] === 0xd8 && b[b.length - 2] === 0xff && b[b.length - 1] === 0xd9;
}

beforeAll(async () => {
  dir = makeTempDir('decode-in');
  scratch = makeTempDir('decode-tmp');
  tools = await locateFfmpeg();
  makeTestVideo(tools.ffmpeg, p('small.mp4'), { w: 320, h: 240, frames: 60 });
});
afterAll(() => {
  removeDir(dir);
  removeDir(scratch);
});

describe('decodeFrames', () => {
  it('yields exactly the bytes of `ffmpeg -f rawvideo -pix_fmt rgb24` at the sampled indices', async () => {
    const probe = await probeMedia(tools, p('small.mp4'), 'small.mp4');
    const ref = referenceFrames(tools.ffmpeg, p('small.mp4'), 320 * 240 * 3);
    expect(ref.length).toBe(60);
    const idx = sampleFrameIndices(60, 8);
    const frames = await collect(p('small.mp4'), probe, idx);
    expect(frames.map((f) => f.index)).toEqual(idx);
    for (const f of frames) {
      expect([f.width, f.height, f.rgb.length]).toEqual([320, 240, 320 * 240 * 3]);
      expect(f.rgb.equals(ref[f.index])).toBe(true);
      expect(f.ptsSec).toBeCloseTo(f.index / 30, 4);
      expect(isJpeg(f.jpeg)).toBe(true);
    }
    expect(fs.readdirSync(scratch)).toEqual([]); // previews read and removed
  });

  it('yields one frame per requested index when indices repeat (short video, 32 samples)', async () => {
    makeTestVideo(tools.ffmpeg, p('five.mp4'), { w: 64, h: 48, frames: 5 });
    const probe = await probeMedia(tools, p('five.mp4'), 'five.mp4');
    const ref = referenceFrames(tools.ffmpeg, p('five.mp4'), 64 * 48 * 3);
    const idx = sampleFrameIndices(probe.frameCount, 32);
    const frames: DecodedFrame[] = [];
    for await (const f of decodeFrames(tools, p('five.mp4'), probe, idx, { tmpDir: scratch })) {
      expect(f.rgb.equals(ref[f.index])).toBe(true);
      f.rgb.fill(0); // a consumer working in place must not spoil the next repeat
      frames.push(f);
    }
    expect(frames.map((f) => f.index)).toEqual(idx);
    expect(frames[0].rgb).not.toBe(frames[1].rgb);
  });

  it('converts 10-bit video exactly as the plain command does (the scaler flags matter there)', async () => {
    makeTestVideo(tools.ffmpeg, p('ten.mkv'), { w: 96, h: 64, frames: 6, codecArgs: ['-c:v', 'ffv1', '-pix_fmt', 'yuv420p10le'] });
    const probe = await probeMedia(tools, p('ten.mkv'), 'ten.mkv');
    const ref = referenceFrames(tools.ffmpeg, p('ten.mkv'), 96 * 64 * 3);
    const frames = await collect(p('ten.mkv'), probe, [1, 4]);
    for (const f of frames) expect(f.rgb.equals(ref[f.index])).toBe(true);
  });

  it('matches the reference command on the 1080p fixture', async () => {
    const probe = await probeMedia(tools, fixtureVideo, 'three_faces.mp4');
    const idx = [0, 150, 299];
    const ref = referenceFrames(tools.ffmpeg, fixtureVideo, 1920 * 1080 * 3, ['-vf', "select='eq(n,0)+eq(n,150)+eq(n,299)'", '-fps_mode', 'passthrough']);
    const frames = await collect(fixtureVideo, probe, idx);
    expect(frames.map((f) => [f.index, f.width, f.height])).toEqual([[0, 1920, 1080], [150, 1920, 1080], [299, 1920, 1080]]);
    frames.forEach((f, i) => expect(f.rgb.equals(ref[i])).toBe(true));
    expect(frames[2].ptsSec).toBeCloseTo(299 / 30, 4);
  });

  it('applies the display rotation: frames come out H×W, turned the way the probe says', async () => {
    makeTestVideo(tools.ffmpeg, p('land.mp4'), { w: 320, h: 240, frames: 10 });
    const upright = referenceFrames(tools.ffmpeg, p('land.mp4'), 320 * 240 * 3);
    for (const tag of ['90', '270']) {
      ffmpegSync(tools.ffmpeg, ['-i', p('land.mp4'), '-c', 'copy', '-metadata:s:v:0', `rotate=${tag}`, '-y', p(`rot${tag}.mp4`)]);
      const probe = await probeMedia(tools, p(`rot${tag}.mp4`), `rot${tag}.mp4`);
      const [f] = await collect(p(`rot${tag}.mp4`), probe, [3]);
      expect([f.width, f.height]).toEqual([240, 320]);
      // rotation 90 = turned clockwise for display
      const turned = referenceFrames(tools.ffmpeg, p('land.mp4'), 240 * 320 * 3, ['-vf', `transpose=${probe.rotation === 90 ? 'clock' : 'cclock'}`]);
      expect(f.rgb.equals(turned[3])).toBe(true);
      expect(f.rgb.equals(upright[3])).toBe(false);
      expect(f.rgb.equals(referenceFrames(tools.ffmpeg, p(`rot${tag}.mp4`), 240 * 320 * 3)[3])).toBe(true);
    }
  });

  it('decodes a portrait video, and a path with spaces and unicode', async () => {
    const sub = p('Zeugenaussage – ü');
    fs.mkdirSync(sub);
    const f = makeTestVideo(tools.ffmpeg, path.join(sub, 'clip 1.mp4'), { w: 180, h: 320, frames: 12 });
    const probe = await probeMedia(tools, f, 'Zeugenaussage – ü/clip 1.mp4');
    const ref = referenceFrames(tools.ffmpeg, f, 180 * 320 * 3);
    const frames = await collect(f, probe, [0, 11]);
    expect(frames.map((x) => [x.index, x.width, x.height])).toEqual([[0, 180, 320], [11, 180, 320]]);
    expect(frames[1].rgb.equals(ref[11])).toBe(true);
  });

  it('decodes PNG and JPEG stills as one frame', async () => {
    ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'testsrc2=size=200x100', '-frames:v', '1', '-y', p('still.png')]);
    ffmpegSync(tools.ffmpeg, ['-f', 'lavfi', '-i', 'testsrc2=size=200x100', '-frames:v', '1', '-y', p('still.jpg')]);
    fs.copyFileSync(p('still.png'), p('scan%03d.png'));
    for (const name of ['still.png', 'still.jpg', 'scan%03d.png']) {
      const probe = await probeMedia(tools, p(name), name);
      expect(probe.kind).toBe('image');
      const frames = await collect(p(name), probe, [0]);
      expect(frames.length).toBe(1);
      expect([frames[0].width, frames[0].height]).toEqual([200, 100]);
      const ref = referenceFrames(tools.ffmpeg, p(name === 'scan%03d.png' ? 'still.png' : name), 200 * 100 * 3);
      expect(frames[0].rgb.equals(ref[0])).toBe(true);
      expect(isJpeg(frames[0].jpeg)).toBe(true);
    }
  });

  it('numbers frames of variable-frame-rate video as decoded (the plain command would duplicate some)', async () => {
    // 30 frames with a 0.5 s gap after frame 9.
    makeTestVideo(tools.ffmpeg, p('vfr.mkv'), { w: 160, h: 120, frames: 30, extra: ['-vf', "setpts='(N+gte(N,10)*15)/30/TB'", '-fps_mode', 'passthrough'] });
    const probe = await probeMedia(tools, p('vfr.mkv'), 'vfr.mkv');
    expect(probe.frameCount).toBe(30);
    const cfr = referenceFrames(tools.ffmpeg, p('vfr.mkv'), 160 * 120 * 3);
    expect(cfr.length).toBeGreaterThan(30); // rawvideo defaults to constant frame rate
    const ref = referenceFrames(tools.ffmpeg, p('vfr.mkv'), 160 * 120 * 3, ['-fps_mode', 'passthrough']);
    expect(ref.length).toBe(30);
    const idx = Array.from({ length: 30 }, (_, i) => i);
    const frames = await collect(p('vfr.mkv'), probe, idx);
    frames.forEach((f, i) => expect(f.rgb.equals(ref[i])).toBe(true));
    expect(frames[10].ptsSec! - frames[9].ptsSec!).toBeCloseTo(16 / 30, 3);
  });

  it('throws frames-missing, with the decoded count, when the container lies about its length', async () => {
    makeTestVideo(tools.ffmpeg, p('honest.avi'), { w: 160, h: 120, frames: 20, rate: 25, codecArgs: ['-c:v', 'mpeg4'] });
    const b = fs.readFileSync(p('honest.avi'));
    b.writeUInt32LE(200, b.indexOf('avih') + 24);
    b.writeUInt32LE(200, b.indexOf('strh') + 40);
    fs.writeFileSync(p('liar.avi'), b);
    const probe = await probeMedia(tools, p('liar.avi'), 'liar.avi');
    // As if the container's count had been trusted: 32 samples over 200 frames.
    const lied = { ...probe, frameCount: 200, frameCountSource: 'container' as const };
    const idx = sampleFrameIndices(200, 32);
    const got: number[] = [];
    const err = (await (async () => {
      for await (const f of decodeFrames(tools, p('liar.avi'), lied, idx, { tmpDir: scratch, displayName: 'case/liar.avi' })) got.push(f.index);
    })().catch((e: unknown) => e)) as FramesMissingError;
    expect(err.code).toBe('frames-missing');
    expect(err.file).toBe('case/liar.avi');
    expect(got).toEqual(idx.filter((i) => i < 20));
    expect(err.decodedFrames).toBe(20);
    expect(err.framesArrived).toBe(got.length);
    expect(err.missingIndex).toBe(idx[got.length]);
    expect(err.message).toContain(`only ${got.length} of 32 requested frames arrived; frame ${idx[got.length]} is missing`);
    expect(err.message).toContain('20 decodable frames');
    // Resampling with the decoded count then works.
    expect((await collect(p('liar.avi'), probe, sampleFrameIndices(err.decodedFrames!, 32))).length).toBe(32);
  });

  it('throws decode-failed with ffmpeg\'s reason when the file is not decodable', async () => {
    const probe = await probeMedia(tools, p('small.mp4'), 'small.mp4');
    fs.writeFileSync(p('replaced.mp4'), 'not a video any more\n');
    const err = (await collect(p('replaced.mp4'), probe, [0]).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('decode-failed');
    expect(err.message).toMatch(/moov atom not found|Invalid data/);
    expect(fs.readdirSync(scratch)).toEqual([]);
  });

  it('streams 4K frames with backpressure instead of buffering the video', async () => {
    const w = 3840, h = 2160, n = 10;
    makeTestVideo(tools.ffmpeg, p('uhd.mp4'), { w, h, frames: n });
    const probe = await probeMedia(tools, p('uhd.mp4'), 'uhd.mp4');
    const frameBytes = w * h * 3; // 24.9 MB; all 10 would be 249 MB
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let count = 0;
    let previewsWhileHeld = -1;
    for await (const f of decodeFrames(tools, p('uhd.mp4'), probe, Array.from({ length: n }, (_, i) => i), { tmpDir: scratch })) {
      expect(f.rgb.length).toBe(frameBytes);
      if (count === 0) {
        // Hold the first frame: without backpressure ffmpeg would decode the rest meanwhile.
        await new Promise((r) => setTimeout(r, 2500));
        const [run] = fs.readdirSync(scratch);
        previewsWhileHeld = fs.readdirSync(path.join(scratch, run)).filter((x) => x.endsWith('.jpg')).length;
      }
      count++;
      await new Promise((r) => setTimeout(r, 100));
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    expect(count).toBe(n);
    console.log(`4K: ${previewsWhileHeld} preview(s) ahead while frame 0 was held; peak ${(peak / 1e6).toFixed(1)} MB of Buffers above baseline (one frame ${(frameBytes / 1e6).toFixed(1)} MB)`);
    // ffmpeg ran ahead only by its decoder's frame-thread delay and filter buffering (2–3
    // previews measured on the 2-core dev box), not to the end of the video: free-running, it
    // would have written most of the n - 1 = 9 previews after frame 0 during the 2.5 s hold.
    // -1 would mean the hold never ran.
    expect(previewsWhileHeld).toBeGreaterThanOrEqual(0);
    expect(previewsWhileHeld).toBeLessThanOrEqual(4);
    // Our memory (including not-yet-collected earlier frames) stays below the sampled video's
    // size (10 frames); without backpressure the unread frames would pile up in the pipe stream.
    expect(peak).toBeLessThan(5 * frameBytes);
  });

  it('holds ffmpeg while the consumer is busy (1080p fixture, 32 samples)', async () => {
    const probe = await probeMedia(tools, fixtureVideo, 'three_faces.mp4');
    let previewsAhead = -1;
    let n = 0;
    for await (const f of decodeFrames(tools, fixtureVideo, probe, sampleFrameIndices(300, 32), { tmpDir: scratch })) {
      if (n++ > 0) break;
      expect(f.index).toBe(0);
      await new Promise((r) => setTimeout(r, 2500));
      const [run] = fs.readdirSync(scratch);
      previewsAhead = fs.readdirSync(path.join(scratch, run)).filter((x) => x.endsWith('.jpg')).length;
    }
    // Free-running, ffmpeg would have written dozens of previews in 2.5 s; blocked on the pipe it
    // is ahead only by its decoder's frame-thread delay (2 previews when measured on the 2-core dev box).
    expect(previewsAhead).toBeGreaterThanOrEqual(0);
    expect(previewsAhead).toBeLessThanOrEqual(5);
  });

  it('cancels via AbortSignal: ffmpeg is killed, cancelled is thrown, scratch is cleaned', async () => {
    const probe = await probeMedia(tools, fixtureVideo, 'three_faces.mp4');
    const ac = new AbortController();
    const t0 = Date.now();
    let seen = 0;
    let abortedAt = 0;
    const err = (await (async () => {
      for await (const f of decodeFrames(tools, fixtureVideo, probe, sampleFrameIndices(300, 32), { tmpDir: scratch, signal: ac.signal })) {
        expect(f.index).toBe(0);
        seen++;
        ac.abort();
        abortedAt = Date.now();
      }
    })().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('cancelled');
    expect(seen).toBe(1);
    expect(Date.now() - abortedAt).toBeLessThan(3000);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(fs.readdirSync(scratch)).toEqual([]);

    const pre = new AbortController();
    pre.abort();
    await expect(collect(fixtureVideo, probe, [0], { signal: pre.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('cleans up when the consumer stops early', async () => {
    const probe = await probeMedia(tools, p('small.mp4'), 'small.mp4');
    let brokeAt = 0;
    for await (const f of decodeFrames(tools, p('small.mp4'), probe, [0, 10, 20, 30], { tmpDir: scratch })) {
      expect(f.index).toBe(0);
      brokeAt = Date.now();
      break;
    }
    // Unread RGB bytes in the pipe must not keep ffmpeg (and the caller) waiting.
    expect(Date.now() - brokeAt).toBeLessThan(1500);
    expect(fs.readdirSync(scratch)).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('does not stall on an ffmpeg whose showinfo lines it cannot parse', async () => {
    // A wrapper that garbles showinfo's "n:" field on stderr, as a future format change might.
    const wrapper = p('ffmpeg-garbled');
    fs.writeFileSync(wrapper, `#!/bin/bash\nexec '${tools.ffmpeg}' "$@" 2> >(sed -u 's/\\] n: */] frame #/' >&2)\n`);
    fs.chmodSync(wrapper, 0o755);
    const probe = await probeMedia(tools, p('small.mp4'), 'small.mp4');
    const ref = referenceFrames(tools.ffmpeg, p('small.mp4'), 320 * 240 * 3);
    const frames: DecodedFrame[] = [];
    for await (const f of decodeFrames({ ...tools, ffmpeg: wrapper }, p('small.mp4'), probe, [2, 40], { tmpDir: scratch })) frames.push(f);
    expect(frames.map((f) => [f.index, f.ptsSec, f.width, f.height])).toEqual([[2, null, 320, 240], [40, null, 320, 240]]);
    expect(frames[1].rgb.equals(ref[40])).toBe(true);
  });

  it('rejects empty, negative or unsorted index lists', async () => {
    const probe = await probeMedia(tools, p('small.mp4'), 'small.mp4');
    for (const bad of [[], [-1], [3, 2], [1.5]]) {
      await expect(collect(p('small.mp4'), probe, bad)).rejects.toMatchObject({ code: 'invalid-argument' });
    }
  });
});
