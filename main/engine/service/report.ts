import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportResult } from '../../../common/api.js';
import type { OpenedCase } from '../case/open-case.js';
import { generateCaseReport } from '../report/pdf/index.js';

/**
 * "Export report" from the UI: the PDF goes into the case workspace's reports folder (never
 * the evidence folder), named by the generation time, and its SHA-256 into the audit log.
 */
export async function exportCaseReport(c: OpenedCase, examiner?: string): Promise<ReportResult> {
  const dir = join(c.workspace, 'reports');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const r = await generateCaseReport(c, { outFile: join(dir, `deepscan-report-${c.info.id}-${stamp}.pdf`), examiner });
  return { file: r.file, sha256: r.sha256, pages: r.pages, generatedAt: r.generatedAt };
}
