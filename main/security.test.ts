import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, rendererFileFor, securityHeaders } from './security.js';

const ROOT = path.resolve('/srv/deepscan/dist/renderer');

describe('rendererFileFor', () => {
  it('maps our origin to files of the renderer folder', () => {
    expect(rendererFileFor('app://deepscan/index.html', ROOT)).toEqual({
      file: path.join(ROOT, 'index.html'),
      type: 'text/html; charset=utf-8',
    });
    expect(rendererFileFor('app://deepscan/', ROOT)?.file).toBe(path.join(ROOT, 'index.html'));
    expect(rendererFileFor('app://deepscan/assets/index-abc.js?v=1#x', ROOT)).toEqual({
      file: path.join(ROOT, 'assets', 'index-abc.js'),
      type: 'text/javascript; charset=utf-8',
    });
  });

  it('keeps dot-segments inside the renderer folder (the URL parser resolves them first)', () => {
    for (const url of ['app://deepscan/../../etc/passwd.html', 'app://deepscan/%2e%2e/%2e%2e/secret.html']) {
      const target = rendererFileFor(url, ROOT);
      expect(target === null || target.file.startsWith(ROOT + path.sep), url).toBe(true);
    }
  });

  it.each([
    'app://deepscan/assets/..%2f..%2f..%2fsecret.js',
    'app://deepscan/assets/..%5c..%5csecret.js',
    'app://deepscan/index.html%00.js',
    'app://deepscan/%E0%A4%A',
    'app://deepscan/case.sqlite',
    'app://deepscan/assets/app.js.map',
    'app://other/index.html',
    'file:///etc/passwd',
    'https://example.org/index.html',
  ])('refuses %s', (url) => {
    expect(rendererFileFor(url, ROOT)).toBe(null);
  });
});

describe('Content-Security-Policy', () => {
  it('is the strict policy, sent with every renderer file', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self'; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(securityHeaders('text/html')).toMatchObject({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    });
  });

  it('matches the meta tag of renderer/index.html (which cannot carry frame-ancestors)', () => {
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
  });
});
