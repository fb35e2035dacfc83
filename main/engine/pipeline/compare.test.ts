/**
 * Comparison with a known original on the shared pair (three_faces.mp4 = reference,
 * three_faces_swap.mp4 = suspect, the middle person's face swapped) at frames 0, 150, 290:
 * the reference fixtures' crops and masks (reference/ssim) must come out exactly.
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, FIXTURES, tempDir } from '../../../test/helpers/paths.js';
import { openCase, type OpenedCase } from '../case/open-case.js';
import { mtcnnDir } from '../../../test/helpers/faces-kit.js';
import { MtcnnDetector } from '../faces/mtcnn.js';
import type { Image8 } from '../image/image.js';
import { decodePng } from '../image/png.js';
import { ingestCaseFolder } from '../ingest/ingest.js';
import { locateFfmpeg } from '../media/ffmpeg.js';
import { readAudit, verifyAuditChain } from '../store/audit.js';
import { frameEnergies, getFaceMask, listComparisons, listFaceMasks } from '../store/masks.js';
import { compareWithReference, type CompareResult } from './compare.js';

const SSIM_DIR = join(FIXTURES, 'reference', 'ssim');

describe('compare with a known original (shared pair)', () => {
  let c: OpenedCase;
  let detector: MtcnnDetector;
  let result: CompareResult;
  const crops = new Map<string, { reference: Image8; suspect: Image8; mask: Image8 }>();
  let folder: string;

  beforeAll(async () => {
    const root = tempDir('deepscan-compare-');
    folder = join(root, 'evidence');
    mkdirSync(folder);
    copyFileSync(FIXTURE_VIDEO, join(folder, 'three_faces.mp4'));
    copyFileSync(FIXTURE_SWAP_VIDEO, join(folder, 'three_faces_swap.mp4'));
    c = await openCase({ folder, home: join(root, 'home'), examiner: 'tester' });
    const tools = await locateFfmpeg();
    await ingestCaseFolder(c.store, c.folder, tools, c.actor);
    detector = await MtcnnDetector.load(mtcnnDir);
    result = await compareWithReference(c, 'three_faces_swap.mp4', 'three_faces.mp4', {
      frameIndices: [0, 150, 290], tools, detector,
      onFace: (f) => crops.set(`${f.frameIndex}_${f.faceNo}`, { reference: f.reference, suspect: f.suspect, mask: f.mask }),
    });
  }, 240_000);

  afterAll(async () => {
    await detector?.release();
    c?.store.close();
  });

  it('cuts the reference boxes from both frames: crops equal the reference _orig/_fake exactly', () => {
    expect(result.frames.map((f) => [f.frameIndex, f.referenceFrameIndex, f.faces.length])).toEqual([[0, 0, 3], [150, 150, 3], [290, 290, 3]]);
    for (const name of ['0_0', '0_1', '0_2', '150_0', '150_1', '150_2', '290_0', '290_1', '290_2']) {
      const got = crops.get(name)!;
      const orig = decodePng(readFileSync(join(SSIM_DIR, `${name}_orig.png`)));
      const fake = decodePng(readFileSync(join(SSIM_DIR, `${name}_fake.png`)));
      expect([got.reference.width, got.reference.height], name).toEqual([orig.width, orig.height]);
      expect(Buffer.compare(Buffer.from(got.reference.data), Buffer.from(orig.data)), `${name} orig`).toBe(0);
      expect(Buffer.compare(Buffer.from(got.suspect.data), Buffer.from(fake.data)), `${name} fake`).toBe(0);
    }
  });

  it('stores masks equal to the reference _diff.png and a bright swapped face', () => {
    const cmp = listComparisons(c.store, c.store.getEvidenceByPath('three_faces_swap.mp4')!.id);
    expect(cmp).toHaveLength(1);
    const masks = listFaceMasks(c.store, cmp[0].id);
    expect(masks).toHaveLength(9);
    let within = 0;
    let total = 0;
    let maxDiff = 0;
    const suspectId = cmp[0].suspectEvidenceId;
    for (const m of masks) {
      const stored = getFaceMask(c.store, suspectId, m.frameIndex, m.faceNo)!;
      expect(stored.energy).toBe(m.energy);
      const img = decodePng(stored.png);
      const ref = decodePng(readFileSync(join(SSIM_DIR, `${m.frameIndex}_${m.faceNo}_diff.png`)));
      expect([img.width, img.height, img.channels]).toEqual([ref.width, ref.height, 1]);
      for (let i = 0; i < ref.data.length; i++) {
        const d = Math.abs(img.data[i] - ref.data[i]);
        if (d <= 1) within++;
        maxDiff = Math.max(maxDiff, d);
      }
      total += ref.data.length;
    }
    expect(within / total).toBeGreaterThanOrEqual(0.99);
    // The swapped (middle) person: one face per frame is far brighter than the others.
    const ratios: number[] = [];
    for (const f of result.frames) {
      const e = f.faces.map((x) => x.energy).sort((a, b) => b - a);
      ratios.push(e[0] / e[1]);
    }
    const swapped = result.frames.map((f) => f.faces.reduce((best, x) => (x.energy > best.energy ? x : best)).faceNo);
    console.log(`compare: masks within 1 grey level ${(100 * within / total).toFixed(3)} %, max diff ${maxDiff}; brightest face per frame ${swapped.join(',')}; energy ratio brightest/next ${ratios.map((r) => r.toFixed(1)).join(', ')}; per-face energies ${result.frames.map((f) => f.faces.map((x) => x.energy.toFixed(4)).join('/')).join(' | ')}`);
    expect(new Set(swapped).size).toBe(1);
    for (const r of ratios) expect(r).toBeGreaterThan(3);
    const swappedE = result.frames.map((f) => f.faces[swapped[0]].energy);
    const othersE = result.frames.flatMap((f) => f.faces.filter((x) => x.faceNo !== swapped[0]).map((x) => x.energy));
    const overall = (swappedE.reduce((a, b) => a + b) / swappedE.length) / (othersE.reduce((a, b) => a + b) / othersE.length);
    console.log(`compare: mean energy swapped / others = ${overall.toFixed(2)}`);
    expect(overall).toBeGreaterThan(5);
    expect(frameEnergies(c.store, cmp[0].id).size).toBe(3);
    expect(getFaceMask(c.store, suspectId, 1, 0)).toBeNull();
  });

  it('audits the comparison with both hashes, and refuses a changed file', async () => {
    const entry = readAudit(c.store.db).filter((e) => e.action === 'comparison-computed').at(-1)!;
    const d = entry.details as { suspect: { sha256: string }; reference: { sha256: string } };
    expect(d.suspect.sha256).toBe(result.suspect.sha256);
    expect(d.reference.sha256).toBe(result.reference.sha256);
    expect(verifyAuditChain(c.store.db).ok).toBe(true);
    appendFileSync(join(folder, 'three_faces_swap.mp4'), Buffer.from([0]));
    await expect(compareWithReference(c, 'three_faces_swap.mp4', 'three_faces.mp4', { frameIndices: [0], detector })).rejects.toMatchObject({ code: 'integrity-failed' });
    expect(c.store.getEvidenceByPath('three_faces_swap.mp4')!.status).toBe('integrity-failed');
  });
});
