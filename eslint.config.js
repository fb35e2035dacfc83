// @ts-check
/**
 * Lint config. Besides the usual recommended rules it enforces the layer boundaries:
 *   - main/engine/** is plain Node: no `electron`;
 *   - renderer/** is an untrusted web page: nothing from main/ or preload/, no Node built-ins,
 *     no electron (it talks to the engine only through the typed API in common/);
 *   - common/** is pure types and constants: nothing from main/, preload/ or renderer/, no Node
 *     built-ins, no electron.
 * test/layers.test.ts proves that each of these rules fires.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const builtins = [...new Set(builtinModules.map((m) => m.replace(/^node:/, '')))];

/** `node:anything`, or a bare built-in name with an optional subpath (fs, fs/promises, path…). */
const NODE_BUILTIN = {
  regex: `^(node:.*|(${builtins.map(escape).join('|')})(/.*)?)$`,
  message: 'Node built-ins are not available here (layer rule).',
};
const ELECTRON = { regex: '^electron(/.*)?$', message: 'Electron may only be imported by main/index.ts, main/ipc and preload/.' };

/** A relative import that climbs into another top-level layer folder. */
const intoLayer = (layers, message) => ({ regex: `^(\\.{1,2}/)+(${layers.join('|')})(/|$)`, message });

/** Same rules for require() and import() calls, which no-restricted-imports does not see. */
const dynamicImports = (patterns) =>
  patterns.flatMap(({ regex, message }) => {
    // esquery regex literals cannot contain '/', even escaped: spell it \x2F.
    const re = `/${regex.replace(/\\\//g, '/').replace(/\//g, '\\x2F')}/`;
    return [
      { selector: `ImportExpression[source.value=${re}]`, message },
      { selector: `CallExpression[callee.name='require'][arguments.0.value=${re}]`, message },
    ];
  });

const layer = (files, patterns, ignores = []) => ({
  files,
  ignores,
  rules: {
    'no-restricted-imports': ['error', { patterns }],
    'no-restricted-syntax': ['error', ...dynamicImports(patterns)],
  },
});

const ENGINE_RULES = [ELECTRON];
const RENDERER_RULES = [
  intoLayer(['main', 'preload'], 'The renderer must not import main/ or preload/ code; use the API in common/ (layer rule).'),
  NODE_BUILTIN,
  ELECTRON,
];
const COMMON_RULES = [
  intoLayer(['main', 'preload', 'renderer'], 'common/ must not depend on main/, preload/ or renderer/ (layer rule).'),
  NODE_BUILTIN,
  ELECTRON,
];

/**
 * Folder rules inside the engine: which sibling folders of main/engine/ each folder must not
 * import. Imports run downwards — util ← image/onnx ← classify/faces/media/ingest/store/case ←
 * masks/dataset/pipeline ← report/queue ← service — and a few siblings stay apart (decoding
 * media knows nothing of classifiers or the case store; difference masks do not reach into the
 * training-data exporter). Tests are exempt: they wire layers together on purpose.
 */
const ENGINE_FOLDERS = ['case', 'classify', 'dataset', 'faces', 'image', 'ingest', 'masks', 'media', 'onnx', 'pipeline', 'queue', 'report', 'service', 'store', 'util'];
const allBut = (...keep) => ENGINE_FOLDERS.filter((f) => !keep.includes(f));
const TOP = ['pipeline', 'queue', 'report', 'service'];
export const ENGINE_FOLDER_RULES = {
  util: allBut('util'),
  image: allBut('image', 'util'),
  onnx: allBut('onnx', 'util'),
  classify: ['case', 'dataset', 'ingest', 'masks', 'media', 'store', ...TOP],
  faces: ['case', 'dataset', 'ingest', 'masks', 'media', 'store', ...TOP],
  media: ['case', 'classify', 'dataset', 'faces', 'masks', 'onnx', 'store', ...TOP],
  store: ['classify', 'dataset', 'faces', 'ingest', 'masks', 'media', ...TOP],
  case: ['dataset', 'masks', ...TOP],
  ingest: ['dataset', 'masks', ...TOP],
  masks: ['dataset', ...TOP],
  dataset: TOP,
  pipeline: ['queue', 'report', 'service'],
  report: ['queue', 'service'],
  queue: ['report', 'service'],
};

/**
 * no-restricted-imports sees only the specifier, not the importing file, so each folder gets
 * one block per depth: from main/engine/store/x.ts a sibling is '../pipeline/…', from
 * main/engine/report/pdf/x.ts it is '../../pipeline/…'.
 */
const engineFolderLayers = () =>
  Object.entries(ENGINE_FOLDER_RULES).flatMap(([folder, banned]) =>
    [1, 2, 3].map((depth) =>
      layer(
        [`main/engine/${folder}/${'*/'.repeat(depth - 1)}*.{ts,cts,mts,js,cjs,mjs}`],
        [
          ...ENGINE_RULES,
          {
            regex: `^(\\./)?(\\.\\./){${depth}}(${banned.join('|')})(/|$)`,
            message: `main/engine/${folder}/ must not import ${banned.map((b) => `${b}/`).join(', ')} (engine folder rule).`,
          },
        ],
        ['**/*.test.ts'],
      ),
    ),
  );

export const LAYER_FILES = {
  engine: ['main/engine/**/*.{ts,cts,mts,js,cjs,mjs}'],
  renderer: ['renderer/**/*.{ts,js,svelte}'],
  common: ['common/**/*.{ts,js}'],
};

export default tseslint.config(
  {
    // '.*-tmp.*': hidden scratch files that concurrent work leaves at the repository root.
    ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'coverage/', 'test/.tmp/', '.deepscan-home/', 'models/', '**/.*-tmp.*'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  {
    // Plain JS entry points and configs run on Node.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    // TypeScript (svelte-check) resolves names in Svelte components, as typescript-eslint
    // already arranges for .ts files.
    files: ['**/*.svelte'],
    rules: { 'no-undef': 'off' },
  },
  {
    // Stylistic relaxations for the existing code base (the layer rules below are never relaxed).
    rules: {
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // ── Layer rules (keep last so nothing above overrides them) ──
  layer(LAYER_FILES.engine, ENGINE_RULES),
  // After the engine block: a later block's options replace the earlier ones, so each folder
  // block repeats ENGINE_RULES.
  ...engineFolderLayers(),
  // renderer/vite.config.ts is build tooling that runs on Node, not renderer code.
  layer(LAYER_FILES.renderer, RENDERER_RULES, ['renderer/vite.config.ts']),
  layer(LAYER_FILES.common, COMMON_RULES),
);
