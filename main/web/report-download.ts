/**
 * Serving an exported report to the browser (`deepscan serve`): "Download" and "Open".
 *
 * - A report is named only by its id (the seq of its 'report-generated' audit entry) within a
 *   case; the engine's record gives its path and SHA-256. No path from the request is ever used.
 * - The file is read whole and hashed before a byte is sent: a file that no longer matches its
 *   recorded SHA-256 is refused with 409 'report-changed', and the bytes sent are the ones hashed.
 * - The session token never goes into a URL a tab keeps: the page asks (with its Bearer token)
 *   for a short-lived link ticket that reads this one report only, and navigates to that.
 */
import { randomBytes } from 'node:crypto';
import type { DeepscanApi } from '../../common/api.js';
import { parseArguments } from '../../common/operations.js';
import { readVerifiedReport } from '../engine/report/verified-file.js';
import { StreamRefused } from './evidence-stream.js';

/** How long a link ticket reads its report (a click, a PDF viewer's reload). */
export const TICKET_TTL_MS = 120_000;
/** Tickets kept at once; the oldest go first (a page asks for one per click). */
const MAX_TICKETS = 256;

export type Disposition = 'attachment' | 'inline';

export interface ReportDownload {
  bytes: Buffer;
  sha256: string;
  headers: Record<string, string>;
}

/** Only [A-Za-z0-9._-] reach the header (the engine's name is already so; this makes sure). */
export function safeFileName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[-.]+/, '').slice(0, 120);
  return /\.pdf$/i.test(clean) ? clean : `${clean || 'deepscan-report'}.pdf`;
}

function refusal(code: string, message: string): StreamRefused {
  const status = code === 'report-changed' ? 409
    : code === 'invalid-argument' ? 400
      : code === 'too-large' ? 413
        : code === 'report-missing' || code === 'case-missing' || code === 'not-found' ? 404 : 500;
  return new StreamRefused(status, code, message);
}

/** Validated ids, or a 400 refusal (the same schemas as the getReportFile operation). */
export function reportIds(caseId: string, reportId: string): [string, number] {
  const parsed = parseArguments('getReportFile', [caseId, Number(reportId)]);
  if (!parsed.ok) throw refusal('invalid-argument', parsed.error.message);
  return parsed.value;
}

/** Reads report `reportId` of `caseId` through the engine's record and verifies it. */
export async function loadReport(service: Pick<DeepscanApi, 'getReportFile'>, caseId: string, reportId: number, disposition: Disposition): Promise<ReportDownload> {
  const info = await service.getReportFile(caseId, reportId);
  if (!info.ok) throw refusal(info.error.code, info.error.message);
  let bytes: Buffer;
  try {
    bytes = await readVerifiedReport({ path: info.value.file, sha256: info.value.sha256 });
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    throw refusal(typeof err.code === 'string' ? err.code : 'internal', typeof err.message === 'string' ? err.message : 'The report could not be read.');
  }
  const name = safeFileName(info.value.downloadName);
  return {
    bytes,
    sha256: info.value.sha256,
    headers: {
      'Content-Type': 'application/pdf',
      'Content-Length': String(bytes.length),
      'Content-Disposition': `${disposition}; filename="${name}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Resource-Policy': 'same-origin',
      // The recorded hash the bytes were checked against, for the page and for scripts.
      'X-Deepscan-Report-Sha256': info.value.sha256,
    },
  };
}

/** Short-lived, read-one-report tickets that stand in for the session token in a link. */
export class ReportTickets {
  readonly #tickets = new Map<string, { caseId: string; reportId: number; expires: number }>();
  constructor(private readonly now: () => number = Date.now, private readonly ttl = TICKET_TTL_MS) {}

  issue(caseId: string, reportId: number): { ticket: string; expiresAt: string } {
    this.#sweep();
    while (this.#tickets.size >= MAX_TICKETS) this.#tickets.delete(this.#tickets.keys().next().value as string);
    const ticket = randomBytes(24).toString('base64url');
    const expires = this.now() + this.ttl;
    this.#tickets.set(ticket, { caseId, reportId, expires });
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** True when `ticket` was issued for exactly this report and has not expired. */
  admits(ticket: string | null, caseId: string, reportId: number): boolean {
    if (!ticket || ticket.length > 64) return false;
    const t = this.#tickets.get(ticket);
    if (!t || t.expires <= this.now()) return false;
    return t.caseId === caseId && t.reportId === reportId;
  }

  #sweep(): void {
    const now = this.now();
    for (const [k, t] of this.#tickets) if (t.expires <= now) this.#tickets.delete(k);
  }
}
