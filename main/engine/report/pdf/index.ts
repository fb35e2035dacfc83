import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import type { OpenedCase } from '../../case/open-case.js';
import { resultsStateDigest } from '../../store/result-digest.js';
import { DeepscanError, errorMessage } from '../../util/errors.js';
import { collectReportData, type ReportData } from './data.js';
import { loadReportFonts } from './fonts.js';
import { renderCaseReportTo } from './render.js';

export { collectReportData, FLAG_THRESHOLD, MAX_FLAGGED_PER_VIDEO, type ReportData } from './data.js';
export { branchWords, formatScore, formatTime, renderCaseReport, renderCaseReportTo } from './render.js';
export { loadReportFonts, type ReportFonts } from './fonts.js';

export interface CaseReportOptions {
  /** Where to write the PDF (never inside the evidence folder). */
  outFile: string;
  /** Who prepares the report (printed, and the actor of the audit entry); default: the case's examiner. */
  examiner?: string;
  /** The clock (tests inject one); the report's timestamp is this time, whole seconds. */
  now?: () => Date;
  /** Folder of the DejaVu TTFs; null forces the standard-font fallback. Default: the npm package's. */
  fontsDir?: string | null;
  /** Progress of the integrity re-verification (hashing every registered file). */
  onVerify?: (done: number, total: number, path: string) => void;
}

export interface CaseReportResult {
  file: string;
  sha256: string;
  pages: number;
  generatedAt: string;
}

/**
 * Writes the court-ready PDF report of a case: the case, its evidence with integrity re-verified
 * now, the method with every parameter, each video's results with the flagged faces and the
 * examiner's decisions, limitations, and the audit chain's state. The report's own SHA-256 is
 * then appended to the case's audit log ("report-generated"), so the chain vouches for it.
 * The same case state and timestamp always give the same bytes.
 */
export async function generateCaseReport(c: OpenedCase, opts: CaseReportOptions): Promise<CaseReportResult> {
  const file = resolve(opts.outFile);
  await refuseEvidenceFolder(c.folder, file);
  const now = new Date(Math.floor((opts.now?.() ?? new Date()).getTime() / 1000) * 1000);
  const actor = opts.examiner ?? c.info.examiner ?? c.actor;
  const data = await collectReportData(c, { now, preparedBy: actor, onVerify: opts.onVerify });
  await mkdir(dirname(file), { recursive: true });
  // Written through a temporary file (renamed at the end) with synchronous writes, hashed on
  // the way: a large report never sits in memory, and a failed one leaves no partial file.
  const tmp = `${file}.${process.pid}.tmp`;
  const hash = createHash('sha256');
  let bytes = 0;
  let pages: number;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const out = fd;
    pages = await renderCaseReportTo(data, loadReportFonts(opts.fontsDir), (chunk) => {
      for (let off = 0; off < chunk.length;) off += writeSync(out, chunk, off, chunk.length - off);
      hash.update(chunk);
      bytes += chunk.length;
    });
    fsyncSync(out);
    closeSync(out);
    fd = null;
    await rename(tmp, file);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    await rm(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new DeepscanError('invalid-argument', `${file}: cannot write the report (${errorMessage(e)})`, { file });
    throw e;
  }
  const sha256 = hash.digest('hex');
  const generatedAt = now.toISOString();
  c.store.write(() => c.store.audit(actor, 'report-generated', {
    file: basename(file), path: file, sha256, pages, bytes, generatedAt, auditHeadHash: data.audit.headHash, auditOk: data.audit.ok,
    auditEntries: data.audit.entries, auditProblem: data.audit.problem, keyFingerprint: data.audit.keyFingerprint ?? null,
    // One digest over every result set the report was generated from (each set's own digest is
    // in the entry that wrote it): ties the report to exactly those rows.
    resultsDigest: resultsStateDigest(c.store.db),
    integrity: integrityCounts(data),
  }));
  return { file, sha256, pages, generatedAt };
}

function integrityCounts(d: ReportData): Record<string, number | string[]> {
  const out: Record<string, number | string[]> = { verified: 0, changed: 0, missing: 0, notRegistered: 0 };
  for (const e of d.evidence) {
    const k = e.integrity === 'not-registered' ? 'notRegistered' : e.integrity;
    out[k] = (out[k] as number) + 1;
  }
  const bad = d.evidence.filter((e) => e.integrity === 'changed' || e.integrity === 'missing').map((e) => e.relPath);
  if (bad.length) out.failedPaths = bad;
  return out;
}

/** Evidence is only ever read: a report inside the evidence folder would change it. */
async function refuseEvidenceFolder(folder: string, file: string): Promise<void> {
  let dir = dirname(file);
  // The nearest existing ancestor, resolved through links.
  for (;;) {
    const real = await realpath(dir).catch(() => null);
    if (real !== null) {
      dir = real;
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (dir === folder || dir.startsWith(folder + sep)) {
    throw new DeepscanError('invalid-argument', `${file}: the report would be written inside the evidence folder ${folder}; choose a place outside it`, { file });
  }
}
