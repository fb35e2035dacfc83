import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What ships: `npm run build` compiles tsconfig.build.json into dist/. Test kits (fixtures,
 * synthetic media, pickle writers) live in test/helpers/ and build-time converters in tools/,
 * so neither reaches dist/ nor the runtime tree main/.
 */
const ROOT = join(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

describe('build tree', () => {
  it('the build compiles no test, test kit or build-time tool', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const files = execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--listFilesOnly'], { encoding: 'utf8' })
      .split('\n').filter((f) => f && !f.includes('node_modules')).map((f) => relative(ROOT, f));
    expect(files).toContain(join('main', 'engine', 'pipeline', 'context.ts'));
    expect(files.filter((f) => /\.test\.ts$|test-helpers|testkit|(^|\/)(test|tools)\//.test(f))).toEqual([]);
  });

  it('the runtime tree holds no test kit and no converter', () => {
    const names = walk(join(ROOT, 'main')).map((f) => relative(ROOT, f)).filter((f) => !/\.test\.ts$/.test(f));
    expect(names.filter((f) => /test-helpers|testkit|mtcnn-convert|tflite/.test(f))).toEqual([]);
    expect(existsSync(join(ROOT, 'tools', 'mtcnn', 'convert.ts'))).toBe(true);
  });
});
