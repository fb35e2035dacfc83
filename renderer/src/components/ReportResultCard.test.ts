/**
 * The report card's actions as the examiner sees them: Save as… / Open / Show in folder in the
 * desktop app (host operations on the fake), Download / Open on the web host (a session token
 * in sessionStorage, fetch and window.open stubbed).
 */
import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fail, ok } from '../../../common/result.js';
import App from '../App.svelte';
import { TOKEN_STORAGE_KEY } from '../lib/http-client.js';
import { analysedFake, REPORT, SUMMARY, type FakeApi } from '../lib/test-fakes.js';
import { Workstation } from '../lib/workstation.svelte.js';
import { settle } from '../views/dom-test-kit.js';

async function exported(api: FakeApi) {
  const app = new Workstation(api);
  app.prefs.setExaminer('R. Reviewer');
  render(App, { app });
  await settle();
  await app.openRecent(SUMMARY);
  await settle();
  await fireEvent.click(screen.getByRole('button', { name: 'Export report (PDF)' }));
  await settle();
  return app;
}

afterEach(() => {
  sessionStorage.clear();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('ReportResultCard', () => {
  it('desktop: Save as… shows the saved copy; a refusal inside the evidence folder is an alert', async () => {
    const api = analysedFake();
    let refuse = false;
    api.saveReportAs = async (...a) => (api.calls.push(['saveReportAs', a]), refuse
      ? fail({ code: 'output-inside-evidence', message: 'The report copy /ev/r.pdf lies inside the evidence folder' })
      : ok({ reportId: REPORT.id, file: '/home/r/Documents/deepscan-report.pdf', sha256: REPORT.sha256 }));
    api.openReport = async (...a) => (api.calls.push(['openReport', a]), ok('/home/r/Documents/deepscan-report.pdf'));
    api.showReportInFolder = async () => ok('/home/r/Documents/deepscan-report.pdf');
    await exported(api);
    expect(screen.queryByRole('button', { name: 'Download' })).toBe(null);
    await fireEvent.click(screen.getByRole('button', { name: 'Save as…' }));
    await settle();
    expect(api.calls).toContainEqual(['saveReportAs', ['case-1', REPORT.id, 'R. Reviewer']]);
    expect(screen.getByText('Saved copy')).toBeTruthy();
    expect(screen.getByTestId('report-notice').textContent).toBe('Saved to /home/r/Documents/deepscan-report.pdf');
    await fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    await settle();
    expect(api.calls).toContainEqual(['openReport', ['case-1', REPORT.id]]);
    refuse = true;
    await fireEvent.click(screen.getByRole('button', { name: 'Save as…' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toContain('inside the evidence folder');
    expect(screen.getByRole('alert').textContent).toContain('output-inside-evidence');
  });

  it('web host: Download follows a ticket link with the safe name, Open a new tab inline', async () => {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, 'session-token');
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (u: string, init: RequestInit) => {
      asked.push(`${init.method} ${u} ${(init.headers as Record<string, string>).Authorization}`);
      return new Response(JSON.stringify({ ok: true, value: { url: `/api/reports/case-1/${REPORT.id}?ticket=T1`, expiresAt: 'x' } }));
    });
    const opened: unknown[][] = [];
    vi.stubGlobal('open', (...a: unknown[]) => (opened.push(a), null));
    const clicks: [string, string][] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push([this.getAttribute('href') ?? '', this.download]);
    });
    await exported(analysedFake({}, false));
    expect(screen.queryByRole('button', { name: 'Save as…' })).toBe(null);
    await fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    await settle();
    expect(clicks).toEqual([[`/api/reports/case-1/${REPORT.id}?ticket=T1&disposition=attachment`, REPORT.downloadName]]);
    await fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    await settle();
    expect(opened).toEqual([[`/api/reports/case-1/${REPORT.id}?ticket=T1&disposition=inline`, '_blank', 'noopener,noreferrer']]);
    expect(asked).toEqual([`POST /api/reports/case-1/${REPORT.id}/link Bearer session-token`, `POST /api/reports/case-1/${REPORT.id}/link Bearer session-token`]);
  });
});
