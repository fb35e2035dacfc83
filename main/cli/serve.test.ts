/**
 * `deepscan serve` in-process: opens the given case, prints a tokenised loopback URL that
 * opens that case, serves the API with that token, and stops cleanly.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestVideo } from '../../test/helpers/make-media.js';
import { tempDir } from '../../test/helpers/paths.js';
import { main } from '../cli.js';
import { cmdServe } from './serve.js';

let work: string;

beforeAll(() => {
  work = tempDir('deepscan-serve-');
  mkdirSync(join(work, 'evidence'));
  makeTestVideo(join(work, 'evidence', 'clip.mp4'), { width: 64, height: 48, frames: 3 });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('deepscan serve', () => {
  it('opens the case, prints its URL, serves the API with the token and stops cleanly', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const listening = new Promise<string>((resolve) => {
      void cmdServe([join(work, 'evidence'), '--port', '0'], out, { home: join(work, 'home'), stop: stopped, onListening: resolve }).then((code) => {
        expect(code).toBe(0);
      });
    });
    const url = new URL(await listening);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const caseId = new URLSearchParams(url.hash.slice(1)).get('case');
    expect(url.hash).toMatch(/^#view=evidence&case=/);
    expect(caseId).toMatch(/^[0-9a-f]{16}$/);
    expect(text).toContain(`Open: ${url.href}`);
    expect(text).toMatch(/Case evidence \([0-9a-f]{16}\): 1 evidence item\(s\)/);

    const res = await fetch(`${url.origin}/api/getCase`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${url.searchParams.get('token')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([caseId]),
    });
    expect(await res.json()).toMatchObject({ ok: true, value: { id: caseId, evidenceCount: 1 } });

    stop();
    await expect.poll(() => text).toContain('Stopped.');
    await expect(fetch(`${url.origin}/`)).rejects.toThrow();
  });

  it('is in the main help and rejects bad options', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    expect(await main(['--help'], out)).toBe(0);
    expect(text).toContain('deepscan serve [<case-folder>] [--port P] [--open]');
    expect(await main(['serve', '--help'], out)).toBe(0);
    expect(text).toContain('127.0.0.1 only');
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['serve', '--port', '70000'], out)).toBe(2);
      expect(await main(['serve', 'a', 'b'], out)).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
  });
});
