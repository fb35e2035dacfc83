/**
 * The desktop's report actions with Electron's dialog and shell faked: what the save dialog is
 * asked, that the engine's refusal of the evidence folder reaches the renderer, that Open and
 * Show in folder act on the saved copy (else the engine's file) only after re-hashing it, and
 * that every call is validated by the IPC handlers first.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type DeepscanApi, type ReportFileInfo } from '../../common/api.js';
import { fail, ok } from '../../common/result.js';
import { tempDir } from '../../test/helpers/paths.js';
import { createIpcHandlers } from './handlers.js';
import { createReportHost, type SaveDialog } from './report-host.js';

const CASE = '0123456789abcdef';
const work = tempDir('deepscan-report-host-');
const workspaceFile = join(work, 'workspace', 'report.pdf');
mkdirSync(join(work, 'workspace'));
mkdirSync(join(work, 'evidence'));
const PDF = Buffer.from('%PDF-1.7\n% a report\n%%EOF\n');
const SHA = createHash('sha256').update(PDF).digest('hex');

afterAll(() => rmSync(work, { recursive: true, force: true }));

function setup(dialogAnswer: { canceled: boolean; filePath?: string }) {
  writeFileSync(workspaceFile, PDF);
  const calls: [string, unknown[]][] = [];
  const info: ReportFileInfo = {
    id: 7, file: workspaceFile, sha256: SHA, bytes: PDF.length, generatedAt: '2026-12-02T10:00:00.000Z',
    downloadName: 'deepscan-report-2026-0042-2026-12-02.pdf', evidenceFolder: join(work, 'evidence'),
  };
  const service: Pick<DeepscanApi, 'getReportFile' | 'saveReportCopy'> = {
    getReportFile: async (...a) => (calls.push(['getReportFile', a]), a[1] === 7 ? ok(info) : fail({ code: 'report-missing', message: 'no report' })),
    saveReportCopy: async (caseId, reportId, destination, examiner) => {
      calls.push(['saveReportCopy', [caseId, reportId, destination, examiner]]);
      // Stands in for the engine's rule (tested for real in main/web/report-download.test.ts).
      if (destination.startsWith(info.evidenceFolder)) return fail({ code: 'output-inside-evidence', message: `${destination} lies inside the evidence folder` });
      writeFileSync(destination, PDF);
      return ok({ reportId, file: destination, sha256: SHA });
    },
  };
  const dialogs: Parameters<SaveDialog>[0][] = [];
  const opened: string[] = [];
  const shown: string[] = [];
  let openProblem = '';
  const host = createReportHost({
    service,
    showSaveDialog: async (o) => (dialogs.push(o), dialogAnswer),
    shell: { openPath: async (f) => (opened.push(f), openProblem), showItemInFolder: (f) => void shown.push(f) },
    defaultDir: () => join(work, 'Documents'),
  });
  return { host, calls, dialogs, opened, shown, setOpenProblem: (p: string) => (openProblem = p) };
}

describe('saveReportAs', () => {
  beforeEach(() => rmSync(join(work, 'out'), { recursive: true, force: true }));

  it('offers the case-number-and-date name in Documents, then has the engine copy it there', async () => {
    mkdirSync(join(work, 'out'));
    const dest = join(work, 'out', 'chosen.pdf');
    const { host, calls, dialogs } = setup({ canceled: false, filePath: dest });
    expect(await host.saveReportAs(CASE, 7, 'J. Doe')).toEqual({ reportId: 7, file: dest, sha256: SHA });
    expect(dialogs[0]).toMatchObject({
      defaultPath: join(work, 'Documents', 'deepscan-report-2026-0042-2026-12-02.pdf'),
      filters: [{ name: 'PDF document', extensions: ['pdf'] }],
      properties: expect.arrayContaining(['showOverwriteConfirmation']),
    });
    expect(calls.at(-1)).toEqual(['saveReportCopy', [CASE, 7, dest, 'J. Doe']]);
  });

  it('answers null when the dialog is cancelled, and copies nothing', async () => {
    const { host, calls } = setup({ canceled: true });
    expect(await host.saveReportAs(CASE, 7)).toBeNull();
    expect(calls.map(([n]) => n)).toEqual(['getReportFile']);
  });

  it('passes the engine\'s refusal of a place inside the evidence folder through, with its code', async () => {
    const { host } = setup({ canceled: false, filePath: join(work, 'evidence', 'r.pdf') });
    await expect(host.saveReportAs(CASE, 7)).rejects.toMatchObject({ code: 'output-inside-evidence' });
  });

  it('adds .pdf to a bare name, but never over an existing file the dialog did not ask about', async () => {
    mkdirSync(join(work, 'out'));
    const { host, calls } = setup({ canceled: false, filePath: join(work, 'out', 'bare') });
    expect((await host.saveReportAs(CASE, 7))?.file).toBe(join(work, 'out', 'bare.pdf'));
    await expect(host.saveReportAs(CASE, 7)).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(calls.filter(([n]) => n === 'saveReportCopy')).toHaveLength(1);
  });
});

describe('openReport / showReportInFolder', () => {
  it('opens the engine\'s file until a copy is saved, then the copy', async () => {
    mkdirSync(join(work, 'out'), { recursive: true });
    const dest = join(work, 'out', 'open-me.pdf');
    const { host, opened, shown } = setup({ canceled: false, filePath: dest });
    expect(await host.openReport(CASE, 7)).toBe(workspaceFile);
    await host.saveReportAs(CASE, 7);
    expect(await host.openReport(CASE, 7)).toBe(dest);
    expect(await host.showReportInFolder(CASE, 7)).toBe(dest);
    expect(opened).toEqual([workspaceFile, dest]);
    expect(shown).toEqual([dest]);
  });

  it('refuses a file that no longer hashes to the recorded SHA-256, and an unknown report', async () => {
    const { host, opened, shown } = setup({ canceled: true });
    appendFileSync(workspaceFile, 'tampered');
    await expect(host.openReport(CASE, 7)).rejects.toMatchObject({ code: 'report-changed' });
    await expect(host.showReportInFolder(CASE, 7)).rejects.toMatchObject({ code: 'report-changed' });
    await expect(host.openReport(CASE, 8)).rejects.toMatchObject({ code: 'report-missing' });
    expect([...opened, ...shown]).toEqual([]);
  });

  it('reports what the shell could not open', async () => {
    const { host, setOpenProblem } = setup({ canceled: true });
    setOpenProblem('No application is registered for PDF files');
    await expect(host.openReport(CASE, 7)).rejects.toMatchObject({ code: 'open-failed', message: expect.stringContaining('No application') });
  });
});

describe('through the IPC handlers', () => {
  it('validates the arguments before the dialog opens and shapes errors into Results', async () => {
    const { host, dialogs } = setup({ canceled: false, filePath: join(work, 'evidence', 'r.pdf') });
    const handlers = createIpcHandlers({} as DeepscanApi, { host });
    expect(await handlers[IPC_CHANNELS.saveReportAs](['not-a-case', 7])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await handlers[IPC_CHANNELS.saveReportAs]([CASE, -1])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await handlers[IPC_CHANNELS.openReport]([CASE, 7, 'extra'])).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(dialogs).toHaveLength(0);
    expect(await handlers[IPC_CHANNELS.saveReportAs]([CASE, 7])).toMatchObject({ ok: false, error: { code: 'output-inside-evidence' } });
    expect(await handlers[IPC_CHANNELS.openReport]([CASE, 7])).toEqual(ok(workspaceFile));
  });

  it('answers unsupported in a host without these actions (the web host)', async () => {
    const handlers = createIpcHandlers({} as DeepscanApi);
    expect(await handlers[IPC_CHANNELS.saveReportAs]([CASE, 7])).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    expect(await handlers[IPC_CHANNELS.showReportInFolder]([CASE, 7])).toMatchObject({ ok: false, error: { code: 'unsupported' } });
  });
});
