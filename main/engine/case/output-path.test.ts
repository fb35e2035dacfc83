import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';
import { snapshotFolder } from '../../../test/helpers/folder-snapshot.js';
import { tempDir } from '../../../test/helpers/paths.js';
import { assertOutsideEvidence } from './output-path.js';

let work: string;
let folder: string;
beforeAll(() => {
  work = tempDir();
  folder = join(work, 'evidence');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  writeFileSync(join(folder, 'notes.txt'), 'chain of custody\n');
  symlinkSync(folder, join(work, 'link-to-evidence'));
  symlinkSync(join(folder, 'not-yet.json'), join(work, 'dangling.json'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('output paths inside the evidence folder', () => {
  it('are refused however they are spelt: directly, with .., through a link, through a dangling link', async () => {
    for (const p of [
      join(folder, 'out.json'), join(folder, 'sub', 'deeper', 'out.json'), join(work, 'elsewhere', '..', 'evidence', 'out.json'),
      join(work, 'link-to-evidence', 'out.json'), join(work, 'dangling.json'), folder,
    ]) {
      await expect(assertOutsideEvidence(p, folder, '--json'), p).rejects.toMatchObject({ code: 'output-inside-evidence' });
    }
  });

  it('are allowed outside it, including a sibling whose name starts the same', async () => {
    expect(await assertOutsideEvidence(join(work, 'out.json'), folder, '--json')).toBe(join(work, 'out.json'));
    expect(await assertOutsideEvidence(join(work, 'evidence-results', 'r.pdf'), folder, '--pdf')).toBe(join(work, 'evidence-results', 'r.pdf'));
  });

  it('the CLI refuses analyze --json and report --pdf inside the evidence with exit status 2 and writes nothing there', async () => {
    const env = { DEEPSCAN_HOME: join(work, 'home') };
    const before = snapshotFolder(folder);
    const a = await runCli(['analyze', folder, '--no-models', '--json', join(work, 'link-to-evidence', 'sub', 'r.json')], env);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--json .*r\.json lies inside the evidence folder .* \(it resolves to .*evidence\/sub\/r\.json\)/);
    const r = await runCli(['report', folder, '--pdf', join(folder, 'sub', '..', 'report.pdf')], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--pdf .* lies inside the evidence folder/);
    expect(snapshotFolder(folder)).toEqual(before);
  }, 60_000);
});
