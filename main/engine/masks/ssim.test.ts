import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../image/png.js';
import { castUint8, ssimDiffMask } from './ssim.js';

const DIR = join(import.meta.dirname, '../../../../shared/fixtures/reference/ssim');
const NAMES = ['0_0', '0_1', '0_2', '150_0', '150_1', '150_2', '290_0', '290_1', '290_2'];

describe('ssimDiffMask (the seed difference mask)', () => {
  it('matches the reference _diff.png masks (within 1 grey level on ≥ 99 % of pixels)', () => {
    let pixels = 0;
    let exact = 0;
    let within1 = 0;
    let maxDiff = 0;
    for (const name of NAMES) {
      const orig = decodePng(readFileSync(join(DIR, `${name}_orig.png`)));
      const fake = decodePng(readFileSync(join(DIR, `${name}_fake.png`)));
      const ref = decodePng(readFileSync(join(DIR, `${name}_diff.png`)));
      const { mask } = ssimDiffMask(orig, fake);
      expect([mask.width, mask.height, ref.channels]).toEqual([ref.width, ref.height, 1]);
      let ok = 0;
      for (let i = 0; i < ref.data.length; i++) {
        const d = Math.abs(mask.data[i] - ref.data[i]);
        if (d === 0) exact++;
        if (d <= 1) ok++;
        maxDiff = Math.max(maxDiff, d);
      }
      within1 += ok;
      pixels += ref.data.length;
      expect(ok / ref.data.length).toBeGreaterThanOrEqual(0.99);
    }
    console.log(`SSIM masks: ${pixels} px, exact ${(100 * exact / pixels).toFixed(4)} %, within 1: ${(100 * within1 / pixels).toFixed(4)} %, max diff ${maxDiff}`);
  });

  it('is zero for identical crops and casts like numpy', () => {
    const img = { width: 9, height: 8, channels: 3 as const, data: Uint8Array.from({ length: 9 * 8 * 3 }, (_, i) => (i * 37) % 256) };
    const r = ssimDiffMask(img, img);
    expect(r.mask.data.every((v) => v === 0)).toBe(true);
    expect(r.energy).toBe(0);
    expect(r.mssim).toBeCloseTo(1, 12);
    expect([castUint8(300.7), castUint8(255.9), castUint8(-0.4)]).toEqual([44, 255, 0]);
  });
});
