import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the real `deepscan` CLI (TypeScript sources through tsx) as a separate process. */
export function startCli(args: string[], env: Record<string, string>, user?: { uid: number; gid: number }): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'main', 'cli.ts'), ...args], {
    cwd: REPO_ROOT,
    ...(user ?? {}),
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function runCli(args: string[], env: Record<string, string>, user?: { uid: number; gid: number }): Promise<CliResult> {
  return startCli(args, env, user).result;
}
