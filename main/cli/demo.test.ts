import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { tempDir } from '../../test/helpers/paths.js';

/** The README's first command on a fresh machine: a demo clip with a real face, faces only. */
const home = tempDir();
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('deepscan demo', () => {
  it('builds the clip under $DEEPSCAN_HOME/demo, finds the face in every sampled frame, and says how to import the weights', async () => {
    const r = await runCli(['demo'], { DEEPSCAN_HOME: home });
    // Progress goes to stderr; no error may.
    expect(r.stderr).not.toContain('deepscan:');
    expect(r.code).toBe(0);
    expect(existsSync(join(home, 'demo', 'astronaut-demo.mp4'))).toBe(true);
    // 8 sampled frames, one face each: the detector found the portrait's face every time.
    expect(r.stdout).toMatch(/astronaut-demo\.mp4 +video +analyzed +[0-9a-f]{12} +50 +480×480 +8 +8 +— +— +no classifier model was run/);
    expect(r.stdout).toContain('deepscan models import <folder>');
    expect(r.stdout).toContain('deepscan analyze <case-folder> --ensemble dfdc-2020-winner');
    // Run again: the clip is reused (evidence never changes) and the item is skipped as unchanged.
    const again = await runCli(['demo'], { DEEPSCAN_HOME: home });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('1 unchanged (skipped)');
  }, 120_000);
});
