/**
 * `npm run bench`: measured throughput of the pipeline's stages on the shared fixture videos.
 * Prints numbers (and ratios where they say more than seconds); asserts nothing.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sha256File } from '../../main/engine/ingest/hash.js';
import { decodeFrames } from '../../main/engine/media/decode.js';
import { locateFfmpeg } from '../../main/engine/media/ffmpeg.js';
import { probeMedia } from '../../main/engine/media/probe.js';
import { sampleFrameIndices } from '../../main/engine/media/sample.js';
import { FIXTURE_SWAP_VIDEO, FIXTURE_VIDEO } from '../helpers/paths.js';

async function main(): Promise<void> {
  const tools = await locateFfmpeg();
  const tmp = mkdtempSync(join(tmpdir(), 'deepscan-bench-'));
  console.log(`ffmpeg ${tools.version} (${tools.source}); node ${process.version}; ${process.platform}/${process.arch}`);
  try {
    for (const video of [FIXTURE_VIDEO, FIXTURE_SWAP_VIDEO]) {
      const name = video.split('/').pop()!;
      const size = statSync(video).size;
      let t = performance.now();
      await sha256File(video);
      const hashMs = performance.now() - t;
      t = performance.now();
      const probe = await probeMedia(tools, video, name);
      const probeMs = performance.now() - t;
      const indices = sampleFrameIndices(probe.frameCount, 32);
      t = performance.now();
      let n = 0;
      let peakRss = process.memoryUsage().rss;
      for await (const f of decodeFrames(tools, video, probe, indices, { tmpDir: tmp })) {
        n += f.rgb.length > 0 ? 1 : 0;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      const decodeMs = performance.now() - t;
      const videoSec = probe.frameCount / (probe.fps ?? 30);
      console.log(
        `${name}: hash ${(size / 1e6 / (hashMs / 1000)).toFixed(0)} MB/s | probe ${probeMs.toFixed(0)} ms | ` +
          `decode+sample ${n} of ${probe.frameCount} frames ${decodeMs.toFixed(0)} ms ` +
          `(${(videoSec / (decodeMs / 1000)).toFixed(1)}× real time) | peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
