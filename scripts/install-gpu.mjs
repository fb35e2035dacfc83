#!/usr/bin/env node
// Opt-in GPU support (Linux x64, NVIDIA): installs onnxruntime-node's CUDA 12 execution
// provider libraries next to its binding. It downloads them, so it needs a network connection
// (run it once on a connected machine and copy node_modules/onnxruntime-node/bin to an
// air-gapped one). The project's .npmrc skips this at install time on purpose.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`deepscan: CUDA libraries exist for linux/x64 only (this is ${process.platform}/${process.arch}); ` +
    'on other systems use --ep webgpu where a GPU adapter is available, or the CPU.');
  process.exit(1);
}
const require = createRequire(import.meta.url);
const ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
const r = spawnSync(process.execPath, [join(ortDir, 'script', 'install.js')], {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
});
if (r.status === 0) console.log('CUDA execution provider installed. Check with: deepscan analyze <folder> --ep cuda');
process.exit(r.status ?? 1);
