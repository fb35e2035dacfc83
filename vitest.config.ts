import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real ffmpeg and real inference on 2 cores: keep files parallel but not oversubscribed.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['main/**/*.test.ts', 'common/**/*.test.ts', 'preload/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
        },
      },
      {
        // Renderer components and state: Svelte compiled for the browser, DOM from jsdom.
        extends: true,
        plugins: [svelte({ configFile: false }), svelteTesting()],
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['renderer/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
