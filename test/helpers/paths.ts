import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared reference fixtures live beside the checkout, read-only. */
export const FIXTURES = resolve(REPO_ROOT, '..', 'shared', 'fixtures');
export const FIXTURE_VIDEO = join(FIXTURES, 'videos', 'three_faces.mp4');
export const FIXTURE_SWAP_VIDEO = join(FIXTURES, 'videos', 'three_faces_swap.mp4');
export const REFERENCE_JSON = join(FIXTURES, 'reference', 'three_faces.dfdc_b0_seed7.json');

export function tempDir(prefix = 'deepscan-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
