import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAbsolutePath } from '../../common/schemas.js';
import { isAppUrl } from './validate.js';

describe('isAppUrl', () => {
  it('recognises only our app origin', () => {
    expect(isAppUrl('app://deepscan/index.html')).toBe(true);
    expect(isAppUrl('app://deepscan/')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://deepscan.evil/index.html',
      'app://user@deepscan/index.html',
      'https://deepscan/index.html',
      'file:///index.html',
      'about:blank',
      '',
      'not a url',
      42,
      null,
    ]) {
      expect(isAppUrl(url), String(url)).toBe(false);
    }
  });
});

describe('isAbsolutePath (node:path rules without node:path)', () => {
  it('agrees with path.posix.isAbsolute and path.win32.isAbsolute', () => {
    const samples = ['/', '/a/b', 'a/b', '', '.', '..', 'C:\\x', 'C:/x', 'C:x', 'c:', '\\\\server\\share', '\\x', '//x', '1:\\x', ' /x'];
    for (const p of samples) {
      expect(isAbsolutePath(p, 'linux'), `posix ${JSON.stringify(p)}`).toBe(path.posix.isAbsolute(p));
      expect(isAbsolutePath(p, 'win32'), `win32 ${JSON.stringify(p)}`).toBe(path.win32.isAbsolute(p));
    }
  });
});
