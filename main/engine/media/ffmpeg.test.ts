import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearFfmpegCache, locateFfmpeg, parseFfmpegVersion } from './ffmpeg.js';
import { makeTempDir, removeDir } from '../../../test/helpers/media-kit.js';

const hasFfmpegStatic = (() => {
  try {
    createRequire(import.meta.url).resolve('ffmpeg-static');
    return true;
  } catch {
    return false;
  }
})();
const posix = process.platform !== 'win32';

describe('parseFfmpegVersion', () => {
  it.each([
    ['ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026', '5.1.9-0+deb12u1', 5, 1],
    ['ffmpeg version n6.1.1 Copyright', 'n6.1.1', 6, 1],
    ['ffmpeg version 7.1-full_build-www.gyan.dev Copyright', '7.1-full_build-www.gyan.dev', 7, 1],
    ['ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright', '4.4.2-0ubuntu0.22.04.1', 4, 4],
    ['ffmpeg version N-113245-g1a2b3c4d5e Copyright\nlibavutil      58. 29.100\nlibavcodec     60. 31.102', 'N-113245-g1a2b3c4d5e', 6, 0],
    ['ffmpeg version N-105000-gabc\nlibavcodec     59. 37.100', 'N-105000-gabc', 5, 1],
  ])('%s', (text, version, major, minor) => {
    expect(parseFfmpegVersion(text)).toEqual({ version, major, minor });
  });
  it('rejects output that is not ffmpeg', () => {
    expect(parseFfmpegVersion('Usage: something else')).toBeNull();
  });
});

describe('locateFfmpeg', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir('locate');
  });
  afterAll(() => removeDir(dir));
  beforeEach(() => clearFfmpegCache());

  it.skipIf(hasFfmpegStatic)('finds the system ffmpeg and ffprobe on PATH (version ≥ 5)', async () => {
    const t = await locateFfmpeg({ PATH: process.env.PATH });
    expect(t.source).toBe('system');
    expect(path.isAbsolute(t.ffmpeg)).toBe(true);
    expect(path.basename(t.ffmpeg)).toMatch(/^ffmpeg(\.exe)?$/);
    expect(path.basename(t.ffprobe)).toMatch(/^ffprobe(\.exe)?$/);
    expect(t.major).toBeGreaterThanOrEqual(5);
  });

  it('uses DEEPSCAN_FFMPEG first, with the ffprobe beside it', async () => {
    const sys = await locateFfmpeg({ PATH: process.env.PATH });
    const t = await locateFfmpeg({ PATH: '', DEEPSCAN_FFMPEG: sys.ffmpeg });
    expect(t.source).toBe('env');
    expect(t.ffmpeg).toBe(sys.ffmpeg);
    expect(t.ffprobe).toBe(path.join(path.dirname(sys.ffmpeg), path.basename(sys.ffprobe)));
  });

  it('caches per environment', async () => {
    const env = { PATH: process.env.PATH };
    const a = locateFfmpeg(env);
    const b = locateFfmpeg({ ...env });
    expect(b).toBe(a);
    expect(await a).toBe(await b);
    expect(locateFfmpeg({ PATH: process.env.PATH, DEEPSCAN_FFPROBE: (await a).ffprobe })).not.toBe(a);
  });

  it('says ffmpeg is missing, with install advice, when DEEPSCAN_FFMPEG points nowhere', async () => {
    const err = await locateFfmpeg({ PATH: process.env.PATH, DEEPSCAN_FFMPEG: path.join(dir, 'nope', 'ffmpeg') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ffmpeg-missing' });
    expect((err as Error).message).toMatch(/DEEPSCAN_FFMPEG/);
    expect((err as Error).message).toMatch(/apt-get install ffmpeg/);
    expect((err as Error).message).toMatch(/brew install ffmpeg/);
  });

  it.skipIf(hasFfmpegStatic)('says ffmpeg is missing when PATH has none', async () => {
    const err = await locateFfmpeg({ PATH: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ffmpeg-missing' });
    expect((err as Error).message).toMatch(/not found on PATH/);
    expect((err as Error).message).toMatch(/Windows/);
  });

  it.skipIf(!posix)('refuses ffmpeg 4 with a clear message', async () => {
    const old = path.join(dir, 'old');
    fs.mkdirSync(old);
    for (const tool of ['ffmpeg', 'ffprobe']) {
      const p = path.join(old, tool);
      fs.writeFileSync(p, `#!/bin/sh\necho "${tool} version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021 the FFmpeg developers"\n`);
      fs.chmodSync(p, 0o755);
    }
    const err = await locateFfmpeg({ PATH: '', DEEPSCAN_FFMPEG: path.join(old, 'ffmpeg') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ffmpeg-too-old' });
    expect((err as Error).message).toMatch(/4\.4\.2.*too old.*version 5 or newer/);
    expect((err as Error).message).toMatch(/apt-get install ffmpeg/);
    // A failure is not cached: fixing the setup works without a restart.
    const sys = await locateFfmpeg({ PATH: process.env.PATH });
    expect(sys.major).toBeGreaterThanOrEqual(5);
  });
});
