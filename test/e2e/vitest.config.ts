import { defineConfig } from 'vitest/config';

/**
 * End-to-end run (npm run test:e2e): builds the renderer, starts `deepscan serve` on a temporary
 * case and drives the system Chromium with playwright-core. Kept out of the default `npm test`.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
