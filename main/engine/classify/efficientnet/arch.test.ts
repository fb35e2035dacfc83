import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DeepscanError } from '../../util/errors.js';
import { readTorchCheckpoint, type Tensor } from '../torch/checkpoint.js';
import { checkStateDict, efficientNetArch, expectedStateDictShapes, inferVariant, parameterCount, resolveArchitecture, roundChannels, VARIANTS } from './arch.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const LEGACY = path.join(fixtures, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');
const ZIP = path.join(fixtures, 'checkpoints', 'dfdc_b0_seed7.zip.pth');

function dsError(fn: () => unknown): DeepscanError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DeepscanError);
    expect((e as DeepscanError).code).toBe('checkpoint-invalid');
    return e as DeepscanError;
  }
  throw new Error('expected a DeepscanError');
}

describe('EfficientNet architecture table', () => {
  it('scales channels like timm round_channels (divisor 8, 0.9 limit)', () => {
    expect(roundChannels(32, 1.0)).toBe(32);
    expect(roundChannels(32, 1.2)).toBe(40); // 38.4 → 40
    expect(roundChannels(24, 1.1)).toBe(24); // 26.4 → 24 (≥ 0.9 × 26.4)
    expect(roundChannels(16, 1.4)).toBe(24); // 22.4 → 24
    expect(roundChannels(1280, 2.0)).toBe(2560);
  });

  it('has the timm stage depths and widths for b0 and b7', () => {
    const b0 = efficientNetArch('b0');
    expect(b0.depths).toEqual([1, 2, 2, 3, 3, 4, 1]);
    expect([b0.stemChs, b0.features]).toEqual([32, 1280]);
    const b7 = efficientNetArch('b7');
    expect(b7.depths).toEqual([4, 7, 7, 10, 10, 13, 4]);
    expect([b7.stemChs, b7.features]).toEqual([64, 2560]);
    expect(b7.blocks.map((b) => b.outChs).filter((c, i, a) => a.indexOf(c) === i)).toEqual([32, 48, 80, 160, 224, 384, 640]);
    // Stage 0 of b7: the first DS block narrows 64 → 32 (no skip), the next three keep 32 (skip).
    expect(b7.blocks.slice(0, 4).map((b) => [b.inChs, b.outChs, b.skip])).toEqual([
      [64, 32, false],
      [32, 32, true],
      [32, 32, true],
      [32, 32, true],
    ]);
  });

  it('matches timm parameter counts for b0…b7 (1000-class classifier) plus the DFDC fc', () => {
    // timm tf_efficientnet_bN parameter counts, in millions (2 decimals).
    const timmM: Record<string, number> = { b0: 5.29, b1: 7.79, b2: 9.11, b3: 12.23, b4: 19.34, b5: 30.39, b6: 43.04, b7: 66.35 };
    for (const v of VARIANTS) {
      const a = efficientNetArch(v);
      const n = parameterCount(expectedStateDictShapes(a));
      const fc = a.features + 1;
      expect(Math.round((n - fc) / 1e4) / 100, v).toBe(timmM[v]);
    }
    const b7 = efficientNetArch('b7');
    const total = parameterCount(expectedStateDictShapes(b7));
    expect(total).toBe(66_350_521);
    // Encoder without its unused ImageNet classifier (2560×1000 + 1000), plus fc 2561.
    const encoderOnly = total - 2560 * 1000 - 1000 - 2561;
    expect(encoderOnly).toBe(63_786_960);
    expect(expectedStateDictShapes(b7).size).toBe(1202);
  });
});

describe('variant inference and strict key check', () => {
  it('infers b0 from both fixture files and accepts them', () => {
    for (const f of [LEGACY, ZIP]) {
      const c = readTorchCheckpoint(f);
      expect(inferVariant(c.stateDict, f)).toBe('b0');
      const arch = resolveArchitecture(c.stateDict, f);
      expect(arch.variant).toBe('b0');
      expect(arch.features).toBe(1280);
      expect([...c.stateDict.keys()]).toEqual([...expectedStateDictShapes(arch).keys()]);
    }
  });

  const base = readTorchCheckpoint(LEGACY).stateDict;
  const b0 = efficientNetArch('b0');
  const clone = (): Map<string, Tensor> => new Map(base);

  it('names a missing key', () => {
    const sd = clone();
    sd.delete('encoder.blocks.3.1.se.conv_expand.bias');
    expect(dsError(() => checkStateDict(sd, b0, 'ck.pth')).message).toMatch(/ck\.pth: key encoder\.blocks\.3\.1\.se\.conv_expand\.bias missing/);
  });

  it('names a renamed key (missing and unexpected)', () => {
    const sd = clone();
    const t = sd.get('encoder.blocks.2.0.conv_pwl.weight')!;
    sd.delete('encoder.blocks.2.0.conv_pwl.weight');
    sd.set('encoder.blocks.2.0.conv_pwl_renamed.weight', t);
    expect(dsError(() => resolveArchitecture(sd, 'ck.pth')).message).toMatch(/key encoder\.blocks\.2\.0\.conv_pwl\.weight missing/);
    const extra = clone();
    extra.set('encoder.blocks.2.0.extra.weight', t);
    expect(dsError(() => resolveArchitecture(extra, 'ck.pth')).message).toMatch(/unexpected key encoder\.blocks\.2\.0\.extra\.weight/);
  });

  it('names a key with the wrong shape', () => {
    const sd = clone();
    const t = sd.get('encoder.blocks.5.0.bn2.running_var')!;
    sd.set('encoder.blocks.5.0.bn2.running_var', { ...t, shape: [t.shape[0] / 2, 2] });
    expect(dsError(() => resolveArchitecture(sd, 'ck.pth')).message).toMatch(/key encoder\.blocks\.5\.0\.bn2\.running_var has shape \[336, 2\], EfficientNet-b0 expects \[672\]/);
    const fc = clone();
    fc.set('fc.weight', { ...fc.get('fc.weight')!, shape: [1280, 1] });
    expect(dsError(() => resolveArchitecture(fc, 'ck.pth')).message).toMatch(/key fc\.weight has shape/);
  });

  it('refuses a state dict that matches no variant (an extra block)', () => {
    const sd = clone();
    for (const [k, t] of base) if (k.startsWith('encoder.blocks.6.0.')) sd.set(k.replace('blocks.6.0.', 'blocks.6.1.'), t);
    expect(dsError(() => inferVariant(sd, 'deep.pth')).message).toMatch(/deep\.pth: no EfficientNet b0…b7 has .*\[1, 2, 2, 3, 3, 4, 2\]/);
    const none = clone();
    none.delete('encoder.conv_stem.weight');
    expect(dsError(() => inferVariant(none, 'x.pth')).message).toMatch(/encoder\.conv_stem\.weight missing/);
  });

  it('names a tensor holding NaN or Inf', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const sd = clone();
      const t = sd.get('encoder.blocks.4.1.conv_dw.weight')!;
      const data = Float32Array.from(t.data as Float32Array);
      data[17] = bad;
      sd.set('encoder.blocks.4.1.conv_dw.weight', { ...t, data });
      expect(dsError(() => checkStateDict(sd, b0, 'nan.pth')).message).toMatch(/nan\.pth: key encoder\.blocks\.4\.1\.conv_dw\.weight holds a non-finite value .* at element 17/);
    }
  });

  it('names a wrong dtype and a negative running variance', () => {
    const sd = clone();
    const t = sd.get('encoder.bn2.num_batches_tracked')!;
    sd.set('encoder.bn2.num_batches_tracked', { ...t, dtype: 'float32', storedDtype: 'float32', data: new Float32Array(1) });
    expect(dsError(() => checkStateDict(sd, b0, 'dt.pth')).message).toMatch(/key encoder\.bn2\.num_batches_tracked has dtype float32/);
    const neg = clone();
    const v = neg.get('encoder.bn1.running_var')!;
    const data = Float32Array.from(v.data as Float32Array);
    data[3] = -1;
    neg.set('encoder.bn1.running_var', { ...v, data });
    expect(dsError(() => checkStateDict(neg, b0, 'var.pth')).message).toMatch(/key encoder\.bn1\.running_var holds a negative variance/);
  });
});
