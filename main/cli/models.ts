import { deepscanHome } from '../engine/case/workspace.js';
import { lstat } from 'node:fs/promises';
import { importModelFolder } from '../engine/classify/model-folder.js';
import { importModel, removeModel, scanModels, type ImportResult, type ModelManifest } from '../engine/classify/model-store.js';
import { ensembleStatus, RELEASE_ENSEMBLE, RELEASE_FILES, UNCARDED_LABEL } from '../engine/classify/release.js';
import { parse, UsageError } from './args.js';
import { formatTable } from './progress.js';

export const MODELS_HELP = `deepscan models <command>

  import <file|folder>... [--name NAME] [--manifest FILE.json]
      A folder: every checkpoint in it (.pth/.pt/.ckpt/.bin, or a released file's bare name).
      The seven released files of the DFDC winner
      (final_<seed>_DeepFakeClassifier_tf_efficientnet_b7_ns_0_<epoch>), when their weights are
      B7s, get the release's model card and form the ensemble ${RELEASE_ENSEMBLE}
      (use it with "deepscan analyze --ensemble ${RELEASE_ENSEMBLE}"). Any other model is a
      "${UNCARDED_LABEL}".
      Import PyTorch checkpoints (.pth, legacy or zip torch.save format, as released by the
      DFDC winner) or an ONNX file with a manifest. Checkpoints are read by an allow-list
      parser (nothing in them is executed), checked strictly against the EfficientNet key set,
      and converted to ONNX in $DEEPSCAN_HOME/models/<id>/. Every model must load in
      onnxruntime and give one finite logit per face on a test input before it is installed.
      The id comes from the ONNX bytes only; a --manifest is checked against a closed schema.
  list [--json]      installed models with their checksums and architecture; invalid ones are
                     listed with the reason (exit status 1)
  remove <id>        uninstall a model (also an invalid one)`;

export async function cmdModels(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  const home = deepscanHome();
  switch (sub) {
    case 'import': {
      const { values, positionals } = parse(rest, { name: { type: 'string' }, manifest: { type: 'string' } });
      if (values.help) return help(out);
      if (!positionals.length) throw new UsageError('models import needs at least one model file');
      if (values.name && positionals.length > 1) throw new UsageError('--name applies to a single model file');
      let failed = 0;
      let folders = 0;
      for (const file of positionals) {
        try {
          if ((await lstat(file).catch(() => null))?.isDirectory()) {
            if (values.name) throw new UsageError('--name applies to a single model file, not a folder');
            folders++;
            const t = Date.now();
            const r = await importModelFolder(home, file);
            for (const i of r.imported) out.write(importedLine(i.result, i.file, Date.now() - t));
            for (const f of r.failed) process.stderr.write(`deepscan: ${f.error.message}\n`);
            if (r.skipped.length) out.write(`Skipped (not a checkpoint name): ${r.skipped.join(', ')}\n`);
            failed += r.failed.length;
            continue;
          }
          const t = Date.now();
          const r = await importModel(home, file, { name: values.name as string | undefined, manifestFile: values.manifest as string | undefined });
          out.write(importedLine(r, file, Date.now() - t));
        } catch (e) {
          if (e instanceof UsageError) throw e;
          failed++;
          process.stderr.write(`deepscan: ${(e as Error).message}\n`);
        }
      }
      if (folders) out.write(`${ensembleLine((await scanModels(home)).models)}\n`);
      return failed ? 1 : 0;
    }
    case 'list': {
      const { values } = parse(rest, { json: { type: 'boolean' } });
      if (values.help) return help(out);
      const { models, invalid } = await scanModels(home);
      const bad = invalid.map((i) => ({ dir: i.dir, code: i.error.code, message: i.error.message }));
      if (values.json) {
        const labelled = models.map((m) => ({ ...m, label: m.card ? null : UNCARDED_LABEL }));
        out.write(`${JSON.stringify({ models: labelled, invalid: bad, ensemble: { name: RELEASE_ENSEMBLE, ...ensembleStatus(models.map((m) => m.card)) } }, null, 2)}\n`);
        return bad.length ? 1 : 0;
      }
      // Invalid models are never hidden: analysis refuses to run while one is installed.
      for (const b of bad) process.stderr.write(`deepscan: invalid model ${b.dir}: ${b.message}\n`);
      if (!models.length && !bad.length) {
        out.write('No models installed. Import one with: deepscan models import <checkpoint.pth>\n');
        return 0;
      }
      out.write(`${formatTable(['Id', 'Name', 'Architecture', 'Input', 'ONNX SHA-256', 'Source', 'Model card'], models.map((m) => [
        m.id, m.name, `${m.architecture.family}-${m.architecture.variant}`, `${m.input.size}×${m.input.size}`, m.onnxSha256.slice(0, 16), m.sources.map((s) => s.fileName).join(', '), cardWords(m),
      ]))}\n${ensembleLine(models)}\n`);
      return bad.length ? 1 : 0;
    }
    case 'remove': {
      const { values, positionals } = parse(rest, {});
      if (values.help) return help(out);
      if (positionals.length !== 1) throw new UsageError('models remove takes one model id');
      const r = await removeModel(home, positionals[0]);
      out.write(`Removed ${r.id}${r.manifest ? ` (${r.manifest.name})` : ' (its manifest was invalid)'}\n`);
      return 0;
    }
    case undefined:
    case '--help':
    case '-h':
      return help(out);
    default:
      throw new UsageError(`unknown models command "${sub}"`);
  }
}

function cardWords(m: ModelManifest): string {
  return m.card ? `${m.card.ensemble} (seed ${m.card.member.seed}, epoch ${m.card.member.epoch})` : UNCARDED_LABEL;
}

function importedLine(r: ImportResult, file: string, ms: number): string {
  const m = r.manifest;
  return `${r.created ? 'Imported' : 'Already installed'} ${m.id} (${m.architecture.family} ${m.architecture.variant}, ` +
    `${m.architecture.parameters ? `${(m.architecture.parameters / 1e6).toFixed(2)}M parameters, ` : ''}ONNX SHA-256 ${m.onnxSha256}) from ${file} in ${(ms / 1000).toFixed(1)} s` +
    `: ${cardWords(m)}\n`;
}

/** Whether the released ensemble is complete, and which files are missing when it is not. */
function ensembleLine(models: ModelManifest[]): string {
  const st = ensembleStatus(models.map((m) => m.card));
  if (st.complete) return `Ensemble ${RELEASE_ENSEMBLE}: complete (${RELEASE_FILES.length} of ${RELEASE_FILES.length} released models); use "deepscan analyze --ensemble ${RELEASE_ENSEMBLE}".`;
  if (!st.present.length) return `Ensemble ${RELEASE_ENSEMBLE}: not installed (0 of ${RELEASE_FILES.length} released models); see "Getting the published weights" in the README.`;
  return `Ensemble ${RELEASE_ENSEMBLE}: incomplete, ${st.present.length} of ${RELEASE_FILES.length} released models; missing ${st.missing.join(', ')}.`;
}

function help(out: NodeJS.WritableStream): number {
  out.write(`${MODELS_HELP}\n`);
  return 0;
}
