/**
 * Proves that each layer rule in eslint.config.js fires: a violating import is an error, a
 * clean one passes. Uses ESLint's Node API on virtual files (lintText with a filePath), so no
 * fixture files are written to the repository.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** Rule ids of the errors ESLint reports for `code` as if it lived at `filePath`. */
async function errors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

const LAYER = /^no-restricted-(imports|syntax)/;

async function expectViolation(filePath: string, code: string): Promise<void> {
  const found = await errors(filePath, code);
  expect(found.some((e) => LAYER.test(e)), `${filePath}: ${code}\n${found.join('\n')}`).toBe(true);
}

async function expectClean(filePath: string, code: string): Promise<void> {
  expect(await errors(filePath, code), `${filePath}: ${code}`).toEqual([]);
}

describe('layer rule: main/engine must not import electron', () => {
  const file = 'main/engine/fixture/layer-probe.ts';
  it('fires on electron, electron/main, require and import()', async () => {
    await expectViolation(file, "import { app } from 'electron';\nexport const a = app;\n");
    await expectViolation(file, "import { ipcMain } from 'electron/main';\nexport const a = ipcMain;\n");
    await expectViolation(file, "export const e = await import('electron');\n");
    await expectViolation(file, "// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const e = require('electron');\n");
  });
  it('passes Node built-ins and engine-relative imports', async () => {
    await expectClean(file, "import { readFile } from 'node:fs/promises';\nimport { ok } from '../../../common/result.js';\nexport const a = [readFile, ok];\n");
  });
  it('does not apply outside the engine (main/ipc may import electron)', async () => {
    await expectClean('main/ipc/layer-probe.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n");
  });
});

describe('layer rule: renderer must not import main/, preload/ or Node built-ins', () => {
  const file = 'renderer/src/lib/layer-probe.ts';
  it('fires on main/ and preload/ code, even type-only', async () => {
    await expectViolation(file, "import { createWorkstationService } from '../../../main/engine/service/index.js';\nexport const a = createWorkstationService;\n");
    await expectViolation(file, "import type { IpcHandlers } from '../../../main/ipc/handlers.js';\nexport type A = IpcHandlers;\n");
    await expectViolation(file, "import '../../../preload/index.cjs';\n");
  });
  it('fires on Node built-ins (node: prefix or bare) and electron', async () => {
    await expectViolation(file, "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n");
    await expectViolation(file, "import path from 'path';\nexport const a = path;\n");
    await expectViolation(file, "import { readFile } from 'fs/promises';\nexport const a = readFile;\n");
    await expectViolation(file, "export const m = await import('node:child_process');\n");
    await expectViolation(file, "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n");
  });
  it('fires inside Svelte components', async () => {
    await expectViolation(
      'renderer/src/components/LayerProbe.svelte',
      "<script lang=\"ts\">\n  import { execSync } from 'node:child_process';\n  execSync('id');\n</script>\n",
    );
    await expectClean(
      'renderer/src/components/LayerProbe.svelte',
      "<script lang=\"ts\">\n  import type { EvidenceRow } from '../../../common/api.js';\n  let { row }: { row: EvidenceRow } = $props();\n</script>\n\n<p>{row.path}</p>\n",
    );
  });
  it('passes the typed API from common/ and packages', async () => {
    await expectClean(
      file,
      "import type { DeepscanClient } from '../../../common/api.js';\nimport { IPC_CHANNELS } from '../../../common/api.js';\nimport { mount } from 'svelte';\nexport const a: [DeepscanClient | null, unknown, unknown] = [null, IPC_CHANNELS, mount];\n",
    );
    // A file of the renderer that happens to be called main is not the main/ layer.
    await expectClean(file, "import './main.js';\n");
  });
});

describe('layer rule: common must stay pure', () => {
  const file = 'common/layer-probe.ts';
  it('fires on main/, preload/, renderer/ and Node built-ins', async () => {
    await expectViolation(file, "import { DeepscanError } from '../main/engine/util/errors.js';\nexport const a = DeepscanError;\n");
    await expectViolation(file, "import '../preload/index.cjs';\n");
    await expectViolation(file, "import { getApi } from '../renderer/src/lib/api.js';\nexport const a = getApi;\n");
    await expectViolation(file, "import { createHash } from 'node:crypto';\nexport const a = createHash;\n");
    await expectViolation(file, "import { EventEmitter } from 'events';\nexport const a = EventEmitter;\n");
  });
  it('passes imports within common/', async () => {
    await expectClean(file, "import type { Result } from './result.js';\nexport type A = Result<number>;\n");
  });
});

describe('engine folder rules: imports run downwards inside main/engine', () => {
  const exp = (names: string[]) => `export const a = [${names.join(', ')}];\n`;
  it('masks/ may not import dataset/ (but may use the case store and faces)', async () => {
    await expectViolation('main/engine/masks/layer-probe.ts', "import { prep } from '../dataset/prep.js';\n" + exp(['prep']));
    await expectClean('main/engine/masks/layer-probe.ts', "import { a } from '../store/db.js';\nimport { b } from '../faces/detect.js';\n" + exp(['a', 'b']));
  });
  it('store/ may not import pipeline/, service/ or the media decoder', async () => {
    await expectViolation('main/engine/store/layer-probe.ts', "import { run } from '../pipeline/analyse.js';\n" + exp(['run']));
    await expectViolation('main/engine/store/layer-probe.ts', "import type { Service } from '../service/index.js';\nexport type A = Service;\n");
    await expectViolation('main/engine/store/layer-probe.ts', "import { probe } from '../media/probe.js';\n" + exp(['probe']));
    await expectClean('main/engine/store/layer-probe.ts', "import { c } from '../case/paths.js';\nimport { u } from '../util/errors.js';\n" + exp(['c', 'u']));
  });
  it('media/ may not import classify/, also through import()', async () => {
    await expectViolation('main/engine/media/layer-probe.ts', "import { score } from '../classify/ensemble.js';\n" + exp(['score']));
    await expectViolation('main/engine/media/layer-probe.ts', "export const m = await import('../classify/ensemble.js');\n");
    await expectClean('main/engine/media/layer-probe.ts', "import { x } from '../ingest/kinds.js';\nimport { y } from './probe.js';\n" + exp(['x', 'y']));
  });
  it('util/ is the leaf; nothing below service/ imports service/', async () => {
    await expectViolation('main/engine/util/layer-probe.ts', "import { crop } from '../image/crop.js';\n" + exp(['crop']));
    await expectViolation('main/engine/pipeline/layer-probe.ts', "import { s } from '../service/index.js';\n" + exp(['s']));
    await expectClean('main/engine/service/layer-probe.ts', "import { run } from '../pipeline/analyse.js';\nimport { q } from '../store/db.js';\n" + exp(['run', 'q']));
  });
  it('counts the depth of nested folders (report/pdf/ reaches siblings with ../../)', async () => {
    await expectViolation('main/engine/report/pdf/layer-probe.ts', "import { s } from '../../service/index.js';\n" + exp(['s']));
    // '../queue' from report/pdf/ is report/queue, not the engine's queue/ folder.
    await expectClean('main/engine/report/pdf/layer-probe.ts', "import { q } from '../queue.js';\nimport { r } from '../../store/db.js';\n" + exp(['q', 'r']));
  });
  it('keeps the electron rule in folder files, and exempts tests from folder rules', async () => {
    await expectViolation('main/engine/store/layer-probe.ts', "import { app } from 'electron';\nexport const a = app;\n");
    await expectClean('main/engine/classify/layer-probe.test.ts', "import { s } from '../service/index.js';\n" + exp(['s']));
  });
});
