import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { ReportCopy, ReportFileInfo, ReportResult } from '../../../common/api.js';
import { assertOutsideEvidence } from '../case/output-path.js';
import type { OpenedCase } from '../case/open-case.js';
import { generateCaseReport } from '../report/pdf/index.js';
import { readVerifiedReport } from '../report/verified-file.js';
import type { CaseInfo, CaseStore } from '../store/case-store.js';
import { reportRecord, reportRecordFor, type ReportRecord } from '../store/reports.js';
import { DeepscanError, errorMessage } from '../util/errors.js';

/**
 * A file name for a copy of the report that is safe everywhere (Content-Disposition, every
 * file system): the case number, else its name, and the report's date; only [A-Za-z0-9._-].
 */
export function reportDownloadName(info: Pick<CaseInfo, 'number' | 'name' | 'id'>, generatedAt: string): string {
  const label = (info.number?.trim() || info.name?.trim() || info.id)
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80) || info.id;
  const date = /^\d{4}-\d{2}-\d{2}/.exec(generatedAt)?.[0] ?? 'undated';
  return `deepscan-report-${label}-${date}.pdf`;
}

/**
 * "Export report" from the UI: the PDF goes into the case workspace's reports folder (never
 * the evidence folder), named by the generation time, and its SHA-256 into the audit log; the
 * audit entry's seq is the report's id.
 */
export async function exportCaseReport(c: OpenedCase, examiner?: string): Promise<ReportResult> {
  const dir = join(c.workspace, 'reports');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const r = await generateCaseReport(c, { outFile: join(dir, `deepscan-report-${c.info.id}-${stamp}.pdf`), examiner });
  const rec = reportRecordFor(c.store, r.file, r.sha256);
  if (!rec) throw new DeepscanError('internal', `${r.file}: the report was written but its audit entry is missing`, { file: r.file });
  return { id: rec.id, file: r.file, sha256: r.sha256, pages: r.pages, generatedAt: r.generatedAt, downloadName: reportDownloadName(c.info, r.generatedAt) };
}

function caseInfoOf(store: CaseStore): CaseInfo {
  const info = store.getCase();
  if (!info) throw new DeepscanError('case-missing', `case database ${store.file} holds no case`);
  return info;
}

function recordOf(store: CaseStore, reportId: number): ReportRecord {
  const rec = reportRecord(store, reportId);
  if (!rec) throw new DeepscanError('report-missing', `no report ${reportId} in this case's audit log`);
  return rec;
}

/** The report recorded under `reportId` (its audit entry), with the name a copy gets. No file access. */
export function reportFileInfo(store: CaseStore, reportId: number): ReportFileInfo {
  const info = caseInfoOf(store);
  const rec = recordOf(store, reportId);
  return {
    id: rec.id, file: rec.path, sha256: rec.sha256, bytes: rec.bytes, generatedAt: rec.generatedAt,
    downloadName: reportDownloadName(info, rec.generatedAt), evidenceFolder: info.folder,
  };
}

/**
 * Copies report `reportId` to `destination` (the desktop's save dialog): refused inside the
 * evidence folder ('output-inside-evidence') and for anything but a .pdf name; the source is
 * verified against its recorded hash first, the copy is written through a temporary file,
 * synced, renamed, and recorded as 'report-copied' with its path and hash.
 */
export async function saveReportCopy(store: CaseStore, reportId: number, destination: string, examiner: string): Promise<ReportCopy> {
  const info = caseInfoOf(store);
  const rec = recordOf(store, reportId);
  if (extname(destination).toLowerCase() !== '.pdf') {
    throw new DeepscanError('invalid-argument', `${destination}: a report copy must have a .pdf name`, { file: destination });
  }
  const target = await assertOutsideEvidence(destination, info.folder, 'The report copy');
  const bytes = await readVerifiedReport(rec);
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    await rename(tmp, target);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    await rm(tmp, { force: true });
    throw new DeepscanError('invalid-argument', `${target}: cannot write the report copy (${errorMessage(e)})`, { file: target });
  }
  store.write(() => store.audit(examiner, 'report-copied', { reportId, sha256: rec.sha256, path: target, bytes: bytes.length }));
  return { reportId, file: target, sha256: rec.sha256 };
}
