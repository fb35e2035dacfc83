import { exportDataset } from '../engine/pipeline/dataset-export.js';
import { intOption, parse, UsageError } from './args.js';
import { ProgressOutput } from './progress.js';

export const DATASET_HELP = `deepscan dataset export <root> --out <dir> [options]

Writes the DFDC seed's training data from a folder of DFDC parts (<root>/dfdc_train_part_N/
metadata.json): boxes/<id>.json (MTCNN [0.85, 0.95, 0.95] on every frame of each original),
crops/<id>/<frame>_<face>.png (every 10th frame, original's boxes, 1/3 margin),
landmarks/<id>/<frame>_<face>.npy, diffs/<fake>/<frame>_<face>_diff.png (1 − SSIM) and
folds.csv (16 folds of 3 parts). The root is only read. Resumable: existing outputs are kept.

Options:
  --out DIR       output folder (must lie outside <root>)
  --all-faces     landmarks, diffs and folds for every face and frame (the seed: faces 0–1, frames < 320)
  --jobs N        videos cropped at once (default 2)
  -h, --help      this help`;

export async function cmdDataset(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    out.write(`${DATASET_HELP}\n`);
    return 0;
  }
  if (sub !== 'export') throw new UsageError(`unknown dataset command "${sub}" (expected "export")`);
  const { values, positionals } = parse(rest, { out: { type: 'string' }, 'all-faces': { type: 'boolean' }, jobs: { type: 'string' } });
  if (values.help) {
    out.write(`${DATASET_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) throw new UsageError('dataset export takes a dataset folder and --out DIR');
  const progress = new ProgressOutput();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    const s = await exportDataset(positionals[0], {
      out: values.out as string, allFaces: Boolean(values['all-faces']), jobs: intOption(values.jobs as string | undefined, '--jobs', 1, 16), signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'stage') progress.log(`${e.stage}: ${e.total} item(s)`);
        else if (e.type === 'frame') progress.update('Boxes    ', e.done / e.total, `${e.item} frame ${e.done}/${e.total}`);
        else if (e.type === 'progress') progress.update(e.stage.padEnd(9), e.done / e.total, `${e.done}/${e.total} ${e.item}${e.skipped ? ' (done before)' : ''}`);
        else progress.log(`warning: ${e.message}`);
      },
    });
    progress.clear();
    out.write(`Exported ${s.videos} videos (${s.originals} originals, ${s.fakes} fakes) in ${s.seconds.toFixed(1)} s: ` +
      `boxes ${s.boxes.written} written / ${s.boxes.skipped} kept; crops ${s.crops.written} written (${s.crops.skippedVideos} videos complete before); ` +
      `landmarks ${s.landmarks.written} written / ${s.landmarks.skipped} kept / ${s.landmarks.noFace} no face; diffs ${s.diffs.written} written / ${s.diffs.skipped} kept; folds.csv ${s.foldRows} rows.\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
