/**
 * Model attention on a synthetic classifier whose logit is the mean of one 60×60 region of its
 * (normalised) input: the heatmap must light that region and nothing else.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/paths.js';
import { openCase, type OpenedCase } from '../case/open-case.js';
import { ClassifierEnsemble } from '../classify/ensemble.js';
import { importModel } from '../classify/model-store.js';
import type { Image8 } from '../image/image.js';
import { decodePng, encodePng } from '../image/png.js';
import { OnnxGraphBuilder } from '../onnx/builder.js';
import { readAudit } from '../store/audit.js';
import { latestFaceHeatmap } from '../store/masks.js';
import { computeAttentionHeatmap } from '../pipeline/heatmap.js';
import { occlusionMap } from './occlusion.js';

const RX = 200;
const RY = 100;
const R = 60;

function regionModel(): Uint8Array {
  const b = new OnnxGraphBuilder({ graphName: 'region-mean' });
  b.addInput('input', 'float32', ['N', 3, 380, 380]);
  b.addInitializer('starts', BigInt64Array.from([BigInt(RY), BigInt(RX)]), [2]);
  b.addInitializer('ends', BigInt64Array.from([BigInt(RY + R), BigInt(RX + R)]), [2]);
  b.addInitializer('axes', BigInt64Array.from([2n, 3n]), [2]);
  b.addNode('Slice', ['input', 'starts', 'ends', 'axes'], ['region']);
  b.addNode('ReduceMean', ['region'], ['logit'], { axes: { kind: 'ints', value: [1, 2, 3] }, keepdims: { kind: 'int', value: 0 } });
  b.addOutput('logit', 'float32', ['N']);
  return b.toBytes();
}

/** Installs the synthetic model the way a user would: an ONNX file with a manifest. */
async function installModel(home: string, work: string, bytes: Uint8Array): Promise<string> {
  const file = join(work, 'region-mean.onnx');
  const manifest = join(work, 'region-mean.json');
  writeFileSync(file, bytes);
  writeFileSync(manifest, JSON.stringify({
    name: 'region-mean', architecture: { variant: 'b0', features: 0 },
    input: { size: 380, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, output: { logit: 'logit', prob: null },
  }));
  return (await importModel(home, file, { manifestFile: manifest })).manifest.id;
}

function testCanvas(): Image8 {
  const data = new Uint8Array(380 * 380 * 3);
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = 60 + (seed % 80);
  }
  for (let y = RY; y < RY + R; y++) for (let x = RX; x < RX + R; x++) data.fill(240, (y * 380 + x) * 3, (y * 380 + x) * 3 + 3);
  return { width: 380, height: 380, channels: 3, data };
}

describe('model attention (occlusion sensitivity)', () => {
  let home: string;
  let root: string;
  let ensemble: ClassifierEnsemble;
  let modelId: string;

  beforeAll(async () => {
    root = tempDir('deepscan-attention-');
    home = join(root, 'home');
    mkdirSync(join(root, 'work'), { recursive: true });
    modelId = await installModel(home, join(root, 'work'), regionModel());
    ensemble = await ClassifierEnsemble.load(home, [modelId], 'cpu');
  });
  afterAll(async () => {
    await ensemble?.release();
  });

  it('lights the region the model reads, and nothing else', async () => {
    const t0 = performance.now();
    const r = await occlusionMap(ensemble, testCanvas(), { patch: 64, stride: 32 });
    const ms = performance.now() - t0;
    expect([r.gridWidth, r.gridHeight]).toEqual([11, 11]);
    expect(r.baseScore).toBeGreaterThan(0.8);
    // Positions whose patch overlaps the region drop the score; all others leave it unchanged.
    r.values.forEach((v, k) => {
      const x = r.xs[k % r.gridWidth];
      const y = r.ys[Math.floor(k / r.gridWidth)];
      const overlaps = x < RX + R && x + 64 > RX && y < RY + R && y + 64 > RY;
      if (overlaps) expect(v, `position ${x},${y}`).toBeGreaterThan(0.001);
      else expect(Math.abs(v), `position ${x},${y}`).toBeLessThan(1e-6);
    });
    let maxAt = 0;
    let outside = 0;
    for (let i = 0; i < r.heat.length; i++) {
      if (r.heat[i] > r.heat[maxAt]) maxAt = i;
      const x = i % 380;
      const y = Math.floor(i / 380);
      const far = x < RX - 64 || x >= RX + R + 64 || y < RY - 64 || y >= RY + R + 64;
      if (far && r.heat[i] > 0) outside++;
    }
    const mx = maxAt % 380;
    const my = Math.floor(maxAt / 380);
    expect(mx >= RX && mx < RX + R && my >= RY && my < RY + R, `hottest pixel ${mx},${my}`).toBe(true);
    expect(outside).toBe(0);
    // The region's centre is hot, the corners cold.
    expect(r.heat[(RY + 30) * 380 + RX + 30]).toBeGreaterThan(0.5);
    expect(r.heat[0]).toBe(0);
    console.log(`attention: ${r.values.length} positions + 1 in ${ms.toFixed(0)} ms; hottest pixel (${mx}, ${my}); max drop ${Math.max(...r.values).toFixed(4)}; base ${r.baseScore.toFixed(4)}`);
  });

  it('is computed for an analysed face, labelled, audited and cached per models and parameters', async () => {
    const folder = join(root, 'evidence');
    mkdirSync(folder);
    writeFileSync(join(folder, 'clip.mp4'), 'x');
    const c: OpenedCase = await openCase({ folder, home, examiner: 'tester' });
    try {
      const now = new Date().toISOString();
      const id = c.store.insertEvidence({
        relPath: 'clip.mp4', size: 1, mtimeMs: 0, sha256: 'ab'.repeat(32), kind: 'video', status: 'analyzed', errorCode: null, error: null, integrity: 'ok',
        firstSeenAt: now, lastVerifiedAt: now, container: 'mp4', codec: 'h264', pixelFormat: 'yuv420p', durationSec: 1, fps: 1, width: 380, height: 380,
        rotation: 0, frameCount: 1, frameCountSource: 'container', containerFrameCount: 1, audioCodecs: [], videoStreamIndex: 0,
      }, c.actor);
      const runId = c.store.startRun({ params: {}, softwareVersion: 'test', stageVersions: {}, executionProvider: 'cpu', host: 'h', pid: process.pid }, c.actor);
      const crop = Buffer.from(encodePng(testCanvas()));
      c.store.saveAnalysis({
        evidenceId: id, runId, evidenceSha256: 'ab'.repeat(32), paramsKey: 'k', facesKey: 'f', classifyKey: 'k', score: null, scoreNote: null, executionProvider: 'cpu',
        detector: null, modelResults: [], params: {}, stageVersions: {}, status: 'analyzed', errorCode: null, error: null, frameIndices: [0],
        frames: [{ sampleNo: 0, frameIndex: 0, ptsSec: 0, width: 380, height: 380, previewJpeg: Buffer.alloc(1), detectWidth: 190, detectHeight: 190, faces: [{
          faceNo: 0, box: [0, 0, 380, 380], detBox: [0, 0, 190, 190], detProb: 1, landmarks: [], crop: [0, 0, 380, 380], cropWidth: 380, cropHeight: 380, cropPng: crop, track: 0, scores: {},
        }] }],
      }, c.actor);
      const params = { patch: 96, stride: 96 };
      const estimates: number[] = [];
      // CAM is the default; this graph has none (no global_pool → fc), so occlusion runs, with a note and its cost first.
      const first = await computeAttentionHeatmap(c, 'clip.mp4', 0, 0, { params, ep: 'cpu', onEstimate: (n) => estimates.push(n) });
      expect(first.cached).toBe(false);
      expect(first.method).toBe('occlusion');
      expect(first.note).toMatch(/has no class activation map/);
      expect(estimates).toEqual([17]);
      expect(first.label).toBe('model attention (occlusion sensitivity)');
      expect([first.gridWidth, first.gridHeight]).toEqual([4, 4]);
      const png = decodePng(first.png);
      expect([png.width, png.height, png.channels]).toEqual([380, 380, 4]);
      const hot = png.data[((RY + 30) * 380 + RX + 30) * 4 + 3];
      expect(hot).toBeGreaterThan(100);
      expect(png.data[3]).toBe(0);
      const again = await computeAttentionHeatmap(c, 'clip.mp4', 0, 0, { params, ep: 'cpu' });
      expect(again.cached).toBe(true);
      expect(Buffer.compare(again.png, first.png)).toBe(0);
      expect(readAudit(c.store.db).filter((a) => a.action === 'attention-heatmap-computed')).toHaveLength(1);
      // The heatmap row carries its model list (migration 7), the same the audit entry names.
      const entry = readAudit(c.store.db).find((a) => a.action === 'attention-heatmap-computed')!.details as { models: Record<string, string> };
      expect(latestFaceHeatmap(c.store, id, 0, 0, 'ab'.repeat(32))?.models).toEqual(Object.keys(entry.models));
      // The ids the audit view names the face with (faceLabel): person 1, sampled frame 1 of 1.
      expect(entry).toMatchObject({ evidenceId: id, frameIndex: 0, face: 0, track: 0, sampleNo: 0, sampledFrames: 1 });
      expect(first.models).toHaveLength(1);
      await expect(computeAttentionHeatmap(c, 'clip.mp4', 5, 0, { params })).rejects.toMatchObject({ code: 'invalid-argument' });
    } finally {
      c.store.close();
    }
  });
});
