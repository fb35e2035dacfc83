/**
 * Playback copies (issue 13, item 5) with the real ffmpeg: an MPEG-4 Part 2 AVI (which Chromium
 * cannot play) gets an H.264 MP4 copy in the case workspace, frame for frame with the same
 * timestamps, hashed and audited; the evidence folder is never written; a copy that no longer
 * hashes as recorded is made again, and evidence swapped after registration gets no copy.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFolder } from '../../../test/helpers/folder-snapshot.js';
import { tempDir } from '../../../test/helpers/paths.js';
import { openCase, type OpenedCase } from '../case/open-case.js';
import { caseDbPath, caseDir } from '../case/workspace.js';
import { ingestCaseFolder } from '../ingest/ingest.js';
import { locateFfmpeg, type FfmpegTools } from '../media/ffmpeg.js';
import { readAudit, verifyAuditChain } from '../store/audit.js';
import { CaseStore } from '../store/case-store.js';
import { PROXY_ACTION } from '../store/proxies.js';
import { isDeepscanError } from '../util/errors.js';
import { createWorkstationService } from './index.js';
import type { TaskEvent } from '../../../common/api.js';
import { copyProgressEmitter, makePlaybackCopy, playbackCopyInfo, PROXY_DIR } from './proxies.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Each decoded frame's presentation time (s), as ffprobe reports it. */
function frameTimes(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  // One line per frame ("0.040000"); a frame with side data adds a trailing field and a blank line.
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => Number(l.split(',')[0]));
}

function stream(file: string): { codec_name: string; pix_fmt: string; width: number; height: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt,width,height', '-of', 'json', file], { encoding: 'utf8' });
  return (JSON.parse(out) as { streams: { codec_name: string; pix_fmt: string; width: number; height: number }[] }).streams[0];
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isDeepscanError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('playback copy of a codec the browser cannot play', () => {
  let root: string;
  let folder: string;
  let c: OpenedCase;
  let tools: FfmpegTools;
  let clipId: number;
  let imageId: number;

  beforeAll(async () => {
    root = tempDir('deepscan-proxy-');
    folder = join(root, 'evidence');
    mkdirSync(folder);
    // MPEG-4 Part 2 in AVI, and a lossless FFV1 (4:4:4) in Matroska at an odd size: yuv420p needs
    // even sizes, so its copy is padded by a pixel (never scaled).
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-frames:v', '40', '-c:v', 'mpeg4', '-q:v', '3', join(folder, 'clip.avi')]);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=162x122:rate=30', '-vf', 'format=yuv444p,crop=161:121:0:0', '-frames:v', '12', '-c:v', 'ffv1', '-pix_fmt', 'yuv444p', join(folder, 'odd.mkv')]);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x48', '-frames:v', '1', join(folder, 'still.png')]);
    c = await openCase({ folder, home: join(root, 'home'), examiner: 'tester' });
    tools = await locateFfmpeg();
    await ingestCaseFolder(c.store, c.folder, tools, c.actor);
    clipId = c.store.getEvidenceByPath('clip.avi')!.id;
    imageId = c.store.getEvidenceByPath('still.png')!.id;
  }, 120_000);

  const clipEntries = () => readAudit(c.store.db).filter((e) => e.action === PROXY_ACTION && (e.details as { evidenceId?: number }).evidenceId === clipId);

  afterAll(() => {
    c?.store.close();
  });

  it('writes an H.264 MP4 into the case workspace, same frames and timestamps, hashed and audited; the evidence folder is untouched', async () => {
    const before = snapshotFolder(folder);
    expect(stream(join(folder, 'clip.avi')).codec_name).toBe('mpeg4');
    const stages: string[] = [];
    const copy = await makePlaybackCopy(c, tools, clipId, { onProgress: (stage) => stages.push(stage) });

    expect(copy.reused).toBe(false);
    expect(copy.file.startsWith(join(c.workspace, PROXY_DIR))).toBe(true);
    expect(relative(folder, copy.file).startsWith('..')).toBe(true);
    expect(copy.evidenceSha256).toBe(c.store.getEvidence(clipId)!.sha256);
    expect(copy.sha256).toBe(sha256(copy.file));
    expect(copy.bytes).toBe(readFileSync(copy.file).length);
    expect(copy.mediaType).toBe('video/mp4');
    expect(stages).toContain('verify');
    expect(stages).toContain('transcode');

    const s = stream(copy.file);
    expect([s.codec_name, s.pix_fmt, s.width, s.height]).toEqual(['h264', 'yuv420p', 160, 120]);
    const orig = frameTimes(join(folder, 'clip.avi'));
    const made = frameTimes(copy.file);
    expect(made).toHaveLength(40);
    expect(made.length).toBe(orig.length);
    for (let i = 0; i < orig.length; i++) expect(Math.abs(made[i] - orig[i]), `frame ${i}`).toBeLessThan(1e-3);

    const entries = readAudit(c.store.db).filter((e) => e.action === PROXY_ACTION);
    expect(entries).toHaveLength(1);
    expect(entries[0].actor).toBe('tester');
    const d = entries[0].details as Record<string, unknown>;
    expect(d.sha256).toBe(copy.sha256);
    expect(d.evidenceSha256).toBe(copy.evidenceSha256);
    expect(d.ffmpegArgs).toEqual(copy.ffmpegArgs);
    expect(copy.ffmpegArgs).toContain('libx264');
    expect(verifyAuditChain(c.store.db).ok).toBe(true);

    expect(snapshotFolder(folder)).toEqual(before);
  }, 120_000);

  it('pads an odd-sized picture by one pixel (never scales it), frame for frame', async () => {
    const oddId = c.store.getEvidenceByPath('odd.mkv')!.id;
    const copy = await makePlaybackCopy(c, tools, oddId);
    const s = stream(copy.file);
    expect([s.codec_name, s.pix_fmt, s.width, s.height]).toEqual(['h264', 'yuv420p', 162, 122]);
    const orig = frameTimes(join(folder, 'odd.mkv'));
    const made = frameTimes(copy.file);
    expect(made).toHaveLength(12);
    for (let i = 0; i < orig.length; i++) expect(Math.abs(made[i] - orig[i]), `frame ${i}`).toBeLessThan(1e-3);
  }, 120_000);

  it('reuses the copy for the same bytes without a new entry, and offers it through playbackCopyInfo', async () => {
    const again = await makePlaybackCopy(c, tools, clipId);
    expect(again.reused).toBe(true);
    expect(clipEntries()).toHaveLength(1);
    const info = await playbackCopyInfo(c.store, clipId);
    expect(info?.sha256).toBe(again.sha256);
  }, 60_000);

  it('never serves a copy that no longer hashes as recorded: it is made again and recorded again', async () => {
    const first = (await playbackCopyInfo(c.store, clipId))!;
    appendFileSync(first.file, Buffer.from('x'));
    // The size check alone already withholds it from the player.
    expect(await playbackCopyInfo(c.store, clipId)).toBeNull();
    const remade = await makePlaybackCopy(c, tools, clipId);
    expect(remade.reused).toBe(false);
    expect(remade.sha256).toBe(sha256(remade.file));
    expect(clipEntries()).toHaveLength(2);
  }, 120_000);

  it('offers nothing once the copy file is gone', async () => {
    const info = (await playbackCopyInfo(c.store, clipId))!;
    const saved = readFileSync(info.file);
    rmSync(info.file);
    expect(await playbackCopyInfo(c.store, clipId)).toBeNull();
    writeFileSync(info.file, saved);
    expect((await playbackCopyInfo(c.store, clipId))?.sha256).toBe(info.sha256);
  });

  it('refuses a still image and an unknown evidence id by name', async () => {
    const still = await refusal(makePlaybackCopy(c, tools, imageId));
    expect(still.code).toBe('invalid-argument');
    expect(still.message).toMatch(/still\.png is not a video/);
    expect((await refusal(makePlaybackCopy(c, tools, 9999))).message).toMatch(/evidence 9999 is not registered/);
  });

  it('refuses evidence swapped after it was registered: no copy, the refusal recorded, the old copy withheld', async () => {
    const clip = join(folder, 'clip.avi');
    const kept = join(root, 'clip.original.avi');
    copyFileSync(clip, kept);
    const entriesBefore = readAudit(c.store.db).filter((e) => e.action === PROXY_ACTION).length;
    // Another video under the same name (a different clip, so different bytes and size).
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=161x121:rate=25', '-frames:v', '30', '-c:v', 'mpeg4', clip]);
    try {
      const r = await refusal(makePlaybackCopy(c, tools, clipId));
      expect(r.code).toMatch(/evidence-changed|integrity-failed/);
      expect(r.message).toMatch(/clip\.avi/);
      expect(readAudit(c.store.db).filter((e) => e.action === PROXY_ACTION)).toHaveLength(entriesBefore);
      expect(verifyAuditChain(c.store.db).ok).toBe(true);
      // The case now knows the evidence changed: its copy is no longer offered to the player.
      expect(c.store.getEvidence(clipId)!.integrity).not.toBe('ok');
      expect(await playbackCopyInfo(c.store, clipId)).toBeNull();
      expect(existsSync(join(folder, PROXY_DIR))).toBe(false);
    } finally {
      copyFileSync(kept, clip);
    }
  }, 120_000);
});

describe('cancelling a playback copy (through the workstation service)', () => {
  it('stops ffmpeg, leaves no copy and no audit entry, and a later request makes it whole', async () => {
    const root = tempDir('deepscan-proxy-cancel-');
    const folder = join(root, 'evidence');
    mkdirSync(folder);
    // Long enough (30 s) that the transcode is still running when the cancel arrives.
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-frames:v', '750', '-c:v', 'mpeg4', '-q:v', '5', join(folder, 'long.avi')]);
    const service = createWorkstationService({ home: join(root, 'home') });
    const opened = await service.openCase({ folder, examiner: 'tester' });
    if (!opened.ok) throw new Error(opened.error.message);
    const caseId = opened.value.id;
    const rows = await service.listEvidence(caseId);
    if (!rows.ok) throw new Error(rows.error.message);
    const id = rows.value.find((r) => r.path === 'long.avi')!.id;

    const making = service.makePlaybackCopy(caseId, id, 'tester');
    await new Promise((r) => setTimeout(r, 400));
    const cancel = await service.cancelPlaybackCopy(caseId, id);
    expect(cancel).toEqual({ ok: true, value: { cancelled: true } });
    const result = await making;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('cancelled');

    const proxies = join(caseDir(join(root, 'home'), caseId), PROXY_DIR);
    expect(existsSync(proxies) ? readdirSync(proxies) : []).toEqual([]);
    expect(await service.getPlaybackCopy(caseId, id)).toEqual({ ok: true, value: null });
    const audit = new CaseStore(caseDbPath(join(root, 'home'), caseId), { readonly: true });
    try {
      expect(readAudit(audit.db).filter((e) => e.action === PROXY_ACTION)).toHaveLength(0);
    } finally {
      audit.close();
    }

    // The whole copy, with its progress as events for this case and evidence only.
    const events: TaskEvent[] = [];
    const unsubscribe = service.onTaskEvent((e) => events.push(e));
    const made = await service.makePlaybackCopy(caseId, id, 'tester');
    unsubscribe();
    expect(made.ok && made.value.reused).toBe(false);
    expect(await service.cancelPlaybackCopy(caseId, id)).toEqual({ ok: true, value: { cancelled: false } });
    const progress = events.filter((e) => e.type === 'copy-progress');
    expect(progress).toHaveLength(events.length); // nothing that reads as an analysis
    for (const e of progress) expect(e).toMatchObject({ taskId: null, caseId, evidenceId: id });
    expect(progress[0]).toMatchObject({ stage: 'verify', fraction: 0 });
    const encoded = progress.filter((e) => e.stage === 'transcode').map((e) => e.fraction);
    // ffmpeg reports about twice a second while it encodes the 30 s clip: several steps, in order, ending at 1.
    expect(encoded.length).toBeGreaterThanOrEqual(3);
    expect(encoded.some((f) => f > 0 && f < 1)).toBe(true);
    expect(encoded).toEqual([...encoded].sort((a, b) => a - b));
    expect(encoded.at(-1)).toBe(1);
    expect(progress.at(-1)).toMatchObject({ stage: 'transcode', fraction: 1 });
  }, 180_000);
});

describe('copyProgressEmitter', () => {
  it('passes each stage change, steps of at least 1 %, and the end; drops the rest', () => {
    const sent: [string, number][] = [];
    const emit = copyProgressEmitter((stage, f) => sent.push([stage, f]));
    for (const [stage, f] of [['verify', 0], ['verify', 1], ['transcode', 0], ['transcode', 0.004], ['transcode', 0.012], ['transcode', 0.015], ['transcode', 0.5], ['transcode', 0.5], ['transcode', 0.995], ['transcode', 0.999], ['transcode', 1], ['transcode', 1]] as const) emit(stage, f);
    expect(sent).toEqual([['verify', 0], ['verify', 1], ['transcode', 0], ['transcode', 0.012], ['transcode', 0.5], ['transcode', 0.995], ['transcode', 1]]);
  });
});
