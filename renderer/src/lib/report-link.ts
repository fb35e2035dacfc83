/**
 * Links to an exported report on the web host (`deepscan serve`): the page asks, with its
 * Bearer token, for a short-lived ticket that reads that one report
 * (POST /api/reports/<case>/<id>/link), and navigates to it for "Download" (attachment) or
 * "Open" (inline, new tab). The session token itself never goes into a URL a tab keeps.
 * Null when the page is not served by the web host (desktop app, tests with a fake client).
 */
import { fail, ok, type Result } from '../../../common/result.js';
import { TOKEN_STORAGE_KEY } from './http-client.js';

export type ReportDisposition = 'attachment' | 'inline';
export type ReportLinkFn = (caseId: string, reportId: number, disposition: ReportDisposition) => Promise<Result<string>>;

export function reportLinker(token: string, doFetch: typeof fetch = (i, init) => fetch(i, init), base = ''): ReportLinkFn {
  return async (caseId, reportId, disposition) => {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/reports/${encodeURIComponent(caseId)}/${reportId}/link`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      return fail({ code: 'host-unavailable', message: 'The Deepscan web host does not answer (was "deepscan serve" stopped?).' });
    }
    let body: { ok?: boolean; value?: { url?: unknown }; error?: { code?: unknown; message?: unknown } };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      return fail({ code: 'host-unavailable', message: `The Deepscan web host sent an unreadable answer (HTTP ${res.status}).` });
    }
    if (body.ok === true && typeof body.value?.url === 'string' && body.value.url.startsWith('/api/reports/')) {
      return ok(`${base}${body.value.url}&disposition=${disposition}`);
    }
    const code = typeof body.error?.code === 'string' ? body.error.code : 'internal';
    const message = typeof body.error?.message === 'string' ? body.error.message : `The report link was refused (HTTP ${res.status}).`;
    return fail({ code, message });
  };
}

/** The linker for this page when it was served by the web host, else null. */
export function pageReportLinker(): ReportLinkFn | null {
  if (typeof location === 'undefined' || !/^https?:$/.test(location.protocol)) return null;
  let token: string | null = null;
  try {
    token = sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    token = null;
  }
  return token ? reportLinker(token) : null;
}

/** How the page follows a link (tests pass their own). */
export interface LinkNavigator {
  download(url: string, fileName: string): void;
  openTab(url: string): void;
}

export const pageNavigator: LinkNavigator = {
  download(url, fileName) {
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.rel = 'noopener';
    a.style.display = 'none';
    document.body.append(a);
    a.click();
    a.remove();
  },
  openTab(url) {
    window.open(url, '_blank', 'noopener,noreferrer');
  },
};
