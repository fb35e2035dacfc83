import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The preload as one CommonJS file (dist/preload/index.cjs): a sandboxed preload cannot
 * require local modules, so common/ (the operation table and its schemas) is bundled in and
 * only 'electron' stays a require().
 */
export default defineConfig({
  build: {
    lib: {
      entry: fileURLToPath(new URL('./index.ts', import.meta.url)),
      formats: ['cjs'],
      fileName: () => 'index.cjs',
    },
    outDir: fileURLToPath(new URL('../dist/preload', import.meta.url)),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: true,
    rollupOptions: { external: ['electron'] },
  },
});
