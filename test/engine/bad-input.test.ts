import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseJson, EvidenceJson } from '../../main/engine/report/case-json.js';
import { runCli } from '../helpers/cli.js';
import { snapshotFolder } from '../helpers/folder-snapshot.js';
import { makeAudioOnly, makeLyingAvi, makeRotatedVideo, makeStillImage, makeTestVideo } from '../helpers/make-media.js';
import { tempDir } from '../helpers/paths.js';

/** Every kind of bad input gets a named error, and the run goes on to the end. */
let work: string;
let folder: string;
let home: string;
let json: CaseJson;
let code: number | null;
let stderr: string;
let before: Record<string, string>;
const isRoot = process.getuid?.() === 0;

const item = (path: string): EvidenceJson => {
  const e = json.evidence.find((x) => x.path === path);
  if (!e) throw new Error(`no evidence ${path} in ${json.evidence.map((x) => x.path).join(', ')}`);
  return e;
};

beforeAll(async () => {
  work = tempDir();
  // World-accessible so that the CLI can run as an unprivileged user (see 'unreadable file').
  chmodSync(work, 0o755);
  folder = join(work, 'case folder');
  home = join(work, 'home');
  mkdirSync(folder);
  mkdirSync(home, { mode: 0o777 });
  chmodSync(home, 0o777);
  writeFileSync(join(folder, 'empty.mp4'), '');
  writeFileSync(join(folder, 'letter.mp4'), 'This is a text file with a video extension.\n');
  writeFileSync(join(folder, 'readme.md'), '# notes\n');
  makeAudioOnly(join(folder, 'voicemail.m4a'));
  makeLyingAvi(join(folder, 'lying.avi'), 40, 400);
  makeTestVideo(join(work, 'plain.mp4'), { width: 320, height: 240, frames: 45 });
  makeRotatedVideo(join(work, 'plain.mp4'), join(folder, 'rotated.mp4'), 90);
  makeTestVideo(join(folder, 'portrait.mp4'), { width: 180, height: 320, frames: 20 });
  mkdirSync(join(folder, 'Überwachung – Kamera 3'));
  makeTestVideo(join(folder, 'Überwachung – Kamera 3', 'Ausschnitt 1 (2).mp4'), { frames: 10 });
  makeStillImage(join(folder, 'still.png'));
  makeStillImage(join(folder, 'photo.jpg'));
  writeFileSync(join(work, 'outside.mp4'), 'outside');
  symlinkSync(join(work, 'outside.mp4'), join(folder, 'link-out.mp4'));
  symlinkSync(join(folder, 'portrait.mp4'), join(folder, 'link-in.mp4'));
  execFileSync('mkfifo', [join(folder, 'pipe.mp4')]);
  writeFileSync(join(folder, 'locked.mp4'), 'secret');
  chmodSync(join(folder, 'locked.mp4'), 0o000);
  before = snapshotFolder(folder);
  // Root reads anything, so to meet a real permission error the CLI runs as 'nobody' when we are root.
  const asUser = isRoot ? { uid: 65534, gid: 65534 } : undefined;
  const r = await runCli(['analyze', folder, '--json', join(home, 'out.json')], { DEEPSCAN_HOME: home }, asUser);
  code = r.code;
  stderr = r.stderr;
  json = JSON.parse(readFileSync(join(home, 'out.json'), 'utf8')) as CaseJson;
}, 300_000);

afterAll(() => {
  try {
    chmodSync(join(folder, 'locked.mp4'), 0o644);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

describe('bad evidence never stops a run', () => {
  it('exits 0 and leaves the folder untouched', () => {
    expect(stderr).not.toMatch(/internal error/);
    expect(code).toBe(0);
    expect(snapshotFolder(folder)).toEqual(before);
  });

  it('zero-byte video: unreadable, "empty"', () => {
    expect(item('empty.mp4')).toMatchObject({ status: 'unreadable', kind: 'video' });
    expect(item('empty.mp4').error).toMatch(/empty\.mp4.*empty|0 bytes/i);
  });

  it('text named .mp4: unreadable with the decoder\'s cause; plain text: not-media', () => {
    expect(item('letter.mp4').status).toBe('unreadable');
    expect(item('letter.mp4').error).toContain('letter.mp4');
    expect(item('readme.md')).toMatchObject({ status: 'not-media', kind: 'other', error: null });
  });

  it('audio-only file: not-media, saying there is no video stream', () => {
    expect(item('voicemail.m4a')).toMatchObject({ status: 'not-media', kind: 'other' });
    expect(item('voicemail.m4a').error).toMatch(/no video stream.*aac|audio/i);
  });

  it('a container lying about its frame count: the true decoded count is used and sampled', () => {
    const e = item('lying.avi');
    expect(e).toMatchObject({ status: 'analyzed', frameCount: 40, frameCountSource: 'decoded' });
    expect(e.frames.map((f) => f.index)).toEqual(
      Array.from({ length: 32 }, (_, i) => (i === 31 ? 39 : Math.floor(i * (39 / 31)))),
    );
  });

  it('rotated and portrait videos: displayed size, rotation applied', () => {
    // ffmpeg 5.1 writes the legacy `rotate=90` tag as a display matrix that turns the picture a
    // quarter counter-clockwise (checked on pixels in the media tests): 270° clockwise.
    expect(item('rotated.mp4')).toMatchObject({ status: 'analyzed', rotation: 270, width: 240, height: 320 });
    expect(item('portrait.mp4')).toMatchObject({ status: 'analyzed', width: 180, height: 320, frameCount: 20 });
  });

  it('unicode and spaces in paths', () => {
    expect(item('Überwachung – Kamera 3/Ausschnitt 1 (2).mp4')).toMatchObject({ status: 'analyzed', frameCount: 10 });
  });

  it('still images are one-frame evidence', () => {
    for (const p of ['still.png', 'photo.jpg']) {
      expect(item(p)).toMatchObject({ kind: 'image', status: 'analyzed', frameCount: 1 });
      expect(item(p).frames.map((f) => f.index)).toEqual([0]);
    }
  });

  it('symlinks: outside the folder refused by name, inside followed', () => {
    expect(item('link-out.mp4').status).toBe('unreadable');
    expect(item('link-out.mp4').error).toMatch(/points outside the case folder/);
    expect(item('link-out.mp4').sha256).toBeNull();
    expect(item('link-in.mp4')).toMatchObject({ status: 'analyzed', frameCount: 20 });
  });

  it('a FIFO is reported, never opened', () => {
    expect(item('pipe.mp4').status).toBe('unreadable');
    expect(item('pipe.mp4').error).toMatch(/special file/);
  });

  it('an unreadable file (permissions) is reported with the cause', () => {
    expect(item('locked.mp4').status).toBe('unreadable');
    expect(item('locked.mp4').error).toMatch(/locked\.mp4: cannot read the file \(permission denied\)/);
  });

  it('a folder that does not exist is fatal, with a clear message', async () => {
    const r = await runCli(['analyze', join(work, 'no such folder')], { DEEPSCAN_HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/case folder does not exist: .*no such folder/);
  });
});
