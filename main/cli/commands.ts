import { writeFile } from 'node:fs/promises';
import { formatProbability } from '../../common/format.js';
import { openCase } from '../engine/case/open-case.js';
import { assertOutsideEvidence } from '../engine/case/output-path.js';
import { analyzeCase, type AnalysisEvent } from '../engine/pipeline/analyze-case.js';
import { parseMemoryBudget } from '../engine/pipeline/model-major.js';
import { buildCaseJson, type CaseJson } from '../engine/report/case-json.js';
import { readAnchor } from '../engine/report/anchor.js';
import { checkAnchor, verifyCaseAudit } from '../engine/store/verify-audit.js';
import { parseEp, type ExecutionProviderChoice } from '../engine/classify/execution.js';
import { ensembleModels } from '../engine/classify/model-folder.js';
import { UNCARDED_LABEL } from '../engine/classify/release.js';
import { deepscanHome } from '../engine/case/workspace.js';
import { intOption, parse, UsageError } from './args.js';
import { formatTable, ProgressOutput } from './progress.js';
import { analyzeCaseQueued } from '../engine/queue/coordinator.js';
import { parseQueueUrl } from '../engine/queue/connection.js';
import { reportQueueEvent } from './worker.js';

export const HELP = {
  main: `deepscan — forensic deepfake analysis of the videos in a case folder

Usage:
  deepscan demo     (start here: analyses a demo clip, then says how to import the published weights)
  deepscan analyze <case-folder> [--frames N] [--json FILE] [--ensemble NAME] [--name NAME] [--number NO] [--examiner NAME] [--queue URL]
  deepscan info <case-folder> [--json]
  deepscan audit verify <case-folder> [--anchor FILE]... [--trust-key FINGERPRINT]...
  deepscan compare <case-folder> <suspect-path> <reference-path> [--offset N] [--at LIST]
  deepscan heatmap <case-folder> <evidence-path> --frame N --face K [--model ID]
  deepscan dataset export <root> --out <dir> [--all-faces]
  deepscan report <case-folder> --pdf FILE [--examiner NAME]
  deepscan models import <checkpoint.pth|folder>... | list [--json] | remove <id>
  deepscan serve [<case-folder>] [--port P] [--open]
  deepscan worker --queue redis://[user:password@]host:port [--tls] [--evidence-root DIR] [--concurrency N]
  deepscan <command> --help

The evidence folder is only ever read. Case data lives in $DEEPSCAN_HOME/cases/<case-id>/
(default: your per-user application data folder).`,
  analyze: `deepscan analyze <case-folder> [options]

Hashes every file in the folder (SHA-256), verifies files seen before against their
registered hash, and analyses each video and still image. Items already analysed with the
same parameters and stage versions are skipped, so an interrupted run resumes.

Options:
  --frames N        frames sampled per video (default 32, as the reference system)
  --json FILE       write the case results as JSON (see README, "JSON contract"); "-" for stdout
  --name NAME       case name (default: the folder's name)
  --number NO       case number
  --examiner NAME   examiner recorded in the audit log
  --model ID        classifier to use (repeatable; default: every installed model, see "deepscan models list")
  --ensemble NAME   the installed members of a named ensemble (dfdc-2020-winner: the DFDC
                    winner's seven released B7s; says so when some are missing)
  --no-models       detect faces only, no classifier scores
  --ep PROVIDER     execution provider for the classifiers: auto (default), cpu, cuda, webgpu
                    (auto: cuda when installed, else cpu; the one used is recorded with every score)
  --memory-budget SIZE  memory the classifier sessions may take, e.g. 3G (default: 3/4 of the free
                    memory); a larger ensemble is scored one model at a time over the stored face
                    crops after detection (same scores)
  --queue URL       analyse the items on "deepscan worker" processes through the Redis job queue at
                    redis://[user:password@]host:port (see "deepscan worker --help"); results are
                    verified and written here, each audit entry names its worker (--ep is the workers')
  --tls             connect to the queue with TLS
  -h, --help        this help

Exit status: 0 when the run finished (bad evidence files are reported, not fatal),
1 on a fatal error (e.g. the folder does not exist), 2 on a usage error, 130 when cancelled.`,
  info: `deepscan info <case-folder> [--json]

Shows the case, its evidence with hashes and status, and the audit chain's state.
Reads the case database only; it does not re-hash the evidence.`,
  audit: `deepscan audit verify <case-folder> [--anchor FILE]... [--trust-key FINGERPRINT]...

Verifies the case's audit log and every result it vouches for:
  - the hash chain (each entry's SHA-256 covers the previous entry's hash);
  - each entry's Ed25519 signature, by the public key stored with the case, and whether
    that key is this installation's (the private key is in $DEEPSCAN_HOME/keys/, never in
    the case); entries from before signing existed are reported as unsigned legacy entries;
  - every result in the database (scores, per-model values, faces, face probabilities,
    frames, reviews, difference masks, heatmaps, registered hashes) against the digest
    recorded by the audit entry that wrote it: edited, deleted and hand-inserted rows are named.

Options:
  --anchor FILE          an earlier JSON export (analyze --json, info --json) or PDF report:
                         fails when the log no longer extends the chain length and head hash
                         recorded there (entries cut from the end, or the log rewritten). Repeatable.
  --trust-key FP         also accept entries signed by this key fingerprint (64 hex digits),
                         e.g. a case brought from another installation. Repeatable.
  -h, --help             this help

Exit status 0 when everything verifies, 3 when anything does not (the first failure is
named, then the others), 1 on another error (e.g. a signing key file readable by others).`,
};

export async function cmdAnalyze(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(args, {
    frames: { type: 'string' }, json: { type: 'string' }, name: { type: 'string' }, number: { type: 'string' }, examiner: { type: 'string' },
    model: { type: 'string', multiple: true }, ensemble: { type: 'string' }, 'no-models': { type: 'boolean' }, ep: { type: 'string' }, queue: { type: 'string' }, tls: { type: 'boolean' },
    'memory-budget': { type: 'string' },
  });
  if (values.help) return help(out, HELP.analyze);
  if (positionals.length !== 1) throw new UsageError('analyze takes exactly one case folder');
  const frames = intOption(values.frames as string | undefined, '--frames', 1, 1000);
  if (values.ensemble && (values.model || values['no-models'])) throw new UsageError('--ensemble cannot be combined with --model or --no-models');
  let models = values['no-models'] ? [] : (values.model as string[] | undefined);
  if (values.ensemble) {
    const e = await ensembleModels(deepscanHome(), values.ensemble as string);
    models = e.models.map((m) => m.id);
    if (e.missing.length) process.stderr.write(`deepscan: ensemble ${values.ensemble as string} is incomplete (${e.models.length} of ${e.models.length + e.missing.length}); missing ${e.missing.join(', ')}\n`);
  }
  let ep: ExecutionProviderChoice;
  let memoryBudget: number | undefined;
  try {
    ep = parseEp(values.ep as string | undefined);
    memoryBudget = values['memory-budget'] === undefined ? undefined : parseMemoryBudget(values['memory-budget'] as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const progress = new ProgressOutput();
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.log('Cancelling: finishing the current write, no partial results are kept… (Ctrl-C again to force)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const c = await openCase({ folder: positionals[0], name: values.name as string | undefined, number: values.number as string | undefined, examiner: values.examiner as string | undefined });
  try {
    // Refused before the analysis, not after it: results are never written into the evidence.
    if (values.json && values.json !== '-') await assertOutsideEvidence(values.json as string, c.folder, '--json');
    // --queue: the items are analysed by "deepscan worker" processes; results are written here.
    const summary = values.queue
      ? await analyzeCaseQueued(c, { target: parseQueueUrl(values.queue as string, { tls: values.tls === true }), frames, models, signal: controller.signal, onEvent: (e) => reportQueueEvent(progress, e) || report(progress, e as AnalysisEvent) })
      : await analyzeCase(c, { frames, models, ep, memoryBudget, signal: controller.signal, onEvent: (e) => report(progress, e) });
    progress.clear();
    const json = buildCaseJson(c.store);
    out.write(`${summaryTable(json)}\n`);
    out.write(`\nRun ${summary.runId}: ${summary.status}. ${summary.analyzed} analysed, ${summary.rescored} re-scored, ${summary.skipped} unchanged (skipped), ${summary.unreadable} unreadable; ` +
      `${summary.ingest.registered} newly registered, ${summary.ingest.integrityFailures + summary.integrityFailed} integrity failure(s).\n`);
    out.write(`Case ${json.case.id} — audit ${json.case.audit.ok ? 'verified' : `VERIFICATION FAILED (${json.case.audit.problem})`} (${json.case.audit.entries} entries, head ${json.case.audit.headHash.slice(0, 16)}…)\n`);
    if (values.json) await writeJson(values.json as string, json, out);
    if (summary.status === 'cancelled') return 130;
    if (summary.status === 'failed') {
      process.stderr.write(`deepscan: analysis failed: ${summary.error}\n`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    c.store.close();
  }
}

export async function cmdInfo(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help) return help(out, HELP.info);
  if (positionals.length !== 1) throw new UsageError('info takes exactly one case folder');
  const c = await openCase({ folder: positionals[0], mustExist: true });
  try {
    const json = buildCaseJson(c.store);
    if (values.json) {
      out.write(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    }
    const k = json.case;
    out.write(`Case      ${k.name}${k.number ? ` (no. ${k.number})` : ''}\nCase id   ${k.id}\nExaminer  ${k.examiner ?? '—'}\nFolder    ${k.folder}\nCreated   ${k.createdAt}\n`);
    out.write(`Audit     ${k.audit.ok ? 'verified' : `VERIFICATION FAILED: ${k.audit.problem}`}, ${k.audit.entries} entries, head ${k.audit.headHash}\n`);
    out.write(`Key       ${k.audit.keyFingerprint ? `${k.audit.keyFingerprint}${k.audit.installationKey === false ? " (NOT this installation's key)" : ''}` : 'none (unsigned log)'}\n`);
    if (k.lastRun) out.write(`Last run  #${k.lastRun.id} ${k.lastRun.status}, ${k.lastRun.startedAt}, params ${JSON.stringify(k.lastRun.params)}\n`);
    out.write(`\n${summaryTable(json)}\n`);
    return 0;
  } finally {
    c.store.close();
  }
}

export async function cmdAudit(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') return help(out, HELP.audit);
  if (sub !== 'verify') throw new UsageError(`unknown audit command "${sub}" (expected "verify")`);
  const { values, positionals } = parse(rest, { anchor: { type: 'string', multiple: true }, 'trust-key': { type: 'string', multiple: true } });
  if (values.help) return help(out, HELP.audit);
  if (positionals.length !== 1) throw new UsageError('audit verify takes exactly one case folder');
  const trust = (values['trust-key'] as string[] | undefined) ?? [];
  for (const t of trust) if (!/^[0-9a-fA-F]{64}$/.test(t)) throw new UsageError(`--trust-key takes a key fingerprint of 64 hex digits (got "${t}")`);
  const anchors = await Promise.all(((values.anchor as string[] | undefined) ?? []).map((f) => readAnchor(f)));
  const c = await openCase({ folder: positionals[0], mustExist: true, readonly: true, trustKeys: trust });
  try {
    const t = performance.now();
    const v = verifyCaseAudit(c.store.db, { trustedKeyIds: c.store.keyring?.trustedKeyIds });
    const problems = [...v.problems];
    for (const a of anchors) {
      const p = checkAnchor(c.store.db, a);
      out.write(p ? '' : `Anchor ${a.source}: the log extends its ${a.entries} entries and head ${a.headHash.slice(0, 16)}…\n`);
      if (p) problems.unshift(p); // a cut or rewritten log is the first thing to say
    }
    const key = v.keyFingerprint
      ? `signed by key ${v.keyFingerprint} (${v.installationKey ? "this installation's key" : "NOT this installation's key"})`
      : 'unsigned';
    const legacy = v.legacyEntries ? `; ${v.legacyEntries} unsigned legacy entries from before signing${v.legacyResults ? `, ${v.legacyResults} result sets they wrote cannot be checked` : ''}` : '';
    const summary = `${v.entries} entries, head hash ${v.headHash}, ${key}; ${v.resultsChecked} result sets match their digests${legacy} (${(performance.now() - t).toFixed(0)} ms)`;
    if (!problems.length) {
      out.write(`Audit chain verified: ${summary}\n`);
      return 0;
    }
    out.write(`Audit verification FAILED: ${problems[0]}\n`);
    for (const p of problems.slice(1)) out.write(`  also: ${p}\n`);
    out.write(`(${summary})\n`);
    return 3;
  } finally {
    c.store.close();
  }
}

function report(p: ProgressOutput, e: AnalysisEvent): void {
  switch (e.type) {
    case 'run-started':
      p.log(`Run ${e.runId}: ${e.total} media item(s); classifiers: ${e.models.length ? `${e.models.join(', ')} on ${e.executionProvider}` : 'none (faces only)'}`);
      break;
    case 'verify-progress':
      p.update('Verifying ', e.total ? e.done / e.total : 1, `${e.done}/${e.total} ${e.path}`);
      break;
    case 'item-progress':
      p.update('Analysing ', (e.index + e.fraction) / Math.max(1, e.total), `${e.index + 1}/${e.total} ${e.stage} ${e.path}`);
      break;
    case 'item-finished':
      if (!e.skipped) p.log(`${e.status === 'analyzed' ? '✓' : '✗'} ${e.path}${e.error ? ` — ${e.error}` : e.score !== null ? ` — score ${formatProbability(e.score)}` : ''}`);
      break;
    default:
      break;
  }
}

function summaryTable(json: CaseJson): string {
  const rows = json.evidence.map((e) => [
    e.path, e.kind, e.status, e.sha256 ? e.sha256.slice(0, 12) : '—', e.frameCount === null ? '—' : String(e.frameCount),
    e.width ? `${e.width}×${e.height}` : '—', String(e.frames.length), String(e.frames.reduce((n, f) => n + f.faces.length, 0)),
    formatProbability(e.score), e.seedScore === null ? '—' : `${formatProbability(e.seedScore)} (${e.seedFaces})`,
    e.error ? oneLine(e.error, 70) : e.scoreNote ? oneLine(e.scoreNote, 70) : '',
  ]);
  const table = formatTable(['Evidence', 'Kind', 'Status', 'SHA-256', 'Frames', 'Size', 'Sampled', 'Faces', 'Score', 'Seed score (faces)', 'Note'], rows);
  // Scores of a model without the release's card must never read as a detector's (issue 12).
  const test = new Map<string, string>();
  for (const e of json.evidence) for (const [id, m] of Object.entries(e.models)) if (m.label) test.set(id, `${m.name} (${id})`);
  const warn = test.size ? `\nWARNING: ${[...test.values()].join(', ')}: ${UNCARDED_LABEL}. Import the published weights: see "Getting the published weights" in the README.` : '';
  return `${table}${warn}`;
}

function oneLine(s: string, n: number): string {
  const t = s.replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

async function writeJson(target: string, json: CaseJson, out: NodeJS.WritableStream): Promise<void> {
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (target === '-') out.write(text);
  else await writeFile(target, text);
}

function help(out: NodeJS.WritableStream, text: string): number {
  out.write(`${text}\n`);
  return 0;
}
