import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { tempDir } from '../../test/helpers/paths.js';

/** `deepscan analyze --ensemble`: refused before anything is read when the ensemble is not installed. */
const work = tempDir();
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deepscan analyze --ensemble', () => {
  const folder = join(work, 'case');
  mkdirSync(folder);
  writeFileSync(join(folder, 'a.txt'), 'x');

  it('names the missing ensemble and where to get the weights', async () => {
    const r = await runCli(['analyze', folder, '--ensemble', 'dfdc-2020-winner'], { DEEPSCAN_HOME: join(work, 'home') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no model of the dfdc-2020-winner ensemble is installed; import the published weights with "deepscan models import <folder>"');
  });

  it('refuses an unknown ensemble, and --ensemble with --model', async () => {
    const home = { DEEPSCAN_HOME: join(work, 'home') };
    const r = await runCli(['analyze', folder, '--ensemble', 'mine'], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown ensemble "mine"; the one known ensemble is dfdc-2020-winner');
    const u = await runCli(['analyze', folder, '--ensemble', 'dfdc-2020-winner', '--no-models'], home);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--ensemble cannot be combined with --model or --no-models');
  });
});
