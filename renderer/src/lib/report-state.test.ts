/**
 * Getting the exported report to the examiner: the desktop actions (host operations, faked
 * here) and the web host's links (a fake fetch and navigator).
 */
import { describe, expect, it } from 'vitest';
import type { ReportCopy } from '../../../common/api.js';
import { fail, ok } from '../../../common/result.js';
import { reportLinker, type LinkNavigator, type ReportDisposition } from './report-link.js';
import { ReportState } from './report-state.svelte.js';
import { analysedFake, REPORT } from './test-fakes.js';

function desktopFake() {
  const api = analysedFake();
  let answer: ReportCopy | null = { reportId: REPORT.id, file: '/home/examiner/Documents/report.pdf', sha256: REPORT.sha256 };
  let refusal: { code: string; message: string } | null = null;
  api.saveReportAs = async (...a) => (api.calls.push(['saveReportAs', a]), refusal ? fail(refusal) : ok(answer));
  api.openReport = async (...a) => (api.calls.push(['openReport', a]), ok('/home/examiner/Documents/report.pdf'));
  api.showReportInFolder = async (...a) => (api.calls.push(['showReportInFolder', a]), ok('/home/examiner/Documents/report.pdf'));
  return { api, cancel: () => (answer = null), refuse: (r: typeof refusal) => (refusal = r) };
}

function webFake() {
  const links: [string, number, ReportDisposition][] = [];
  const nav = { downloads: [] as [string, string][], tabs: [] as string[] };
  const navigator: LinkNavigator = { download: (u, n) => void nav.downloads.push([u, n]), openTab: (u) => void nav.tabs.push(u) };
  let refuse = false;
  const s = new ReportState(analysedFake(), {
    links: async (c, id, d) => (links.push([c, id, d]), refuse ? fail({ code: 'report-changed', message: 'changed since written' }) : ok(`/api/reports/${c}/${id}?ticket=T&disposition=${d}`)),
    navigator,
  });
  return { s, links, nav, refuse: () => (refuse = true) };
}

describe('ReportState on the desktop', () => {
  it('saves a copy through the native dialog with the export\'s examiner, then opens and shows that copy', async () => {
    const { api } = desktopFake();
    const s = new ReportState(api, { links: null });
    expect(s.canSaveAs).toBe(true);
    expect(s.canDownload).toBe(false);
    await s.export('case-1', 'J. Doe');
    const copy = await s.saveAs();
    expect(api.calls).toContainEqual(['saveReportAs', ['case-1', REPORT.id, 'J. Doe']]);
    expect(copy?.file).toBe('/home/examiner/Documents/report.pdf');
    expect(s.saved).toEqual(copy);
    expect(s.notice).toBe('Saved to /home/examiner/Documents/report.pdf');
    const copied: string[] = [];
    await s.copy('path', { writeText: async (t) => void copied.push(t) });
    expect(copied).toEqual(['/home/examiner/Documents/report.pdf']);
    await s.openFile();
    await s.showInFolder();
    expect(api.calls).toContainEqual(['openReport', ['case-1', REPORT.id]]);
    expect(api.calls).toContainEqual(['showReportInFolder', ['case-1', REPORT.id]]);
    expect(s.notice).toBe('Shown in folder: /home/examiner/Documents/report.pdf');
    expect(s.action).toBe(null);
  });

  it('a cancelled dialog changes nothing; a refusal (inside the evidence folder) is shown with its code', async () => {
    const { api, cancel, refuse } = desktopFake();
    const s = new ReportState(api, { links: null });
    await s.export('case-1', 'J. Doe');
    cancel();
    expect(await s.saveAs()).toBe(null);
    expect(s.saved).toBe(null);
    expect(s.actionError).toBe(null);
    refuse({ code: 'output-inside-evidence', message: '/ev/r.pdf lies inside the evidence folder' });
    expect(await s.saveAs()).toBe(null);
    expect(s.actionError?.code).toBe('output-inside-evidence');
    // A new export starts clean.
    await s.export('case-1', 'J. Doe');
    expect(s.actionError).toBe(null);
  });

  it('does nothing before a report was exported', async () => {
    const { api } = desktopFake();
    const s = new ReportState(api, { links: null });
    expect(await s.saveAs()).toBe(null);
    expect(api.calls.some(([op]) => op === 'saveReportAs')).toBe(false);
  });
});

describe('ReportState on the web host', () => {
  it('downloads under the report\'s safe name and opens inline in a new tab, each through a fresh link', async () => {
    const { s, links, nav } = webFake();
    expect(s.canDownload).toBe(true);
    expect(s.canSaveAs).toBe(false);
    await s.export('case-1', 'J. Doe');
    await s.download();
    await s.openTab();
    expect(links).toEqual([['case-1', REPORT.id, 'attachment'], ['case-1', REPORT.id, 'inline']]);
    expect(nav.downloads).toEqual([[`/api/reports/case-1/${REPORT.id}?ticket=T&disposition=attachment`, REPORT.downloadName]]);
    expect(nav.tabs).toEqual([`/api/reports/case-1/${REPORT.id}?ticket=T&disposition=inline`]);
  });

  it('shows a refused link and navigates nowhere', async () => {
    const { s, nav, refuse } = webFake();
    await s.export('case-1');
    refuse();
    await s.download();
    expect(s.actionError?.code).toBe('report-changed');
    expect(nav.downloads).toEqual([]);
  });
});

describe('reportLinker', () => {
  it('asks for a ticket with the Bearer token and adds the disposition', async () => {
    const seen: [string, RequestInit | undefined][] = [];
    const fetchFake = (async (u: RequestInfo | URL, init?: RequestInit) => {
      seen.push([String(u), init]);
      return new Response(JSON.stringify({ ok: true, value: { url: '/api/reports/c1/5?ticket=abc', expiresAt: 'x' } }));
    }) as typeof fetch;
    const link = reportLinker('tok', fetchFake);
    expect(await link('c1', 5, 'inline')).toEqual(ok('/api/reports/c1/5?ticket=abc&disposition=inline'));
    expect(seen[0][0]).toBe('/api/reports/c1/5/link');
    expect(seen[0][1]).toMatchObject({ method: 'POST', headers: { Authorization: 'Bearer tok' } });
  });

  it('passes refusals through and distrusts a link elsewhere', async () => {
    const answer = (body: unknown, status = 200) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
    expect(await reportLinker('t', answer({ ok: false, error: { code: 'report-missing', message: 'no report 5' } }, 404))('c', 5, 'attachment'))
      .toEqual(fail({ code: 'report-missing', message: 'no report 5' }));
    expect((await reportLinker('t', answer({ ok: true, value: { url: 'https://evil.example/x' } }))('c', 5, 'attachment')).ok).toBe(false);
    const down = (async () => Promise.reject(new TypeError('offline'))) as typeof fetch;
    expect(await reportLinker('t', down)('c', 5, 'attachment')).toMatchObject({ ok: false, error: { code: 'host-unavailable' } });
  });
});
