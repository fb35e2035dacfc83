import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../test/helpers/cli.js';
import { FIXTURES, tempDir } from '../../../../test/helpers/paths.js';
import { writeLegacyCheckpoint } from '../../../../test/helpers/torch-legacy-writer.js';
import { decodePng } from '../../image/png.js';
import { ClassifierEnsemble } from '../ensemble.js';
import { syntheticStateDict } from './synthetic.js';

/**
 * The released models are B7s in the legacy torch.save format. None can be downloaded here, so
 * this writes a checkpoint of exactly that format, key set and size (random weights: 63.8M
 * encoder parameters, ~267 MB) and takes it through the real `deepscan models import` and the
 * classifier runtime. Numerical parity with PyTorch is checked on the B0 fixture (same builder).
 */
const work = tempDir();
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a released-format EfficientNet-B7 checkpoint', () => {
  it('imports through the CLI and scores a face', async () => {
    const file = join(work, 'final_111_DeepFakeClassifier_tf_efficientnet_b7_ns_0_36');
    writeFileSync(file, writeLegacyCheckpoint(syntheticStateDict('b7'), { epoch: 36, bceBest: 0.2 }));
    const home = join(work, 'home');
    const r = await runCli(['models', 'import', file, '--name', 'B7 seed 111'], { DEEPSCAN_HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Imported efficientnet-b7-[0-9a-f]{12} \(efficientnet b7, 66\.35M parameters/);
    const id = /Imported (\S+)/.exec(r.stdout)![1];
    const ensemble = await ClassifierEnsemble.load(home, [id], 'cpu');
    try {
      expect(ensemble.models[0].manifest).toMatchObject({ name: 'B7 seed 111', architecture: { variant: 'b7', features: 2560 }, checkpoint: { epoch: 36, bceBest: 0.2 } });
      const face = decodePng(readFileSync(join(FIXTURES, 'reference', 'faces380', 'face_0.png')));
      const scores = await ensemble.score([face], 'face_0.png');
      const [s] = scores.get(id)!;
      expect(Number.isFinite(s.logit)).toBe(true);
      expect(s.prob).toBeGreaterThanOrEqual(0);
      expect(s.prob).toBeLessThanOrEqual(1);
    } finally {
      await ensemble.release();
    }
  });
});
