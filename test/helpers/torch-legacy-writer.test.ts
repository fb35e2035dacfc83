
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './paths.js';
import { writeLegacyCheckpoint } from './torch-legacy-writer.js';
import { parseTorchCheckpoint, readTorchCheckpoint } from '../../main/engine/classify/torch/checkpoint.js';

describe('test helper: legacy torch.save writer', () => {
  it('round-trips the fixture checkpoint through the reader', () => {
    const ref = readTorchCheckpoint(join(FIXTURES, 'checkpoints', 'dfdc_b0_seed7.legacy.pth'));
    const bytes = writeLegacyCheckpoint(ref.stateDict, { epoch: 40, bceBest: ref.bceBest! });
    const back = parseTorchCheckpoint(bytes, 'written.pth');
    expect(back.format).toBe('legacy');
    expect(back.epoch).toBe(40);
    expect(back.bceBest).toBe(ref.bceBest);
    expect([...back.stateDict.keys()]).toEqual([...ref.stateDict.keys()]);
    for (const [k, t] of ref.stateDict) expect(Buffer.from(back.stateDict.get(k)!.data.buffer, back.stateDict.get(k)!.data.byteOffset, back.stateDict.get(k)!.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);

  });
});
