import { deepscanHome } from '../engine/case/workspace.js';
import { importModel, removeModel, scanModels } from '../engine/classify/model-store.js';
import { parse, UsageError } from './args.js';
import { formatTable } from './progress.js';

export const MODELS_HELP = `deepscan models <command>

  import <file>... [--name NAME] [--manifest FILE.json]
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
      for (const file of positionals) {
        try {
          const t = Date.now();
          const r = await importModel(home, file, { name: values.name as string | undefined, manifestFile: values.manifest as string | undefined });
          const m = r.manifest;
          out.write(`${r.created ? 'Imported' : 'Already installed'} ${m.id} (${m.architecture.family} ${m.architecture.variant}, ` +
            `${m.architecture.parameters ? `${(m.architecture.parameters / 1e6).toFixed(2)}M parameters, ` : ''}ONNX SHA-256 ${m.onnxSha256}) from ${file} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
        } catch (e) {
          failed++;
          process.stderr.write(`deepscan: ${(e as Error).message}\n`);
        }
      }
      return failed ? 1 : 0;
    }
    case 'list': {
      const { values } = parse(rest, { json: { type: 'boolean' } });
      if (values.help) return help(out);
      const { models, invalid } = await scanModels(home);
      const bad = invalid.map((i) => ({ dir: i.dir, code: i.error.code, message: i.error.message }));
      if (values.json) {
        out.write(`${JSON.stringify({ models, invalid: bad }, null, 2)}\n`);
        return bad.length ? 1 : 0;
      }
      // Invalid models are never hidden: analysis refuses to run while one is installed.
      for (const b of bad) process.stderr.write(`deepscan: invalid model ${b.dir}: ${b.message}\n`);
      if (!models.length && !bad.length) {
        out.write('No models installed. Import one with: deepscan models import <checkpoint.pth>\n');
        return 0;
      }
      out.write(`${formatTable(['Id', 'Name', 'Architecture', 'Input', 'ONNX SHA-256', 'Source'], models.map((m) => [
        m.id, m.name, `${m.architecture.family}-${m.architecture.variant}`, `${m.input.size}×${m.input.size}`, m.onnxSha256.slice(0, 16), m.sources.map((s) => s.fileName).join(', '),
      ]))}\n`);
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

function help(out: NodeJS.WritableStream): number {
  out.write(`${MODELS_HELP}\n`);
  return 0;
}
