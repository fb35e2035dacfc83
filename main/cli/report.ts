import { openCase } from '../engine/case/open-case.js';
import { assertOutsideEvidence } from '../engine/case/output-path.js';
import { generateCaseReport } from '../engine/report/pdf/index.js';
import { readAudit } from '../engine/store/audit.js';
import { parse, UsageError } from './args.js';

export const REPORT_HELP = `deepscan report <case-folder> --pdf FILE [--examiner NAME]

Writes the case report as a PDF: the case, every evidence file with its SHA-256 re-verified
now, the method and every parameter of the analysis, each video's scores, per-frame chart,
flagged faces and the examiner's decisions, the limitations, and the audit chain's state.
The report's own SHA-256 is then recorded in the case's audit log ("report-generated").
The file must lie outside the evidence folder.

Options:
  --pdf FILE        where to write the report
  --examiner NAME   who prepares the report (printed, and recorded in the audit log);
                    default: the case's examiner
  -h, --help        this help`;

export async function cmdReport(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(args, { pdf: { type: 'string' }, examiner: { type: 'string' } });
  if (values.help) {
    out.write(`${REPORT_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('report takes exactly one case folder');
  if (!values.pdf) throw new UsageError('report needs --pdf FILE (the report to write)');
  // The report's audit entry is written by whoever prepares it.
  const c = await openCase({ folder: positionals[0], mustExist: true, actor: (values.examiner as string | undefined)?.trim() || undefined });
  try {
    await assertOutsideEvidence(values.pdf as string, c.folder, '--pdf');
    const r = await generateCaseReport(c, { outFile: values.pdf as string, examiner: values.examiner as string | undefined });
    const entry = readAudit(c.store.db).pop();
    out.write(`Report written: ${r.file}\n  ${r.pages} pages, SHA-256 ${r.sha256}\n  recorded in the audit log as entry ${entry?.seq} (report-generated), generated ${r.generatedAt}\n`);
    const details = entry?.details as { integrity?: { changed?: number; missing?: number } } | undefined;
    const bad = (details?.integrity?.changed ?? 0) + (details?.integrity?.missing ?? 0);
    if (bad) process.stderr.write(`deepscan: warning: ${bad} evidence file(s) no longer match their registered hash; the report says which\n`);
    return 0;
  } finally {
    c.store.close();
  }
}
