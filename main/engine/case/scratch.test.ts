import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestVideo } from '../../../test/helpers/make-media.js';
import { REPO_ROOT, tempDir } from '../../../test/helpers/paths.js';
import { openCase } from './open-case.js';
import { makeScratchDir, OWNER_FILE, removeStaleScratch, SCRATCH_DIR } from './scratch.js';

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scratch folders', () => {
  it('a SIGKILLed analysis leaves its scratch folder; the next open removes it and keeps a live one', async () => {
    const folder = join(work, 'evidence');
    const home = join(work, 'home');
    mkdirSync(folder);
    makeTestVideo(join(work, 'clip.mp4'), { width: 96, height: 64, frames: 8, fps: 8 });
    copyFileSync(join(work, 'clip.mp4'), join(folder, 'clip.mp4'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'helpers', 'hang-analysis-child.ts'), folder, home], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('decoding') && resolve());
      child.on('close', () => reject(new Error(`the analysis ended before decoding: ${err}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const c0 = await openCase({ folder, home, readonly: true }); // read-only: sweeps nothing
    const scratch = join(c0.workspace, SCRATCH_DIR);
    c0.store.close();
    const left = readdirSync(scratch);
    expect(left).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(scratch, left[0], OWNER_FILE), 'utf8'))).toMatchObject({ pid: child.pid });
    const live = await makeScratchDir(c0.workspace, 'live'); // owned by this (running) process

    const c = await openCase({ folder, home });
    c.store.close();
    expect(existsSync(join(scratch, left[0]))).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(await removeStaleScratch(c.workspace)).toEqual([]);
    rmSync(live, { recursive: true });
  }, 60_000);

  it('keeps a folder of another host (a case on a shared drive) and an unowned one just being created', async () => {
    const base = join(work, 'ws');
    const other = await makeScratchDir(base, 'other');
    writeFileSync(join(other, OWNER_FILE), JSON.stringify({ pid: 1, host: 'some-other-host', startedAt: '' }));
    const fresh = join(base, SCRATCH_DIR, 'unowned-fresh');
    mkdirSync(fresh);
    expect(await removeStaleScratch(base)).toEqual([]);
    expect(existsSync(other) && existsSync(fresh)).toBe(true);
  });
});
