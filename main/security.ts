/**
 * Security policy of the desktop window, kept free of Electron so it can be tested in plain
 * Node: the Content-Security-Policy, and the mapping from app://deepscan/… URLs to files of
 * the built renderer (nothing outside that folder is ever served).
 */
import path from 'node:path';
import { isAppUrl } from './ipc/validate.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  // Evidence playback streams from the host's own origin (never a remote one).
  "media-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Headers sent with every file of the renderer. */
export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}

/**
 * The file under `root` that an app://deepscan/… URL names, with its MIME type; null for any
 * other origin, a path that leaves `root` (.., encoded slashes, NUL), or an unknown file type.
 */
export function rendererFileFor(url: string, root: string): { file: string; type: string } | null {
  if (!isAppUrl(url)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  if (rel === '' || rel === '/') rel = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, `.${rel}`);
  if (!file.startsWith(base + path.sep)) return null;
  const type = MIME_TYPES[path.extname(file).toLowerCase()];
  return type === undefined ? null : { file, type };
}
