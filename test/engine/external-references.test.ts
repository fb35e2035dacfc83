import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceInputArgs, whitelistRefusal } from '../../main/engine/media/allow-list.js';
import { clearFfmpegCache, locateFfmpeg, type FfmpegTools } from '../../main/engine/media/ffmpeg.js';
import { countDecodedFrames } from '../../main/engine/media/probe.js';
import { runTool } from '../../main/engine/media/proc.js';
import type { CaseJson, EvidenceJson } from '../../main/engine/report/case-json.js';
import { isDeepscanError } from '../../main/engine/util/errors.js';
import { runCli } from '../helpers/cli.js';
import { makeTestVideo } from '../helpers/make-media.js';
import { REPO_ROOT, tempDir } from '../helpers/paths.js';

/**
 * "Only self-contained media", proved with strace: small text files that point at other
 * media (an HLS playlist named clip.mp4 pointing at a real video outside the case folder, a
 * DASH manifest with a file:// BaseURL, an ffconcat list pointing at a sibling, an SDP
 * session) are refused by name, and no ffmpeg/ffprobe process Deepscan starts opens any file
 * but its own evidence item, the scratch folder and ffmpeg's own system files.
 */

let work: string;
let folder: string;
let home: string;
let traces: string;
let outsideVideo: string;
let realFfmpeg: FfmpegTools;
let traced: FfmpegTools;
let json: CaseJson;
let cli: Awaited<ReturnType<typeof runCli>>;

const ADVERSARIAL: Record<string, string> = {
  'clip.mp4': 'HLS playlist',
  'dash.mp4': 'DASH manifest',
  'joined.mkv': 'ffconcat list',
  'camera.mp4': 'SDP session description',
  'stream.m3u8': 'HLS playlist',
};

function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** A wrapper that runs the real tool under strace, one trace (and argument list) per invocation. */
function tracingWrapper(name: string, real: string, strace: string): string {
  const file = join(work, 'bin', name);
  writeFileSync(file, [
    '#!/bin/sh',
    `n="${traces}/$(date +%s%N)-$$"`,
    'printf "%s\\n" "$@" > "$n.args"',
    `exec "${strace}" -f -qq -e trace=open,openat,openat2 -o "$n.trace" "${real}" "$@"`,
    '',
  ].join('\n'));
  chmodSync(file, 0o755);
  return file;
}

interface Invocation {
  args: string[];
  opened: string[];
}

function invocations(): Invocation[] {
  return readdirSync(traces).filter((f) => f.endsWith('.trace')).map((f) => {
    const base = join(traces, f.slice(0, -'.trace'.length));
    const opened = [...readFileSync(`${base}.trace`, 'utf8').matchAll(/\bopen(?:at2?)?\((?:[^,"]+, )?"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    return { args: readFileSync(`${base}.args`, 'utf8').split('\n').filter(Boolean), opened };
  });
}

/** Paths an ffmpeg process reading evidence may open: system files, scratch space, and its own item. */
function violations(inv: Invocation): string[] {
  const own = inv.args.filter((a) => a.startsWith(folder + '/'));
  return inv.opened.filter((p) => {
    if (/^\/(usr|lib|lib32|lib64|libx32|etc|proc|sys|dev)(\/|$)/.test(p)) return false;
    const abs = resolve(REPO_ROOT, p); // the CLI runs in the checkout; a relative name is resolved there
    if (abs.startsWith(home + '/cases/') && /\/(scratch|tmp-[^/]*)\//.test(abs)) return false; // the case's scratch folder
    return !own.includes(abs);
  });
}

beforeAll(async () => {
  const strace = which('strace');
  if (!strace) throw new Error('strace is not installed: this test traces ffmpeg with it (Debian: apt-get install strace)');
  work = tempDir();
  folder = join(work, 'case');
  home = join(work, 'home');
  traces = join(work, 'traces');
  for (const d of [folder, home, traces, join(work, 'bin'), join(work, 'elsewhere')]) mkdirSync(d);
  outsideVideo = join(work, 'elsewhere', 'video.ts');
  makeTestVideo(outsideVideo, { width: 64, height: 48, frames: 10, extra: ['-f', 'mpegts'] });
  makeTestVideo(join(folder, 'sibling.mp4'), { width: 64, height: 48, frames: 6 });
  writeFileSync(join(folder, 'clip.mp4'), `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${outsideVideo}\n#EXT-X-ENDLIST\n`);
  writeFileSync(join(folder, 'stream.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n../elsewhere/video.ts\n#EXT-X-ENDLIST\n');
  writeFileSync(join(folder, 'dash.mp4'), [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT1S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">',
    `  <BaseURL>file://${join(work, 'elsewhere')}/</BaseURL>`,
    '  <Period><AdaptationSet mimeType="video/mp2t"><Representation id="v" bandwidth="100000"><BaseURL>video.ts</BaseURL></Representation></AdaptationSet></Period>',
    '</MPD>', '',
  ].join('\n'));
  writeFileSync(join(folder, 'joined.mkv'), 'ffconcat version 1.0\nfile sibling.mp4\n');
  writeFileSync(join(folder, 'camera.mp4'), 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=camera\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n');

  clearFfmpegCache();
  realFfmpeg = await locateFfmpeg();
  const env = {
    DEEPSCAN_HOME: home,
    DEEPSCAN_FFMPEG: tracingWrapper('ffmpeg', realFfmpeg.ffmpeg, strace),
    DEEPSCAN_FFPROBE: tracingWrapper('ffprobe', realFfmpeg.ffprobe, strace),
  };
  traced = await locateFfmpeg(env);
  cli = await runCli(['analyze', folder, '--frames', '2', '--json', join(work, 'out.json')], env);
  json = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as CaseJson;
}, 240_000);

afterAll(() => {
  clearFfmpegCache();
  if (work) rmSync(work, { recursive: true, force: true });
});

const item = (path: string): EvidenceJson => {
  const e = json.evidence.find((x) => x.path === path);
  if (!e) throw new Error(`no evidence ${path} in ${json.evidence.map((x) => x.path).join(', ')}`);
  return e;
};

describe('evidence that refers to other files', () => {
  it('is refused by name, never probed, and the run goes on', () => {
    expect(cli.code, cli.stderr).toBe(0);
    for (const [path, what] of Object.entries(ADVERSARIAL)) {
      const e = item(path);
      expect(e.status, path).toBe('unreadable');
      expect(e.errorCode, path).toBe('external-references');
      expect(e.error, path).toBe(`"${path}" refers to other files: ${what}; Deepscan does not follow references out of an evidence item`);
      expect(e.frames, path).toEqual([]);
      expect(e.frameCount, path).toBeNull();
      expect(e.sha256, path).toMatch(/^[0-9a-f]{64}$/); // hashed like any evidence
    }
    expect(item('sibling.mp4').status).toBe('analyzed');
    // Never probed: no ffmpeg or ffprobe was started with a reference file as its input.
    const started = invocations().flatMap((i) => i.args);
    for (const path of Object.keys(ADVERSARIAL)) expect(started).not.toContain(join(folder, path));
  });

  it('no ffmpeg/ffprobe process opened a file outside its own item (strace)', () => {
    const all = invocations();
    // The tracing works: the real sibling was probed and decoded, and its opens were seen.
    expect(all.filter((i) => i.opened.includes(join(folder, 'sibling.mp4'))).length).toBeGreaterThanOrEqual(2);
    for (const inv of all) expect(violations(inv), inv.args.join(' ')).toEqual([]);
    expect(all.some((i) => i.opened.some((p) => p.includes('elsewhere')))).toBe(false);
  });

  it('the demuxer allow-list alone stops ffmpeg and ffprobe from following them (no sniffing)', async () => {
    const before = new Set(readdirSync(traces));
    for (const [path, what] of Object.entries(ADVERSARIAL)) {
      const abs = join(folder, path);
      // ffprobe as probeMedia runs it, minus the content check.
      const r = await runTool(traced.ffprobe, ['-v', 'error', '-show_streams', '-count_packets', ...evidenceInputArgs(abs), abs]);
      expect(r.code, path).not.toBe(0);
      const refused = whitelistRefusal(r.stderr, path);
      expect(refused?.code, `${path}: ${r.stderr}`).toBe('external-references');
      expect(refused?.message, path).toContain(`refers to other files: ${what}`);
      // ffmpeg decoding, as the frame count runs it.
      const err = await countDecodedFrames(traced, abs, { displayName: path }).catch((e: unknown) => e);
      expect(isDeepscanError(err) ? err.code : err, path).toBe('external-references');
    }
    const fresh = invocations().filter((i) => i.args.some((a) => Object.keys(ADVERSARIAL).some((p) => a === join(folder, p))));
    expect(fresh.length).toBe(2 * Object.keys(ADVERSARIAL).length);
    expect(readdirSync(traces).filter((f) => !before.has(f)).length).toBe(4 * Object.keys(ADVERSARIAL).length); // .args + .trace each
    for (const inv of fresh) expect(violations(inv), inv.args.join(' ')).toEqual([]);
    expect(fresh.some((i) => i.opened.some((p) => p.includes('elsewhere') || p.endsWith('/sibling.mp4')))).toBe(false);
  });
});
