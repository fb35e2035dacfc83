/**
 * Exported reports over the web host (Download / Open) and the engine's copy for the desktop's
 * save dialog, over the real workstation service (temporary DEEPSCAN_HOME, a small synthetic
 * video, real ffmpeg, SQLite and PDF writer).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportResult } from '../../common/api.js';
import { createWorkstationService, type WorkstationService } from '../engine/service/index.js';
import { makeTestVideo } from '../../test/helpers/make-media.js';
import { tempDir } from '../../test/helpers/paths.js';
import { snapshotFolder } from '../../test/helpers/folder-snapshot.js';
import { ReportTickets, safeFileName } from './report-download.js';
import { startWebHost, type WebHost } from './server.js';

let work: string;
let folder: string;
let service: WorkstationService;
let host: WebHost;
let caseId: string;
let report: ReportResult;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function exportOne(): Promise<ReportResult> {
  const r = await service.exportReport(caseId);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

beforeAll(async () => {
  work = tempDir('deepscan-report-dl-');
  folder = join(work, 'evidence');
  mkdirSync(folder);
  makeTestVideo(join(folder, 'clip.mp4'), { width: 96, height: 64, frames: 6 });
  writeFileSync(join(work, 'secret.txt'), 'TOP SECRET');
  service = createWorkstationService({ home: join(work, 'home') });
  host = await startWebHost({ service, rendererDir: null });
  const opened = await service.openCase({ folder, name: 'Harbour fraud', number: 'CASE 2026/0042', examiner: 'J. Doe' });
  if (!opened.ok) throw new Error(opened.error.message);
  caseId = opened.value.id;
  report = await exportOne();
}, 60_000);

afterAll(async () => {
  await host?.close();
  await service?.cancelAll();
  rmSync(work, { recursive: true, force: true });
});

const reportUrl = (id: number | string, query = '', c: string = caseId) => `${host.origin}/api/reports/${c}/${id}${query}`;
const bearer = () => ({ Authorization: `Bearer ${host.token}` });

async function link(id: number): Promise<string> {
  const res = await fetch(`${reportUrl(id)}/link`, { method: 'POST', headers: bearer() });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { ok: true; value: { url: string; expiresAt: string } };
  expect(body.value.url).not.toContain(host.token);
  return `${host.origin}${body.value.url}`;
}

/** A raw request with the exact path given (fetch would normalise `..`). */
function raw(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, method: 'GET', path, headers: { Host: `127.0.0.1:${host.port}`, ...bearer() }, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('exportReport', () => {
  it('answers the report id (its audit entry) and a safe name from the case number and date', async () => {
    expect(Number.isInteger(report.id) && report.id > 0).toBe(true);
    expect(report.downloadName).toBe(`deepscan-report-CASE-2026-0042-${report.generatedAt.slice(0, 10)}.pdf`);
    const info = await service.getReportFile(caseId, report.id);
    expect(info).toMatchObject({ ok: true, value: { id: report.id, file: report.file, sha256: report.sha256, evidenceFolder: expect.any(String) } });
    const audit = await service.getAudit(caseId);
    if (!audit.ok) throw new Error(audit.error.message);
    expect(audit.value.items.find((e) => e.seq === report.id)?.action).toBe('report-generated');
  });
});

describe('GET /api/reports/<case>/<id>', () => {
  it('serves the exact bytes with application/pdf, attachment and the recorded hash (Bearer)', async () => {
    const bytes = readFileSync(report.file);
    const res = await fetch(reportUrl(report.id), { headers: bearer() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${report.downloadName}"`);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-deepscan-report-sha256')).toBe(report.sha256);
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(bytes)).toBe(true);
    expect(sha256(got)).toBe(report.sha256);
  });

  it('serves it inline through a link ticket that holds no session token', async () => {
    const url = await link(report.id);
    const res = await fetch(`${url}&disposition=inline`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${report.downloadName}"`);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(report.sha256);
    expect((await fetch(`${url}&disposition=evil`)).status).toBe(400);
  });

  it('refuses without a token (401), with a wrong one, and a ticket for another report', async () => {
    expect((await fetch(reportUrl(report.id))).status).toBe(401);
    expect((await fetch(reportUrl(report.id), { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    // The session token in the query is not accepted here (it would stay in the tab's history).
    expect((await fetch(reportUrl(report.id, `?token=${host.token}`))).status).toBe(401);
    const url = new URL(await link(report.id));
    const other = await fetch(reportUrl(report.id + 1, `?ticket=${url.searchParams.get('ticket')}`));
    expect(other.status).toBe(401);
    // A ticket does not ask for links.
    expect((await fetch(`${reportUrl(report.id)}/link${url.search}`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${reportUrl(report.id)}/link`)).status).toBe(401);
  });

  it('answers 404 for an audit entry that is not a report and for an unknown id; 400 for a malformed one', async () => {
    const notReport = await fetch(reportUrl(1), { headers: bearer() });
    expect(notReport.status).toBe(404);
    expect(((await notReport.json()) as { error: { code: string } }).error.code).toBe('report-missing');
    expect((await fetch(reportUrl(999_999), { headers: bearer() })).status).toBe(404);
    expect((await fetch(reportUrl('abc'), { headers: bearer() })).status).toBe(400);
    expect((await fetch(reportUrl(report.id, '', 'ffffffffffffffff'), { headers: bearer() })).status).toBe(404);
  });

  it('never resolves a path from the request', async () => {
    for (const p of [
      `/api/reports/${caseId}/..%2F..%2Fsecret.txt`,
      `/api/reports/${caseId}/${report.id}%2F..%2F..%2F..%2Fsecret.txt`,
      `/api/reports/..%2F..%2F..%2F/${report.id}`,
      `/api/reports/${caseId}/${report.id}/../../../../secret.txt`,
    ]) {
      const res = await raw(p);
      expect(res.status, p).not.toBe(200);
      expect(res.body, p).not.toContain('TOP SECRET');
    }
  });

  it('refuses a report whose file changed since it was written (409 report-changed), for download and copy', async () => {
    const changed = await exportOne();
    appendFileSync(changed.file, '%tampered\n');
    const res = await fetch(reportUrl(changed.id), { headers: bearer() });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('report-changed');
    const copy = await service.saveReportCopy(caseId, changed.id, join(work, 'out', 'changed.pdf'));
    expect(copy).toMatchObject({ ok: false, error: { code: 'report-changed' } });
  });
});

describe('saveReportCopy (the desktop save dialog\'s engine half)', () => {
  it('writes a verified copy outside the evidence folder and audits it', async () => {
    const dest = join(work, 'out', 'nested', report.downloadName);
    const r = await service.saveReportCopy(caseId, report.id, dest, 'K. Reviewer');
    expect(r).toEqual({ ok: true, value: { reportId: report.id, file: dest, sha256: report.sha256 } });
    expect(sha256(readFileSync(dest))).toBe(report.sha256);
    const audit = await service.getAudit(caseId);
    if (!audit.ok) throw new Error(audit.error.message);
    const entry = audit.value.items.at(-1);
    expect(entry).toMatchObject({ action: 'report-copied', actor: 'K. Reviewer' });
  });

  it('refuses a place inside the evidence folder however it is spelt, and a name that is not .pdf; the folder is untouched', async () => {
    const before = snapshotFolder(folder);
    for (const dest of [join(folder, 'r.pdf'), join(folder, 'sub', 'r.pdf'), join(work, 'out', '..', 'evidence', 'r.pdf')]) {
      expect(await service.saveReportCopy(caseId, report.id, dest)).toMatchObject({ ok: false, error: { code: 'output-inside-evidence' } });
    }
    expect(await service.saveReportCopy(caseId, report.id, join(work, 'out', 'r.txt'))).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(snapshotFolder(folder)).toEqual(before);
  });

  it('overwrites a file the dialog confirmed with the verified bytes', async () => {
    const dest = join(work, 'out', 'again.pdf');
    mkdirSync(join(work, 'out'), { recursive: true });
    copyFileSync(join(work, 'secret.txt'), dest);
    expect((await service.saveReportCopy(caseId, report.id, dest)).ok).toBe(true);
    expect(sha256(readFileSync(dest))).toBe(report.sha256);
  });
});

describe('helpers', () => {
  it('safeFileName keeps only [A-Za-z0-9._-] and a .pdf end', () => {
    expect(safeFileName('deepscan-report-A-1-2026-12-02.pdf')).toBe('deepscan-report-A-1-2026-12-02.pdf');
    expect(safeFileName('"; x=../../evil\r\n.pdf')).toBe('x-.-.-evil-.pdf');
    expect(safeFileName('')).toBe('deepscan-report.pdf');
  });

  it('tickets read one report until they expire', () => {
    let now = 1_000;
    const t = new ReportTickets(() => now, 100);
    const { ticket } = t.issue('0123456789abcdef', 7);
    expect(t.admits(ticket, '0123456789abcdef', 7)).toBe(true);
    expect(t.admits(ticket, '0123456789abcdef', 8)).toBe(false);
    expect(t.admits(ticket, 'fedcba9876543210', 7)).toBe(false);
    expect(t.admits('guess', '0123456789abcdef', 7)).toBe(false);
    now += 100;
    expect(t.admits(ticket, '0123456789abcdef', 7)).toBe(false);
  });
});
