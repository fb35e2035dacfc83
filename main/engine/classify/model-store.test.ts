import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from '../../../test/helpers/paths.js';
import { getModel, importModel, listModels, loadVerifiedOnnx, removeModel, sha256 } from './model-store.js';

const LEGACY = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth');
const ZIP = join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.zip.pth');
let home: string;

beforeAll(() => {
  home = tempDir();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('model store', () => {
  it('imports both torch.save formats of one checkpoint as one model, recording both sources', async () => {
    const a = await importModel(home, LEGACY);
    const b = await importModel(home, ZIP);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.manifest.id).toBe(a.manifest.id);
    expect(a.manifest.id).toMatch(/^efficientnet-b0-[0-9a-f]{12}$/);
    const [m] = await listModels(home);
    expect(m.sources.map((s) => [s.format, s.sha256])).toEqual([
      ['torch-legacy', sha256(readFileSync(LEGACY))],
      ['torch-zip', sha256(readFileSync(ZIP))],
    ]);
    expect(m).toMatchObject({ architecture: { variant: 'b0', features: 1280, inputSize: 380 }, input: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, checkpoint: { epoch: 40 } });
  });

  it('refuses to load a model whose ONNX bytes no longer match the manifest', async () => {
    const [m] = await listModels(home);
    const { onnxPath } = await getModel(home, m.id);
    const original = readFileSync(onnxPath);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] ^= 1;
    writeFileSync(onnxPath, tampered);
    await expect(loadVerifiedOnnx(home, m.id)).rejects.toThrow(/does not match its manifest/);
    writeFileSync(onnxPath, original);
    await expect(loadVerifiedOnnx(home, m.id)).resolves.toMatchObject({ manifest: { id: m.id } });
  });

  it('accepts an ONNX file only with a manifest, and names what is missing', async () => {
    const [m] = await listModels(home);
    const { onnxPath } = await getModel(home, m.id);
    const dir = tempDir();
    const onnx = join(dir, 'lab-model.onnx');
    copyFileSync(onnxPath, onnx);
    await expect(importModel(home, onnx)).rejects.toThrow(/needs --manifest/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ architecture: {} }));
    await expect(importModel(home, onnx, { manifestFile: join(dir, 'bad.json') })).rejects.toThrow(/architecture\.variant/);
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ architecture: { variant: 'b0', features: 1280 }, input: { size: 380, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }));
    const r = await importModel(home, onnx, { manifestFile: join(dir, 'm.json') });
    expect(r.manifest.id).toBe(m.id); // the same ONNX bytes are the same model
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the file and cause for a broken checkpoint, and installs nothing', async () => {
    const dir = tempDir();
    const cut = join(dir, 'cut.pth');
    writeFileSync(cut, readFileSync(LEGACY).subarray(0, 100_000));
    await expect(importModel(home, cut)).rejects.toThrow(/cut\.pth/);
    expect(await listModels(home)).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes a model', async () => {
    const [m] = await listModels(home);
    await removeModel(home, m.id);
    expect(await listModels(home)).toHaveLength(0);
    await expect(getModel(home, m.id)).rejects.toThrow(/not installed/);
  });
});
