import { describe, expect, it } from 'vitest';
import type { ModelOutcome } from '../../../common/api.js';
import { explainModel, explainScore, frameSeries, modelProbs, trackColour, trackText } from './explain.js';
import { videoDetail } from './test-fakes.js';
import { bandSpec, prob } from './verdict-ui.js';

const model = (branch: ModelOutcome['branch'], value: number | null): ModelOutcome => ({ id: 'm', name: 'Model X', onnxSha256: 'x', value, branch, faces: 0 });

describe('explainModel', () => {
  it('spells out the confident-fake branch with the counts that fired it', () => {
    const probs = [...Array(40).fill(0.9), ...Array(56).fill(0.3)];
    expect(explainModel(model('confident-fake', 0.9), probs)).toBe(
      'Model X: 40 of 96 faces above 0.8 (more than 38, i.e. 96 ÷ 2.5, and more than 11) → confident-fake branch: mean of those 40 faces = 0.900.',
    );
  });

  it('spells out the confident-real and the mean branches', () => {
    expect(explainModel(model('confident-real', 0.05), [...Array(19).fill(0.05), 0.5])).toContain(
      '19 of 20 faces below 0.2 (more than 90 %) → confident-real branch: mean of those 19 faces = 0.050',
    );
    const mean = explainModel(model('mean', 0.41), [0.9, 0.85, 0.1, 0.3]);
    expect(mean).toContain('2 of 4 faces above 0.8 (needs more than 1 and more than 11)');
    expect(mean).toContain('neither confident branch: mean of all 4 faces = 0.410');
  });

  it('says when a model gave no value', () => {
    expect(explainModel(model(null, null), [])).toBe('Model X: no face was scored, so this model gives no value.');
  });
});

describe('explainScore and the per-frame series', () => {
  it('explains the ensemble with the cautious band words', () => {
    const d = videoDetail();
    expect(explainScore(d)).toMatch(/^Video score = mean of the 2 model values \(0\.\d{3}, 0\.\d{3}\) = 0\.\d{3}: .*indication of manipulation\.$/);
    expect(explainScore({ score: null, scoreNote: 'no face was detected', models: [] })).toBe('Not scored: no face was detected.');
  });

  it('takes the max face probability per frame, per model and for the ensemble', () => {
    const d = videoDetail();
    const s = frameSeries(d);
    expect(s.map((x) => x.id)).toEqual(['ensemble', 'b0-seed7', 'b0-seed8']);
    expect(s[0].values).toHaveLength(8);
    const f0 = d.frames[0].faces;
    expect(s[1].values[0]).toBe(Math.max(...f0.map((f) => f.predictions['b0-seed7'])));
    expect(s[0].values[0]).toBe(Math.max(...f0.map((f) => f.ensemble ?? 0)));
    expect(modelProbs(d.frames, 'b0-seed7')).toHaveLength(16);
    // A frame without faces is a gap, not a zero.
    d.frames[3].faces = [];
    expect(frameSeries(d)[0].values[3]).toBe(null);
  });
});

describe('display helpers', () => {
  it('writes probabilities as common/format.ts does, never across the band limit', () => {
    expect(prob(0.799)).toBe('0.799');
    expect(prob(0.7996)).toBe('0.799');
    expect(prob(0.9996)).toBe('>0.999');
    expect(prob(0.29)).toBe('0.290');
    expect(prob(null)).toBe('—');
    expect(bandSpec(0.799)).toMatchObject({ band: 'moderate', label: 'Moderate indication of manipulation' });
    expect(bandSpec(null)).toMatchObject({ band: 'not-scored', label: 'Not scored' });
  });

  it('gives each track a colour and a readable text colour', () => {
    expect(trackColour(0)).not.toBe(trackColour(1));
    expect(trackColour(null)).toBe('#999999');
    expect(trackText(4)).toBe('#ffffff');
    expect(trackText(0)).toBe('#000000');
  });
});
