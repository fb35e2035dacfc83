import { describe, expect, it } from 'vitest';
import { ensembleStatus, matchReleaseFile, RELEASE_FILES, releaseCard } from './release.js';

describe('the DFDC-winner release', () => {
  it('names the seven published files', () => {
    expect(RELEASE_FILES).toEqual([
      'final_111_DeepFakeClassifier_tf_efficientnet_b7_ns_0_36', 'final_555_DeepFakeClassifier_tf_efficientnet_b7_ns_0_19',
      'final_777_DeepFakeClassifier_tf_efficientnet_b7_ns_0_29', 'final_777_DeepFakeClassifier_tf_efficientnet_b7_ns_0_31',
      'final_888_DeepFakeClassifier_tf_efficientnet_b7_ns_0_37', 'final_888_DeepFakeClassifier_tf_efficientnet_b7_ns_0_40',
      'final_999_DeepFakeClassifier_tf_efficientnet_b7_ns_0_23',
    ]);
  });

  it('matches only the released names (a .pth suffix allowed)', () => {
    expect(matchReleaseFile('final_777_DeepFakeClassifier_tf_efficientnet_b7_ns_0_31')).toEqual({ seed: 777, epoch: 31 });
    expect(matchReleaseFile('final_777_DeepFakeClassifier_tf_efficientnet_b7_ns_0_31.pth')).toEqual({ seed: 777, epoch: 31 });
    expect(matchReleaseFile('final_777_DeepFakeClassifier_tf_efficientnet_b7_ns_0_30')).toBeNull();
    expect(matchReleaseFile('x_final_111_DeepFakeClassifier_tf_efficientnet_b7_ns_0_36')).toBeNull();
    expect(matchReleaseFile('dfdc_b0_seed7.legacy.pth')).toBeNull();
  });

  it('gives a card only to a released name whose weights are a B7', () => {
    const name = 'final_999_DeepFakeClassifier_tf_efficientnet_b7_ns_0_23';
    expect(releaseCard(name, 'b0')).toBeNull();
    expect(releaseCard('my_model.pth', 'b7')).toBeNull();
    expect(releaseCard(name, 'b7')).toMatchObject({
      ensemble: 'dfdc-2020-winner', member: { fileName: name, seed: 999, epoch: 23 },
      source: { repository: 'https://github.com/selimsef/dfdc_deepfake_challenge', release: '0.0.1', files: RELEASE_FILES },
      licence: expect.stringContaining('MIT'), trainingData: expect.stringContaining('DFDC'), inputSize: 380,
      publishedAccuracy: expect.stringContaining('0.42798'),
    });
  });

  it('says which members are missing', () => {
    const cards = [releaseCard(RELEASE_FILES[2], 'b7'), null, releaseCard(RELEASE_FILES[0], 'b7')];
    expect(ensembleStatus(cards)).toEqual({ present: [RELEASE_FILES[0], RELEASE_FILES[2]], missing: RELEASE_FILES.filter((_, i) => i !== 0 && i !== 2), complete: false });
    expect(ensembleStatus(RELEASE_FILES.map((f) => releaseCard(f, 'b7'))).complete).toBe(true);
  });
});
