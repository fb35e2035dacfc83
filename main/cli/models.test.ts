/**
 * `deepscan models list/remove` with an invalid model installed: it is shown with the reason
 * and the exit status is 1 (never hidden), and it can be removed by id.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/helpers/paths.js';
import { cmdModels } from './models.js';

const ID = 'efficientnet-b3-0123456789ab';
let home: string;
let saved: string | undefined;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (b: Buffer) => (stdout += b.toString()));
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await cmdModels(args, out);
    return { code, stdout, stderr };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(() => {
  home = tempDir();
  saved = process.env.DEEPSCAN_HOME;
  process.env.DEEPSCAN_HOME = home;
  mkdirSync(join(home, 'models', ID), { recursive: true });
  writeFileSync(join(home, 'models', ID, 'manifest.json'), JSON.stringify({ id: ID, architecture: { variant: '../../x' } }));
});
afterAll(() => {
  if (saved === undefined) delete process.env.DEEPSCAN_HOME;
  else process.env.DEEPSCAN_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

describe('deepscan models with an invalid model installed', () => {
  it('lists it with the manifest file and field, exit status 1', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`invalid model ${ID}: ${join(home, 'models', ID, 'manifest.json')}: manifest field`);
    const j = await run(['list', '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ models: [], invalid: [{ dir: ID, code: 'model-invalid' }] });
  });

  it('removes it by id', async () => {
    const r = await run(['remove', ID]);
    expect(r).toMatchObject({ code: 0, stdout: `Removed ${ID} (its manifest was invalid)\n` });
    expect((await run(['list'])).code).toBe(0);
  });
});
