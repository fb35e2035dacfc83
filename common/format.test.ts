import { describe, expect, it } from 'vitest';
import { faceLabel, formatEnergy, formatProbability, frameLabel, personLabel } from './format.js';

describe('faceLabel', () => {
  it('names a face 1-based for people, with the video frame index as stored', () => {
    expect(faceLabel({ track: 2, sampleNo: 3, sampledFrames: 32, frameIndex: 19, faceNo: 1 })).toBe('Person 3 · frame 4 of 32 (index 19) · face 2');
  });
  it('says when a face has no person or its sample position is unknown', () => {
    expect(faceLabel({ track: null, frameIndex: 0, faceNo: 0 })).toBe('No person · frame index 0 · face 1');
    expect(personLabel(0)).toBe('Person 1');
    expect(frameLabel(7, 0, null)).toBe('frame 1 (index 7)');
  });
});

describe('formatProbability', () => {
  it('uses three decimals and rounds the decimal value half up', () => {
    expect(formatProbability(0.5)).toBe('0.500');
    expect(formatProbability(0.1235)).toBe('0.124');
    expect(formatProbability(0.98765)).toBe('0.988');
    expect(formatProbability(0.0004999)).toBe('<0.001');
  });
  it('never shows a probability that is not exactly 1 or 0 as certain', () => {
    expect(formatProbability(0.99996)).toBe('>0.999');
    expect(formatProbability(1)).toBe('1.000');
    expect(formatProbability(0)).toBe('0.000');
    expect(formatProbability(0.0001)).toBe('<0.001');
    expect(formatProbability(0.9996)).toBe('>0.999');
    expect(formatProbability(0.9995)).toBe('>0.999');
    expect(formatProbability(0.9994)).toBe('0.999');
  });
  it('never rounds a value up onto a band limit it is below', () => {
    // 0.7996 is in the moderate band (< 0.8): it must not read as the strong band's 0.800.
    expect(formatProbability(0.7996)).toBe('0.799');
    expect(formatProbability(0.49951)).toBe('0.499');
    expect(formatProbability(0.6499)).toBe('0.649');
    expect(formatProbability(0.89999)).toBe('0.899');
    expect(formatProbability(0.8)).toBe('0.800');
    expect(formatProbability(0.8004)).toBe('0.800');
    expect(formatProbability(0.7994)).toBe('0.799');
    expect(formatProbability(0.7985)).toBe('0.799');
  });
  it('writes a dash for a missing value', () => {
    expect(formatProbability(null)).toBe('—');
    expect(formatProbability(Number.NaN)).toBe('—');
    expect(formatEnergy(undefined)).toBe('—');
  });
  it('formats difference energy with the same precision', () => {
    expect(formatEnergy(0.0784)).toBe('0.078');
    expect(formatEnergy(0.0175)).toBe('0.018');
  });
});
