import { copyFileSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseDbPath, caseIdForFolder } from '../../main/engine/case/workspace.js';
import type { CaseJson } from '../../main/engine/report/case-json.js';
import { CaseStore } from '../../main/engine/store/case-store.js';
import { runCli } from '../helpers/cli.js';
import { snapshotFolder } from '../helpers/folder-snapshot.js';
import { sha256sum, writeTruncatedCopy } from '../helpers/make-media.js';
import { FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, REFERENCE_JSON, tempDir } from '../helpers/paths.js';

/**
 * The foundation's acceptance case: both shared videos (one in a unicode-named sub-folder), a
 * truncated copy and a text file, analysed through the real CLI with real ffmpeg and SQLite.
 */
const reference = JSON.parse(readFileSync(REFERENCE_JSON, 'utf8')) as { videos: { video: string; frame_idxs: number[] }[] };
const refIdxs = (name: string) => reference.videos.find((v) => v.video.endsWith(name))!.frame_idxs;

let work: string;
let folder: string;
let home: string;
let before: Record<string, string>;
let json: CaseJson;
let firstRun: Awaited<ReturnType<typeof runCli>>;
const SWAP_PATH = 'Zeugenaussage – ü/Aufnahme 2 (swap).mp4';

beforeAll(async () => {
  work = tempDir();
  folder = join(work, 'Fall 2026-117 évidence');
  home = join(work, 'home');
  mkdirSync(join(folder, 'Zeugenaussage – ü'), { recursive: true });
  copyFileSync(FIXTURE_VIDEO, join(folder, 'three_faces.mp4'));
  copyFileSync(FIXTURE_SWAP_VIDEO, join(folder, SWAP_PATH));
  writeTruncatedCopy(FIXTURE_VIDEO, join(folder, 'truncated copy.mp4'), 0.4);
  writeFileSync(join(folder, 'notes.txt'), 'Chain of custody: received 2026-11-20 from officer K.\n');
  before = snapshotFolder(folder);
  firstRun = await runCli(['analyze', folder, '--json', join(work, 'out.json'), '--examiner', 'E. Examiner', '--number', '2026-117'], { DEEPSCAN_HOME: home });
  json = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as CaseJson;
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('deepscan analyze on the shared pair, a truncated copy and a text file', () => {
  it('finishes with exit code 0 (bad evidence is reported, not fatal)', () => {
    expect(firstRun.stderr).not.toMatch(/internal error/);
    expect(firstRun.code).toBe(0);
    expect(firstRun.stdout).toMatch(/2 analysed, 0 re-scored, 0 unchanged \(skipped\), 1 unreadable/);
  });

  it('lists every file with its relative, /-separated path and the sha256sum hash', () => {
    expect(json.evidence.map((e) => e.path).sort()).toEqual([SWAP_PATH, 'notes.txt', 'three_faces.mp4', 'truncated copy.mp4'].sort());
    for (const e of json.evidence) expect(e.sha256).toBe(sha256sum(join(folder, e.path)));
  });

  it('samples the reference frame indices of both videos over a 300-frame count', () => {
    const original = json.evidence.find((e) => e.path === 'three_faces.mp4')!;
    const swap = json.evidence.find((e) => e.path === SWAP_PATH)!;
    for (const [e, name] of [[original, 'three_faces.mp4'], [swap, 'three_faces_swap.mp4']] as const) {
      expect(e).toMatchObject({ kind: 'video', status: 'analyzed', error: null, frameCount: 300, fps: 30, width: 1920, height: 1080 });
      expect(e.frames.map((f) => f.index)).toEqual(refIdxs(name));
      expect(e.frames.every((f) => Array.isArray(f.faces))).toBe(true);
      expect(e.frames[1].pts).toBeCloseTo(refIdxs(name)[1] / 30, 6);
    }
  });

  it('names the cause for the truncated copy and calls the text file not-media', () => {
    const truncated = json.evidence.find((e) => e.path === 'truncated copy.mp4')!;
    expect(truncated.status).toBe('unreadable');
    expect(truncated.error).toContain('truncated copy.mp4');
    expect(truncated.error).toMatch(/moov atom not found|invalid data|truncated/i);
    expect(json.evidence.find((e) => e.path === 'notes.txt')).toMatchObject({ kind: 'other', status: 'not-media', error: null, frames: [] });
  });

  it('leaves the evidence folder byte- and mtime-identical, and keeps the case outside it', () => {
    expect(snapshotFolder(folder)).toEqual(before);
    const id = caseIdForFolder(realpathSync(folder));
    expect(json.case.id).toBe(id);
    expect(readFileSync(caseDbPath(home, id)).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('records the case details and a verifiable audit chain', async () => {
    expect(json.case).toMatchObject({ number: '2026-117', examiner: 'E. Examiner', audit: { ok: true } });
    const verify = await runCli(['audit', 'verify', folder], { DEEPSCAN_HOME: home });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/Audit chain verified: \d+ entries, head hash [0-9a-f]{64}/);
  });

  it('skips unchanged items on a second run with the same parameters', async () => {
    const again = await runCli(['analyze', folder], { DEEPSCAN_HOME: home });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 analysed, 0 re-scored, 2 unchanged \(skipped\), 1 unreadable/);
    expect(snapshotFolder(folder)).toEqual(before);
  });

  it('re-analyses when the parameters change', async () => {
    const eight = await runCli(['analyze', folder, '--frames', '8', '--json', join(work, 'eight.json')], { DEEPSCAN_HOME: home });
    expect(eight.code).toBe(0);
    const j = JSON.parse(readFileSync(join(work, 'eight.json'), 'utf8')) as CaseJson;
    expect(j.evidence.find((e) => e.path === 'three_faces.mp4')!.frames.map((f) => f.index)).toEqual([0, 42, 85, 128, 170, 213, 256, 299]);
  });

  it('records a changed file as a lasting integrity failure and never overwrites its hash', async () => {
    const registered = json.evidence.find((e) => e.path === 'notes.txt')!.sha256;
    appendFileSync(join(folder, 'notes.txt'), 'tampered\n');
    const run = await runCli(['analyze', folder, '--json', join(work, 'tampered.json')], { DEEPSCAN_HOME: home });
    expect(run.code).toBe(0);
    const j = JSON.parse(readFileSync(join(work, 'tampered.json'), 'utf8')) as CaseJson;
    const notes = j.evidence.find((e) => e.path === 'notes.txt')!;
    expect(notes).toMatchObject({ status: 'integrity-failed', integrity: 'changed', sha256: registered });
    expect(notes.error).toMatch(/changed after registration/);
    // Restoring the bytes does not erase the failure.
    writeFileSync(join(folder, 'notes.txt'), 'Chain of custody: received 2026-11-20 from officer K.\n');
    await runCli(['analyze', folder, '--json', join(work, 'restored.json')], { DEEPSCAN_HOME: home });
    const r = JSON.parse(readFileSync(join(work, 'restored.json'), 'utf8')) as CaseJson;
    expect(r.evidence.find((e) => e.path === 'notes.txt')!.status).toBe('integrity-failed');
    const store = new CaseStore(caseDbPath(home, json.case.id), { readonly: true });
    const ev = store.getEvidenceByPath('notes.txt')!;
    expect(store.integrityEvents(ev.id).length).toBeGreaterThanOrEqual(1);
    store.close();
  });
});
