/**
 * The service's issue-6/7 operations on a real case of the shared pair (2 sampled frames,
 * B0 fixture model): comparison with the known original, the face overlays it produces,
 * model attention, and the PDF export recorded in the audit log.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary, EvidenceRow, TaskEvent, VideoDetail } from '../../../common/api.js';
import type { Result } from '../../../common/result.js';
import { FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO, FIXTURES, tempDir } from '../../../test/helpers/paths.js';
import { createWorkstationService, type WorkstationService } from './index.js';

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

let work: string;
let folder: string;
let service: WorkstationService;
let caseInfo: CaseSummary;
let rows: EvidenceRow[];
let swap: VideoDetail;

beforeAll(async () => {
  work = tempDir('deepscan-overlays-');
  folder = join(work, 'case');
  mkdirSync(folder);
  copyFileSync(FIXTURE_VIDEO, join(folder, 'original.mp4'));
  copyFileSync(FIXTURE_SWAP_VIDEO, join(folder, 'suspect.mp4'));
  service = createWorkstationService({ home: join(work, 'home') });
  value(await service.importModel(join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth')));
  caseInfo = value(await service.openCase({ folder, examiner: 'E. Examiner' }));
  const finished = new Promise<TaskEvent>((resolve) => {
    const off = service.onTaskEvent((e) => {
      if (e.type === 'task-finished') {
        off();
        resolve(e);
      }
    });
  });
  value(await service.startAnalysis({ caseId: caseInfo.id, frames: 2 }));
  expect(await finished).toMatchObject({ status: 'completed' });
  rows = value(await service.listEvidence(caseInfo.id));
  swap = value(await service.getVideo(caseInfo.id, rows.find((r) => r.path === 'suspect.mp4')!.id));
}, 600_000);

afterAll(async () => {
  await service?.cancelAll();
  rmSync(work, { recursive: true, force: true });
});

describe('evidence rows', () => {
  it('carry the ensemble score and the count of reviewed faces', async () => {
    const row = rows.find((r) => r.path === 'suspect.mp4')!;
    expect(row.score).toBe(swap.score);
    expect(row.reviewedFaces).toBe(0);
    const face = swap.frames[0].faces[0];
    value(await service.submitReview({ caseId: caseInfo.id, evidenceId: row.id, frameIndex: swap.frames[0].index, faceNo: face.faceNo, decision: 'fake', examiner: 'E. Examiner' }));
    const after = value(await service.listEvidence(caseInfo.id)).find((r) => r.path === 'suspect.mp4')!;
    expect(after.reviewedFaces).toBe(1);
  });
});

describe('comparison with the known original', () => {
  it('has no overlays before anything is computed', async () => {
    expect(value(await service.getFaceOverlays(caseInfo.id, swap.frames[0].faces[0].id))).toEqual({ mask: null, heatmap: null });
  });

  it('computes masks for every face, brightest on the swapped (middle) person', async () => {
    const ids = (p: string) => rows.find((r) => r.path === p)!.id;
    const summary = value(await service.compareVideos(caseInfo.id, ids('suspect.mp4'), ids('original.mp4')));
    expect(summary).toMatchObject({ suspectPath: 'suspect.mp4', referencePath: 'original.mp4', offset: 0, frames: 2, faces: 6 });
    for (const frame of swap.frames) {
      const energies: { centre: number; energy: number }[] = [];
      for (const face of frame.faces) {
        const o = value(await service.getFaceOverlays(caseInfo.id, face.id));
        expect(o.mask).not.toBeNull();
        expect(o.mask!.dataUrl).toMatch(/^data:image\/png;base64,/);
        expect(o.mask).toMatchObject({ referencePath: 'original.mp4', referenceFrameIndex: frame.index });
        energies.push({ centre: (face.box[0] + face.box[2]) / 2, energy: o.mask!.energy });
      }
      const byX = [...energies].sort((a, b) => a.centre - b.centre);
      const brightest = [...energies].sort((a, b) => b.energy - a.energy)[0];
      expect(brightest).toBe(byX[1]);
      expect(brightest.energy).toBeGreaterThan(3 * Math.max(byX[0].energy, byX[2].energy));
    }
  });

  it('refuses to compare a video with itself', async () => {
    const id = rows.find((r) => r.path === 'suspect.mp4')!.id;
    const r = await service.compareVideos(caseInfo.id, id, id);
    expect(r.ok).toBe(false);
  });
});

describe('model attention', () => {
  it('is computed on demand, cached, and labelled as model attention', async () => {
    const face = swap.frames[0].faces[0];
    const o = value(await service.computeHeatmap(caseInfo.id, face.id));
    expect(o.heatmap).toMatchObject({ label: 'model attention (occlusion sensitivity)' });
    expect(o.heatmap!.dataUrl).toMatch(/^data:image\/png;base64,/);
    expect(o.heatmap!.models).toHaveLength(1);
    const again = value(await service.getFaceOverlays(caseInfo.id, face.id));
    expect(again.heatmap).toEqual(o.heatmap);
  });
});

describe('report export', () => {
  it('writes the PDF into the case workspace and records its SHA-256 in the audit log', async () => {
    const r = value(await service.exportReport(caseInfo.id, 'E. Examiner'));
    expect(r.file).toContain(`${sep}cases${sep}${caseInfo.id}${sep}reports${sep}`);
    expect(r.file.startsWith(folder)).toBe(false);
    const bytes = readFileSync(r.file);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(r.pages).toBeGreaterThan(2);
    const audit = value(await service.getAudit(caseInfo.id));
    expect(audit.ok).toBe(true);
    const last = audit.items[audit.items.length - 1];
    expect(last.action).toBe('report-generated');
    expect(JSON.stringify(last.details)).toContain(r.sha256);
  });
});
