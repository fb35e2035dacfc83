/**
 * The end-to-end suite must fail, naming what is missing, on a machine without its browser or
 * fixtures: a skipped suite would let CI pass with zero e2e tests run. Runs the real suite with
 * a Chromium path that does not exist; its preflight throws before anything is built or started.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('e2e preflight', () => {
  it('fails the e2e suite and names the missing Chromium executable', () => {
    const missing = '/nonexistent/chromium-for-preflight-test';
    const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/e2e/vitest.config.ts'], {
      cwd: root,
      env: { ...process.env, DEEPSCAN_CHROMIUM: missing, FORCE_COLOR: '0', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out).not.toBe(0);
    expect(out).toContain('end-to-end prerequisites missing');
    expect(out).toContain(`Chromium executable (DEEPSCAN_CHROMIUM): ${missing}`);
    // Vitest lists the tests under a failed beforeAll as skipped, but every file fails and so does the run.
    const files = /Test Files\s+(\d+) failed \((\d+)\)/.exec(out);
    expect(files, out).not.toBeNull();
    expect(Number(files![1])).toBeGreaterThan(0);
    expect(files![1]).toBe(files![2]);
  });
});
