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
  // renderer/vite.config.ts is build tooling that runs on Node, not renderer code.
  layer(LAYER_FILES.renderer, RENDERER_RULES, ['renderer/vite.config.ts']),
  layer(LAYER_FILES.common, COMMON_RULES),
);
