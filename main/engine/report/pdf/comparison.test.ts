import { describe, expect, it } from 'vitest';
import { colormap } from '../../../../common/colormap.js';
import { decodePng, encodePng } from '../../image/png.js';
import type { ComparisonEnergy } from '../../store/comparison-energy.js';
import { topFaces } from './comparison-data.js';
import { colouredMask, MASK_SCALE_MAX } from './comparison.js';

describe('report masks', () => {
  it('prints a gray mask through the colour map on the fixed scale, so a typical mask does not read as black', () => {
    const gray = encodePng({ width: 2, height: 1, channels: 1, data: new Uint8Array([20, 255]) });
    const rgb = decodePng(colouredMask(Buffer.from(gray))!);
    expect(rgb.channels).toBe(3);
    expect([...rgb.data.subarray(0, 3)]).toEqual(colormap(20 / 255 / MASK_SCALE_MAX));
    expect([...rgb.data.subarray(3, 6)]).toEqual(colormap(1));
    expect(Math.max(...rgb.data.subarray(0, 3))).toBeGreaterThan(60);
    expect(colouredMask(Buffer.from('not a png'))).toBeNull();
  });

  it('always includes the highest-energy faces of every person, people by energy', () => {
    const m = (track: number | null, energy: number, frameIndex: number) => ({ maskId: frameIndex, frameIndex, maskFaceNo: 0, energy, faceId: 1, faceNo: 0, track });
    const c = {
      tracks: [{ track: 1, energy: 0.08, maxEnergy: 0.09, faces: 3, frames: 3 }, { track: 0, energy: 0.02, maxEnergy: 0.03, faces: 2, frames: 2 }],
      matches: [m(0, 0.01, 1), m(1, 0.07, 2), m(1, 0.09, 3), m(0, 0.03, 4), m(1, 0.08, 5), m(null, 0.5, 6)],
    } as unknown as ComparisonEnergy;
    expect(topFaces(c).map((x) => [x.track, x.energy])).toEqual([[1, 0.09], [1, 0.08], [0, 0.03], [0, 0.01]]);
  });
});
