import { writeFile } from 'node:fs/promises';
import { openCase } from '../engine/case/open-case.js';
import { assertOutsideEvidence } from '../engine/case/output-path.js';
import { compareWithReference } from '../engine/pipeline/compare.js';
import { comparisonEnergy } from '../engine/store/comparison-energy.js';
import { formatEnergy, personLabel } from '../../common/format.js';
import { parse, UsageError } from './args.js';
import { formatTable, ProgressOutput } from './progress.js';

export const COMPARE_HELP = `deepscan compare <case-folder> <suspect-path> <reference-path> [options]

Compares a suspect video with a known original (reference) of the same case, as the DFDC
seed's training data preparation does: faces are found on the reference frame (MTCNN
[0.85, 0.95, 0.95] at half resolution), the same 1/3-margin crop is cut from both frames, and
the seed's 1 − SSIM difference mask is stored per face with its "difference energy" (mean of
mask / 255). Both files must be registered evidence (run "deepscan analyze" first) and are
re-hashed: a file that no longer matches its registered SHA-256 is refused and recorded.
Paths are relative to the case folder.

Options:
  --offset N      reference frame = suspect frame + N (default 0; may be negative)
  --frames N      frames sampled over the suspect (default: the frames analysed, else 32)
  --at LIST       explicit suspect frame indices, comma-separated (e.g. 0,150,290)
  --json FILE     write the result as JSON ("-" for stdout)
  --examiner NAME who runs it (the audit entry's actor); default: the case's examiner,
                  else the OS account, recorded as "<name> (OS user)"
  -h, --help      this help

Exit status: 0 done, 1 error (e.g. integrity failure), 2 usage error.`;

export async function cmdCompare(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(args, { offset: { type: 'string' }, frames: { type: 'string' }, at: { type: 'string' }, json: { type: 'string' }, examiner: { type: 'string' } });
  if (values.help) {
    out.write(`${COMPARE_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 3) throw new UsageError('compare takes a case folder, a suspect path and a reference path');
  const intArg = (v: string | undefined, name: string, signed: boolean): number | undefined => {
    if (v === undefined) return undefined;
    if (!(signed ? /^-?\d+$/ : /^\d+$/).test(v)) throw new UsageError(`${name} must be an integer (got "${v}")`);
    return Number(v);
  };
  const offset = intArg(values.offset as string | undefined, '--offset', true);
  const frames = intArg(values.frames as string | undefined, '--frames', false);
  if (frames !== undefined && (frames < 1 || frames > 1000)) throw new UsageError('--frames must be from 1 to 1000');
  const at = (values.at as string | undefined)?.split(',').map((s) => intArg(s.trim(), '--at', false)!);
  const examiner = (values.examiner as string | undefined)?.trim();
  if (values.examiner !== undefined && !examiner) throw new UsageError('--examiner must not be blank');
  const c = await openCase({ folder: positionals[0], mustExist: true, actor: examiner });
  const progress = new ProgressOutput();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    if (values.json && values.json !== '-') await assertOutsideEvidence(values.json as string, c.folder, '--json');
    const r = await compareWithReference(c, positionals[1], positionals[2], {
      offset, frames, frameIndices: at, signal: controller.signal,
      onProgress: (stage, done, total) => progress.update(stage === 'reference' ? 'Reference' : 'Suspect  ', done / total, `${done}/${total} frames`),
    });
    progress.clear();
    const faceCount = Math.max(0, ...r.frames.map((f) => f.faces.length));
    const rows = r.frames.map((f) => [
      String(f.frameIndex), String(f.referenceFrameIndex), formatEnergy(f.energy),
      ...Array.from({ length: faceCount }, (_, j) => formatEnergy(f.faces.find((x) => x.faceNo === j)?.energy)),
    ]);
    // Faces here are the original's detections (1-based for reading), not the suspect's face numbers.
    out.write(`${formatTable(['Frame', 'Ref. frame', 'Energy', ...Array.from({ length: faceCount }, (_, j) => `Original face ${j + 1}`)], rows)}\n`);
    const perPerson = comparisonEnergy(c.store, r.comparisonId)?.tracks ?? [];
    if (perPerson.length) {
      out.write(`\n${formatTable(['Person', 'Energy', 'Highest', 'Faces', 'Frames'], perPerson.map((t) => [personLabel(t.track), formatEnergy(t.energy), formatEnergy(t.maxEnergy), String(t.faces), String(t.frames)]))}\n`);
    }
    out.write(`\nComparison ${r.comparisonId}: ${r.suspect.path} (SHA-256 ${r.suspect.sha256}) against ${r.reference.path} (SHA-256 ${r.reference.sha256}), offset ${r.offset}; ` +
      `mean difference energy ${r.meanEnergy === null ? '— (no face)' : formatEnergy(r.meanEnergy)}. Masks stored in the case.\n`);
    if (values.json) {
      const text = `${JSON.stringify(r, null, 2)}\n`;
      if (values.json === '-') out.write(text);
      else await writeFile(values.json as string, text);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    c.store.close();
  }
}
