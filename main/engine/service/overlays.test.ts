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
import { execFileSync } from 'node:child_process';
import { formatEnergy, personLabel } from '../../../common/format.js';
import { buildCaseJson } from '../report/case-json.js';
import { openCaseStore } from './common.js';

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

  it('names the swapped person by difference energy: per person in the API, the video view and the --json export', async () => {
    const ids = (p: string) => rows.find((r) => r.path === p)!.id;
    const middle = [...swap.frames[0].faces].sort((a, b) => a.box[0] - b.box[0])[1];
    expect(middle.track).not.toBeNull();
    const [cmp] = value(await service.listComparisons(caseInfo.id, ids('suspect.mp4')));
    expect(cmp).toMatchObject({ reference: 'original.mp4', referenceSha256: rows.find((r) => r.path === 'original.mp4')!.sha256, frames: 2, faces: 6, unmatchedFaces: 0 });
    expect(cmp.tracks).toHaveLength(3);
    expect(cmp.tracks[0].track).toBe(middle.track);
    expect(cmp.tracks[0].energy).toBeGreaterThan(3 * Math.max(cmp.tracks[1].energy, cmp.tracks[2].energy));
    const detail = value(await service.getVideo(caseInfo.id, ids('suspect.mp4')));
    expect(detail.tracks.find((t) => t.id === middle.track)?.energy).toBe(cmp.tracks[0].energy);
    const store = openCaseStore(join(work, 'home'), caseInfo.id, 'read');
    try {
      const json = buildCaseJson(store).evidence.find((e) => e.path === 'suspect.mp4')!;
      expect(json.comparisons[0].tracks[0]).toEqual({ track: middle.track, energy: cmp.tracks[0].energy, faces: 2 });
    } finally {
      store.close();
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
    // The installed B0 was built by Deepscan, so the default method is its class activation map.
    expect(o.heatmap).toMatchObject({ label: 'model attention (class activation map)', method: 'cam', scale: { unit: 'logit' } });
    expect(o.heatmap!.scale.max).toBeGreaterThan(o.heatmap!.scale.min);
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
    // The comparison as a finding: the swapped person's energy, the original's hash and its masks.
    const suspectId = rows.find((x) => x.path === 'suspect.mp4')!.id;
    const [cmp] = value(await service.listComparisons(caseInfo.id, suspectId));
    const text = execFileSync('pdftotext', [r.file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain('Comparison with a known original');
    expect(text).toContain(cmp.referenceSha256);
    const top = cmp.tracks[0];
    expect(text).toContain(`${personLabel(top.track)} ${formatEnergy(top.energy)}`);
    expect(text).toContain('Highest-energy faces');
    expect(text).toMatch(new RegExp(`${personLabel(top.track)} · frame \\d+ of 2 \\(index \\d+\\) · face \\d · energy ${formatEnergy(top.maxEnergy).replace('.', '\\.')}`));
    expect(text).toContain('(1 − SSIM)');
  });
});
