/**
 * `deepscan demo` (`npm run demo`): the first thing to run on a fresh machine (issue 12). It
 * builds a short clip from the public-domain portrait in assets/demo (see its LICENCE.md) into
 * $DEEPSCAN_HOME/demo — never into a case folder of the examiner's — analyses it faces only,
 * and says how to import the published weights. Nothing is downloaded.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deepscanHome } from '../engine/case/workspace.js';
import { RELEASE_ENSEMBLE, RELEASE_FILES, RELEASE_REPOSITORY, RELEASE_TAG } from '../engine/classify/release.js';
import { locateFfmpeg } from '../engine/media/index.js';
import { packageRoot } from '../engine/util/version.js';
import { cmdAnalyze } from './commands.js';
import { parse } from './args.js';

export const DEMO_HELP = `deepscan demo

Builds a 2-second clip (480×480, 25 fps) from the public-domain NASA portrait shipped in
assets/demo/ into $DEEPSCAN_HOME/demo/, analyses it with faces only (no classifier: a model
without the release's model card would give meaningless scores), and prints how to import the
DFDC winner's published weights. Nothing is downloaded.`;

export const DEMO_CLIP = 'astronaut-demo.mp4';

export async function cmdDemo(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parse(args, {});
  if (values.help) {
    out.write(`${DEMO_HELP}\n`);
    return 0;
  }
  const photo = join(packageRoot(), 'assets', 'demo', 'astronaut.jpg');
  const dir = join(deepscanHome(), 'demo');
  await mkdir(dir, { recursive: true });
  const clip = join(dir, DEMO_CLIP);
  // Built once: the clip is evidence of the demo case, and evidence must not change once registered.
  if (!(await stat(clip).catch(() => null))) {
    const tools = await locateFfmpeg();
    const tmp = join(dir, `.${DEMO_CLIP}.${process.pid}.mp4`);
    await promisify(execFile)(tools.ffmpeg, [
      '-nostdin', '-loglevel', 'error', '-y', '-loop', '1', '-framerate', '25', '-t', '2', '-i', photo,
      '-vf', 'scale=480:480,format=yuv420p', '-c:v', 'mpeg4', '-q:v', '3', '-an', tmp,
    ]);
    await rename(tmp, clip);
  }
  out.write(`Demo clip: ${clip} (from ${photo}, public domain)\n`);
  const code = await cmdAnalyze([dir, '--no-models', '--frames', '8', '--name', 'Deepscan demo'], out);
  out.write(`\nFaces only: no classifier was run. To score videos, import the DFDC winner's published weights\n` +
    `(the ${RELEASE_FILES.length} files ${RELEASE_FILES[0]} … of release ${RELEASE_TAG} of ${RELEASE_REPOSITORY}),\n` +
    `carried to this machine in one folder:\n` +
    `  deepscan models import <folder>\n  deepscan analyze <case-folder> --ensemble ${RELEASE_ENSEMBLE}\n` +
    'See "Getting the published weights" in the README.\n');
  return code;
}
