import { copyFileSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseDbPath, caseIdForFolder } from '../../main/engine/case/workspace.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { makeTestVideo } from '../helpers/make-media.js';
import { tempDir } from '../helpers/paths.js';

/**
 * A run killed mid-way (SIGKILL: no chance to clean up) or cancelled (Ctrl-C) leaves only
 * complete items, and the next run resumes: completed items are skipped, the rest analysed.
 */
let work: string;
let folder: string;
let home: string;
const ITEMS = 5;

beforeAll(() => {
  work = tempDir();
  folder = join(work, 'evidence');
  home = join(work, 'home');
  mkdirSync(folder);
  // Small synthetic clips keep the test quick: a run is interrupted between whole items.
  makeTestVideo(join(work, 'clip.mp4'), { width: 480, height: 270, frames: 120 });
  for (let i = 0; i < ITEMS; i++) copyFileSync(join(work, 'clip.mp4'), join(folder, `clip-${i}.mp4`));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Starts an analysis and sends `signal` as soon as the first item has been written. */
async function interruptAfterFirstItem(signal: NodeJS.Signals): Promise<CliResult> {
  const { child, result } = startCli(['analyze', folder], { DEEPSCAN_HOME: home });
  let sent = false;
  child.stderr!.on('data', (d: Buffer) => {
    if (!sent && d.toString().includes('✓')) {
      sent = true;
      child.kill(signal);
    }
  });
  return result;
}

function dbState() {
  const db = new Database(caseDbPath(home, caseIdForFolder(realpathSync(folder))), { readonly: true });
  try {
    return {
      runs: db.prepare('SELECT id, status FROM runs ORDER BY id').all() as { id: number; status: string }[],
      analyses: db.prepare('SELECT a.evidence_id, a.status, json_array_length(a.frame_indices) AS wanted, (SELECT count(*) FROM frames f WHERE f.analysis_id = a.id) AS stored FROM analyses a').all() as { status: string; wanted: number; stored: number }[],
      orphanFrames: (db.prepare('SELECT count(*) AS n FROM frames WHERE analysis_id NOT IN (SELECT id FROM analyses)').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

describe('interrupted analysis', () => {
  it('SIGKILL after the first item leaves whole items only, and the next run resumes', async () => {
    const killed = await interruptAfterFirstItem('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const s = dbState();
    expect(s.runs).toEqual([{ id: 1, status: 'running' }]);
    expect(s.analyses.length).toBeGreaterThanOrEqual(1);
    expect(s.analyses.length).toBeLessThan(ITEMS);
    for (const a of s.analyses) expect(a).toMatchObject({ status: 'analyzed', wanted: 32, stored: 32 });
    expect(s.orphanFrames).toBe(0);

    const done = s.analyses.length;
    const resumed = await runCli(['analyze', folder], { DEEPSCAN_HOME: home });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${ITEMS - done} analysed, 0 re-scored, ${done} unchanged (skipped)`);
    const after = dbState();
    expect(after.runs).toEqual([{ id: 1, status: 'interrupted' }, { id: 2, status: 'completed' }]);
    expect(after.analyses).toHaveLength(ITEMS);
  });

  it('Ctrl-C (SIGINT) cancels cleanly with exit code 130 and a cancelled run', async () => {
    // New parameters so that every item needs work again.
    const { child, result } = startCli(['analyze', folder, '--frames', '16'], { DEEPSCAN_HOME: home });
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => {
      if (!sent && d.toString().includes('✓')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const r = await result;
    expect(r.code).toBe(130);
    const s = dbState();
    expect(s.runs[s.runs.length - 1].status).toBe('cancelled');
    for (const a of s.analyses) expect(a.stored).toBe(a.wanted);
    expect(s.orphanFrames).toBe(0);
  });
});
