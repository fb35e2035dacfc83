import { writeFile } from 'node:fs/promises';
import { openCase } from '../engine/case/open-case.js';
import { assertOutsideEvidence } from '../engine/case/output-path.js';
import { parseEp, type ExecutionProviderChoice } from '../engine/classify/execution.js';
import { DEFAULT_OCCLUSION } from '../engine/masks/occlusion.js';
import { computeAttentionHeatmap } from '../engine/pipeline/heatmap.js';
import { intOption, parse, UsageError } from './args.js';
import { ProgressOutput } from './progress.js';

export const HEATMAP_HELP = `deepscan heatmap <case-folder> <evidence-path> --frame N --face K [options]

Model attention of the classifiers on one analysed face. Default: the class activation map
(one forward pass per model; each region's contribution Σ w·A + b to the logit of the last
feature map, mean over models). --method occlusion: a flat patch slides over the 380×380
classifier input and the drop of the ensemble's fake probability is recorded per position
(model-agnostic; its cost is printed before it starts). Models whose graph has no CAM fall back
to occlusion with a note. The map shows what the models react to — it is not a manipulation
mask. Cached in the case per models, method and parameters.

Options:
  --frame N       frame index of the face (as analysed)
  --face K        face number within that frame
  --model ID      classifier (repeatable; default: the models of the analysis)
  --method M      cam (default) or occlusion; the options below are occlusion's
  --patch P       patch side in pixels (default ${DEFAULT_OCCLUSION.patch})
  --stride S      step between positions (default ${DEFAULT_OCCLUSION.stride})
  --max-positions M  most positions; the stride grows to fit (default ${DEFAULT_OCCLUSION.maxPositions})
  --fill G        patch grey level 0..255 (default: the ImageNet mean colour)
  --ep PROVIDER   auto (default), cpu, cuda, webgpu
  --png FILE      also write the heatmap PNG (RGBA, overlays the face crop)
  --json FILE     write the values as JSON ("-" for stdout)
  -h, --help      this help`;

export async function cmdHeatmap(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(args, {
    frame: { type: 'string' }, face: { type: 'string' }, model: { type: 'string', multiple: true }, patch: { type: 'string' }, stride: { type: 'string' },
    'max-positions': { type: 'string' }, method: { type: 'string' }, fill: { type: 'string' }, ep: { type: 'string' }, png: { type: 'string' }, json: { type: 'string' },
  });
  if (values.help) {
    out.write(`${HEATMAP_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError('heatmap takes a case folder and an evidence path');
  const frame = intOption(values.frame as string | undefined, '--frame', 0, 1e9);
  const face = intOption(values.face as string | undefined, '--face', 0, 10_000);
  if (frame === undefined || face === undefined) throw new UsageError('heatmap needs --frame N and --face K');
  let ep: ExecutionProviderChoice;
  try {
    ep = parseEp(values.ep as string | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const params = {
    patch: intOption(values.patch as string | undefined, '--patch', 4, 380),
    stride: intOption(values.stride as string | undefined, '--stride', 1, 380),
    maxPositions: intOption(values['max-positions'] as string | undefined, '--max-positions', 1, 10_000),
    fill: intOption(values.fill as string | undefined, '--fill', 0, 255),
  };
  const method = (values.method as string | undefined) ?? 'cam';
  if (method !== 'cam' && method !== 'occlusion') throw new UsageError(`--method must be cam or occlusion (got ${method})`);
  const c = await openCase({ folder: positionals[0], mustExist: true });
  const progress = new ProgressOutput();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    for (const [opt, target] of [['--png', values.png], ['--json', values.json]] as const) {
      if (typeof target === 'string' && target !== '-') await assertOutsideEvidence(target, c.folder, opt);
    }
    const h = await computeAttentionHeatmap(c, positionals[1], frame, face, {
      models: values.model as string[] | undefined, ep, params, method, signal: controller.signal,
      onEstimate: (n) => out.write(`Occlusion sensitivity: ${n} inferences (positions + 1, per model)\n`),
      onProgress: (done, total) => progress.update('Attention', done / total, `${done}/${total} occlusions`),
    });
    progress.clear();
    out.write(`${h.label[0].toUpperCase()}${h.label.slice(1)} — ${positionals[1]} frame ${frame} face ${face}${h.cached ? ' (cached)' : ''}\n`);
    if (h.note) out.write(`Note: ${h.note}\n`);
    out.write(`Models ${h.models.join(', ')}; ensemble fake probability ${h.baseScore.toFixed(4)}; grid ${h.gridWidth}×${h.gridHeight}; colour scale ${h.scale.min.toFixed(4)} … ${h.scale.max.toFixed(4)} (${h.scale.unit})\n`);
    for (let y = 0; y < h.gridHeight; y++) {
      out.write(`${h.values.slice(y * h.gridWidth, (y + 1) * h.gridWidth).map((v) => (v >= 0 ? ' ' : '') + v.toFixed(3)).join(' ')}\n`);
    }
    out.write('This shows what the models react to; it does not locate a manipulation.\n');
    if (values.png) await writeFile(values.png as string, h.png);
    if (values.json) {
      const { png: _png, ...rest } = h;
      void _png;
      const text = `${JSON.stringify(rest, null, 2)}\n`;
      if (values.json === '-') out.write(text);
      else await writeFile(values.json as string, text);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    c.store.close();
  }
}
