/**
 * Which pages may talk to main. The arguments of every operation are validated against the
 * operation table's schemas (common/operations.ts, common/schemas.ts); their limits are
 * re-exported here for callers that used to find them in this module.
 */
export { CASE_ID_RE, LIMITS, REVIEW_DECISIONS } from '../../common/schemas.js';

/** Origin the renderer is served from (see main/index.ts). */
export const APP_ORIGIN = 'app://deepscan';

/** True for URLs of our own renderer (app://deepscan/…), false for anything else, malformed included. */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string' || url.length > 8192) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'app:' && parsed.host === 'deepscan' && parsed.username === '' && parsed.password === '';
}
