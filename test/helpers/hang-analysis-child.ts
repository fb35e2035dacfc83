/**
 * Child process for the scratch-folder test: starts an analysis of the case folder and, just
 * before the first decode, prints "decoding" and hangs there until it is killed.
 */
import { openCase } from '../../main/engine/case/open-case.js';
import { analyzeCase } from '../../main/engine/pipeline/analyze-case.js';

const [folder, home] = process.argv.slice(2);
const c = await openCase({ folder, home });
await analyzeCase(c, {
  frames: 2, models: [],
  hooks: {
    beforeDecode: () => {
      process.stdout.write('decoding\n');
      return new Promise<void>(() => setInterval(() => {}, 1000));
    },
  },
});
