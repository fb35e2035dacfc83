#!/usr/bin/env node
// Entry point of the `deepscan` command. Runs the compiled CLI (`npm run build`); in a source
// checkout without a build it runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

process.env.DEEPSCAN_CLI_ENTRY = '1';
const built = new URL('../dist/main/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../main/cli.ts', import.meta.url).href);
}
