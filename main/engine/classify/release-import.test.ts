import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';
import { tempDir } from '../../../test/helpers/paths.js';
import { writeLegacyCheckpoint } from '../../../test/helpers/torch-legacy-writer.js';
import { syntheticStateDict } from './efficientnet/synthetic.js';
import { ensembleModels } from './model-folder.js';
import { scanModels } from './model-store.js';
import { RELEASE_FILES, UNCARDED_LABEL } from './release.js';

/**
 * `deepscan models import <folder>` on a folder named like the release: one real-size B7
 * (random weights, the released format and size) and two small B0s under released names. Only
 * the B7 gets the card; the B0s are test models, whatever their names; the ensemble says 1 of 7.
 */
const work = tempDir();
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('importing the release as one ensemble', () => {
  const folder = join(work, 'weights');
  const home = join(work, 'home');

  it('imports every checkpoint of a folder and groups the released B7s', async () => {
    mkdirSync(folder);
    writeFileSync(join(folder, RELEASE_FILES[0]), writeLegacyCheckpoint(syntheticStateDict('b7'), { epoch: 36, bceBest: 0.2 }));
    writeFileSync(join(folder, RELEASE_FILES[1]), writeLegacyCheckpoint(syntheticStateDict('b0', 1), { epoch: 19, bceBest: 0.3 }));
    writeFileSync(join(folder, `${RELEASE_FILES[3]}.pth`), writeLegacyCheckpoint(syntheticStateDict('b0', 2), { epoch: 31, bceBest: 0.3 }));
    writeFileSync(join(folder, 'notes.txt'), 'sha256 sums');
    const r = await runCli(['models', 'import', folder], { DEEPSCAN_HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Imported efficientnet-b7-[0-9a-f]{12} .*from ${join(folder, RELEASE_FILES[0])} in [\\d.]+ s: dfdc-2020-winner \\(seed 111, epoch 36\\)`));
    expect(r.stdout.match(new RegExp(`Imported efficientnet-b0-.*: ${UNCARDED_LABEL}`, 'g'))).toHaveLength(2);
    expect(r.stdout).toContain('Skipped (not a checkpoint name): notes.txt');
    expect(r.stdout).toContain(`Ensemble dfdc-2020-winner: incomplete, 1 of 7 released models; missing ${RELEASE_FILES.slice(1).join(', ')}.`);

    const { models } = await scanModels(home);
    const b7 = models.find((m) => m.architecture.variant === 'b7')!;
    expect(b7.card).toMatchObject({ ensemble: 'dfdc-2020-winner', member: { seed: 111, epoch: 36 }, inputSize: 380 });
    expect(models.filter((m) => m.card)).toHaveLength(1);
    const e = await ensembleModels(home, 'dfdc-2020-winner');
    expect(e.models.map((m) => m.id)).toEqual([b7.id]);
    expect(e.missing).toHaveLength(6);
    await expect(ensembleModels(home, 'other')).rejects.toThrow(/unknown ensemble "other"/);

    const list = await runCli(['models', 'list'], { DEEPSCAN_HOME: home });
    expect(list.stdout).toContain(UNCARDED_LABEL);
    expect(list.stdout).toContain('dfdc-2020-winner (seed 111, epoch 36)');
    const json = JSON.parse((await runCli(['models', 'list', '--json'], { DEEPSCAN_HOME: home })).stdout) as { models: { card?: unknown; label: string | null }[]; ensemble: { present: string[]; complete: boolean } };
    expect(json.models.map((m) => m.label).sort()).toEqual([null, UNCARDED_LABEL, UNCARDED_LABEL].sort());
    expect(json.ensemble).toMatchObject({ present: [RELEASE_FILES[0]], complete: false });
  }, 600_000);

  it('refuses a card written by hand into a test model\'s manifest', async () => {
    const { models } = await scanModels(home);
    const b7 = models.find((m) => m.card)!;
    const b0 = models.find((m) => m.architecture.variant === 'b0')!;
    const file = join(home, 'models', b0.id, 'manifest.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...raw, card: b7.card }));
    const after = await scanModels(home);
    expect(after.invalid.map((i) => [i.dir, i.error.message])).toEqual([[b0.id, expect.stringMatching(/manifest field card is only given to the released B7 checkpoints .*architecture b0/)]]);
  });
});
