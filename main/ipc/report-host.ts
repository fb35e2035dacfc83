/**
 * The desktop's report actions — "Save as…" (native save dialog), "Open" and "Show in folder"
 * (the system shell) — as host operations (common/operations.ts, `host: true`). Electron's
 * dialog and shell are injected, so this logic is tested without Electron (report-host.test.ts);
 * register.ts passes the real ones.
 *
 * Thin on purpose: the engine decides everything about the file (which report an id names, its
 * recorded SHA-256, the refusal of a path inside the evidence folder, the copy and its audit
 * entry) through getReportFile and saveReportCopy. This module only asks where, remembers the
 * copies it made in this session, and re-hashes a file before handing it to the shell, so a
 * report changed on disk is never opened as the one the audit log vouches for.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { DeepscanApi, ReportCopy } from '../../common/api.js';
import type { Result } from '../../common/result.js';

/** The part of Electron's `dialog.showSaveDialog` used here (bound to the window by the caller). */
export type SaveDialog = (options: {
  title: string;
  defaultPath: string;
  buttonLabel: string;
  filters: { name: string; extensions: string[] }[];
  properties: ('createDirectory' | 'showOverwriteConfirmation' | 'dontAddToRecent')[];
}) => Promise<{ canceled: boolean; filePath?: string }>;

/** The part of Electron's `shell` used here. */
export interface ReportShell {
  /** Resolves to '' on success, else an error message (Electron's contract). */
  openPath(file: string): Promise<string>;
  showItemInFolder(file: string): void;
}

export interface ReportHostOptions {
  service: Pick<DeepscanApi, 'getReportFile' | 'saveReportCopy'>;
  showSaveDialog: SaveDialog;
  shell: ReportShell;
  /** Folder the save dialog starts in (the user's Documents); called when the dialog opens. */
  defaultDir: () => string;
}

/** A refusal with a stable code: handlers.ts turns it into the Result's error. */
export class ReportHostError extends Error {
  constructor(readonly code: string, message: string, readonly file?: string) {
    super(message);
  }
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new ReportHostError(r.error.code, r.error.message, r.error.file);
  return r.value;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

export function createReportHost(opts: ReportHostOptions) {
  /** Copies saved in this session, by case and report: the only paths besides the engine's own record that are ever opened. */
  const saved = new Map<string, string>();
  const key = (caseId: string, reportId: number) => `${caseId}/${reportId}`;

  /** The file "Open" and "Show in folder" act on: the saved copy, else the engine's file, after re-hashing it. */
  async function verifiedFile(caseId: string, reportId: number): Promise<string> {
    const info = unwrap(await opts.service.getReportFile(caseId, reportId));
    const file = saved.get(key(caseId, reportId)) ?? info.file;
    let sha: string;
    try {
      sha = await sha256Of(file);
    } catch (e) {
      throw new ReportHostError('report-missing', `${file} cannot be read (${(e as Error).message}).`, file);
    }
    if (sha !== info.sha256) {
      throw new ReportHostError('report-changed', `${file} has changed since it was written (SHA-256 ${sha}, recorded ${info.sha256}); it is not opened.`, file);
    }
    return file;
  }

  return {
    async saveReportAs(caseId: string, reportId: number, examiner?: string): Promise<ReportCopy | null> {
      const info = unwrap(await opts.service.getReportFile(caseId, reportId));
      const res = await opts.showSaveDialog({
        title: 'Save the case report',
        defaultPath: path.join(opts.defaultDir(), info.downloadName),
        buttonLabel: 'Save report',
        filters: [{ name: 'PDF document', extensions: ['pdf'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation', 'dontAddToRecent'],
      });
      if (res.canceled || !res.filePath) return null;
      let dest = res.filePath;
      if (path.extname(dest).toLowerCase() !== '.pdf') {
        // Some file choosers return the name as typed: add the extension, but never silently
        // over a file the dialog did not ask about.
        dest = `${dest}.pdf`;
        const exists = await access(dest).then(() => true, () => false);
        if (exists) throw new ReportHostError('invalid-argument', `${dest} already exists; choose the name again (with .pdf) to replace it.`, dest);
      }
      // The engine refuses a place inside the evidence folder ('output-inside-evidence').
      const copy = unwrap(await opts.service.saveReportCopy(caseId, reportId, dest, examiner));
      saved.set(key(caseId, reportId), copy.file);
      return copy;
    },

    async openReport(caseId: string, reportId: number): Promise<string> {
      const file = await verifiedFile(caseId, reportId);
      const problem = await opts.shell.openPath(file);
      if (problem) throw new ReportHostError('open-failed', `${file} could not be opened: ${problem}`, file);
      return file;
    },

    async showReportInFolder(caseId: string, reportId: number): Promise<string> {
      const file = await verifiedFile(caseId, reportId);
      opts.shell.showItemInFolder(file);
      return file;
    },
  };
}
