import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DeepscanError } from '../engine/util/errors.js';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with errors turned into usage errors the CLI prints with help. */
export function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return n;
}

export function requireDeepscanError(e: unknown): e is DeepscanError {
  return e instanceof DeepscanError;
}
