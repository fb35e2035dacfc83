/**
 * Where the page can stream an evidence file for playback: the web host's
 * /api/evidence/<case>/<id>?token=… (a media element cannot send an Authorization header), or
 * the desktop app's app://deepscan/evidence/<case>/<id> (…/playback-copy/… for the transcoded
 * copy of a codec the browser cannot play). Null when neither host is behind the
 * page (tests with a fake client), and the Video view then plays nothing.
 */
import { TOKEN_STORAGE_KEY } from './http-client.js';

/** 'evidence': the evidence file itself; 'playback-copy': its transcoded copy in the case workspace. */
export type MediaSource = 'evidence' | 'playback-copy';

export type MediaUrlFn = (caseId: string, evidenceId: number, source?: MediaSource) => string | null;

export function pageMediaUrl(caseId: string, evidenceId: number, source: MediaSource = 'evidence'): string | null {
  if (typeof location === 'undefined') return null;
  const path = `/${source}/${encodeURIComponent(caseId)}/${evidenceId}`;
  if (location.protocol === 'app:') return `app://deepscan${path}`;
  let token: string | null = null;
  try {
    token = sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    token = null;
  }
  return token ? `/api${path}?token=${encodeURIComponent(token)}` : null;
}
