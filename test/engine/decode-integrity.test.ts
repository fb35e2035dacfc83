import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase, type OpenedCase } from '../../main/engine/case/open-case.js';
import { ingestCaseFolder } from '../../main/engine/ingest/ingest.js';
import { compareWithReference, type CompareOptions } from '../../main/engine/pipeline/compare.js';
import { analyzeCase, type AnalyzeHooks } from '../../main/engine/pipeline/analyze-case.js';
import { listComparisons } from '../../main/engine/store/masks.js';
import { locateFfmpeg } from '../../main/engine/media/ffmpeg.js';
import type { CaseJson } from '../../main/engine/report/case-json.js';
import { runCli } from '../helpers/cli.js';
import { makeTestVideo } from '../helpers/make-media.js';
import { tempDir } from '../helpers/paths.js';

/**
 * Results are bound to the bytes decoded: a file swapped between its hash and its decode (and
 * put back afterwards) must not leave the other file's results under the registered hash.
 */
let work: string;
let clip: string;
let other: string;

beforeAll(() => {
  work = tempDir();
  clip = join(work, 'clip.mp4');
  other = join(work, 'other.mp4');
  makeTestVideo(clip, { width: 96, height: 64, frames: 8, fps: 8 });
  makeTestVideo(other, { width: 96, height: 64, frames: 8, fps: 8, extra: ['-vf', 'negate'] });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A one-video case of its own; `name` is the evidence file. */
async function newCase(): Promise<{ c: OpenedCase; folder: string; home: string; file: string }> {
  const folder = join(work, `case-${++n}`);
  const home = join(work, `home-${n}`);
  mkdirSync(folder);
  copyFileSync(clip, join(folder, 'clip.mp4'));
  const c = await openCase({ folder, home });
  return { c, folder, home, file: join(folder, 'clip.mp4') };
}

const analyze = (c: OpenedCase, hooks?: AnalyzeHooks) => analyzeCase(c, { frames: 2, models: [], hooks });

describe('evidence swapped between hashing and decoding', () => {
  it('(a) replaced before decode and restored after it: results discarded, failure lasting and shown', async () => {
    const { c, folder, home, file } = await newCase();
    const aside = join(work, `aside-${n}.mp4`);
    const calls: string[] = [];
    const summary = await analyze(c, {
      // After the pre-decode identity check passed: the window ffmpeg's open-by-path leaves.
      beforeDecode: (p) => {
        calls.push(`before ${p}`);
        renameSync(file, aside);
        copyFileSync(other, file);
      },
      // Put the original back (same inode, same bytes) before the re-hash.
      afterDecode: (p) => {
        calls.push(`after ${p}`);
        rmSync(file);
        renameSync(aside, file);
      },
    });
    expect(calls).toEqual(['before clip.mp4', 'after clip.mp4']);
    expect(summary).toMatchObject({ analyzed: 0, integrityFailed: 1 });
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    expect(c.store.getAnalysis(e.id)).toBeNull();
    expect(c.store.listFrames(e.id)).toEqual([]);
    expect(e.status).toBe('integrity-failed');
    expect(e.sha256).toBe(c.store.integrityEvents(e.id)[0].expectedSha256);
    const events = c.store.integrityEvents(e.id);
    expect(events).toHaveLength(1);
    expect(events[0].phase).toBe('after-decode');
    expect(events[0].detail).toMatch(/changed while it was being analysed, between \d{4}-.+Z and \d{4}-.+Z: same bytes now, but .*ctime/);
    // A second run: still failed, nothing analysed, the registered hash kept.
    const again = await analyze(c);
    expect(again.analyzed).toBe(0);
    expect(c.store.getEvidenceByPath('clip.mp4')).toMatchObject({ status: 'integrity-failed', sha256: e.sha256 });
    expect(c.store.getAnalysis(e.id)).toBeNull();
    c.store.close();
    const info = await runCli(['info', folder, '--json'], { DEEPSCAN_HOME: home });
    expect(info.code).toBe(0);
    const json = JSON.parse(info.stdout) as CaseJson;
    const shown = json.evidence.find((x) => x.path === 'clip.mp4')!;
    expect(shown).toMatchObject({ status: 'integrity-failed', score: null, sha256: e.sha256 });
    expect(shown.error).toMatch(/after-decode.*changed while it was being analysed/);
    expect(shown.frames).toEqual([]);
  });

  it('(a2) replaced before decode and still replaced at the re-hash: discarded, the other hash named', async () => {
    const { c, file } = await newCase();
    const summary = await analyze(c, { beforeDecode: () => copyFileSync(other, file) });
    expect(summary.integrityFailed).toBe(1);
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    expect(c.store.getAnalysis(e.id)).toBeNull();
    expect(c.store.integrityEvents(e.id)[0].detail).toMatch(/SHA-256 now [0-9a-f]{64}/);
    c.store.close();
  });

  it('(b) rewritten in place before decode with size and mtime restored: caught by ctime', async () => {
    const { c, file } = await newCase();
    const summary = await analyze(c, {
      afterIngest: () => {
        const st = statSync(file);
        const stamp = join(work, `stamp-${n}`);
        writeFileSync(stamp, '');
        execFileSync('touch', ['-r', file, stamp]); // keep the times to the nanosecond, as an attacker would
        const bytes = readFileSync(file);
        const fd = openSync(file, 'r+'); // the same inode, the same size
        writeSync(fd, Buffer.from(bytes.subarray(200, 208).map((b) => b ^ 0xff)), 0, 8, 200);
        closeSync(fd);
        execFileSync('touch', ['-r', stamp, file]);
        expect(statSync(file)).toMatchObject({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
      },
    });
    expect(summary).toMatchObject({ analyzed: 0, integrityFailed: 1 });
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    expect(c.store.getAnalysis(e.id)).toBeNull();
    const [ev] = c.store.integrityEvents(e.id);
    expect(ev.phase).toBe('before-decode');
    expect(ev.detail).toMatch(/ctime/);
    expect(ev.detail).not.toMatch(/inode|size|mtime/);
    c.store.close();
  });

  it('(c) swapped by rename (a new inode, even with identical bytes) before decode: caught', async () => {
    const { c, file } = await newCase();
    const summary = await analyze(c, {
      afterIngest: () => {
        writeFileSync(`${file}.new`, readFileSync(file));
        renameSync(`${file}.new`, file);
      },
    });
    expect(summary).toMatchObject({ analyzed: 0, integrityFailed: 1 });
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    expect(c.store.getAnalysis(e.id)).toBeNull();
    const [ev] = c.store.integrityEvents(e.id);
    expect(ev.phase).toBe('before-decode');
    expect(ev.detail).toMatch(/inode \d+ → \d+/);
    c.store.close();
  });

  it('(d) an untouched file is analysed normally, its identity kept with the hash', async () => {
    const { c, file } = await newCase();
    const calls: string[] = [];
    const summary = await analyze(c, { afterIngest: () => void calls.push('ingest'), beforeDecode: () => void calls.push('before'), afterDecode: () => void calls.push('after') });
    expect(calls).toEqual(['ingest', 'before', 'after']);
    expect(summary).toMatchObject({ analyzed: 1, integrityFailed: 0, status: 'completed' });
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    const st = statSync(file);
    expect(e).toMatchObject({ status: 'analyzed', dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs, size: st.size, mtimeMs: st.mtimeMs });
    expect(c.store.getAnalysis(e.id)).toMatchObject({ status: 'analyzed', evidenceSha256: e.sha256 });
    expect(c.store.integrityEvents(e.id)).toEqual([]);
    c.store.close();
  });

  it('compare: a reference swapped during its decode and put back is refused, nothing stored', async () => {
    const { c, folder, file } = await newCase();
    copyFileSync(other, join(folder, 'suspect.mp4'));
    const tools = await locateFfmpeg();
    await ingestCaseFolder(c.store, c.folder, tools, c.actor);
    const aside = join(work, `aside-${n}.mp4`);
    const run = (hooks?: CompareOptions['hooks']) => compareWithReference(c, 'suspect.mp4', 'clip.mp4', { frameIndices: [0, 4], tools, hooks });
    await expect(run({
      beforeDecode: (p) => {
        if (p !== 'clip.mp4') return;
        renameSync(file, aside);
        copyFileSync(other, file);
      },
      afterDecode: () => {
        rmSync(file);
        renameSync(aside, file);
      },
    })).rejects.toMatchObject({ code: 'evidence-changed', message: expect.stringMatching(/^clip\.mp4: changed while it was being analysed/) as unknown });
    expect(listComparisons(c.store, c.store.getEvidenceByPath('suspect.mp4')!.id)).toEqual([]);
    const e = c.store.getEvidenceByPath('clip.mp4')!;
    expect(e.status).toBe('integrity-failed');
    expect(c.store.integrityEvents(e.id).map((x) => x.phase)).toEqual(['after-decode']);
    // And an untouched pair compares (the guard is not what refused it above).
    const { c: c2, folder: f2 } = await newCase();
    copyFileSync(other, join(f2, 'suspect.mp4'));
    await ingestCaseFolder(c2.store, c2.folder, tools, c2.actor);
    const ok = await compareWithReference(c2, 'suspect.mp4', 'clip.mp4', { frameIndices: [0, 4], tools });
    expect(ok.reference.sha256).toBe(c2.store.getEvidenceByPath('clip.mp4')!.sha256);
    c.store.close();
    c2.store.close();
  });
});
