import { readFile } from 'node:fs/promises';
import type { AuditAnchor } from '../store/verify-audit.js';
import { DeepscanError, errorMessage } from '../util/errors.js';

/**
 * Reads the audit anchor (chain length, head hash, key fingerprint) out of an earlier export:
 * a JSON file from `analyze --json` / `info --json` (case.audit), or a PDF report (the
 * DeepscanAuditAnchor entry of its Info dictionary). Whoever holds such a file can later show
 * that the log was cut or rewritten after it was made.
 */
const ANCHOR_RE = /entries (\d+) head ([0-9a-f]{64}) key ([0-9a-f]{64}|none)/;

export async function readAnchor(file: string): Promise<AuditAnchor> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new DeepscanError('invalid-argument', `${file}: cannot read the anchor file (${errorMessage(e)})`, { file });
  }
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return pdfAnchor(file, bytes);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DeepscanError('invalid-argument', `${file}: not a Deepscan JSON export or PDF report (neither JSON nor PDF)`, { file });
  }
  const a = (json as { case?: { audit?: { entries?: unknown; headHash?: unknown; keyFingerprint?: unknown } } }).case?.audit;
  if (!a || typeof a.entries !== 'number' || !Number.isInteger(a.entries) || a.entries < 0 || typeof a.headHash !== 'string' || !/^[0-9a-f]{64}$/.test(a.headHash)) {
    throw new DeepscanError('invalid-argument', `${file}: the JSON has no case.audit entries and headHash (not a Deepscan export)`, { file });
  }
  return { entries: a.entries, headHash: a.headHash, keyFingerprint: typeof a.keyFingerprint === 'string' ? a.keyFingerprint : null, source: file };
}

function pdfAnchor(file: string, bytes: Buffer): AuditAnchor {
  const text = bytes.toString('latin1');
  // pdfkit puts each Info value in its own object ("/DeepscanAuditAnchor 14 0 R" … "14 0 obj (…)"),
  // an ASCII string as a literal "(…)", a non-ASCII one as UTF-16BE hex "<FEFF…>".
  const ref = /\/DeepscanAuditAnchor\s+(\d+)\s+(\d+)\s+R/.exec(text);
  const STRING = String.raw`\s*(?:\(([^)]*)\)|<([0-9A-Fa-f\s]*)>)`;
  const m = ref
    ? new RegExp(String.raw`(?:^|[\r\n])${ref[1]}\s+${ref[2]}\s+obj${STRING}`).exec(text)
    : new RegExp(String.raw`\/DeepscanAuditAnchor${STRING}`).exec(text);
  let value: string | null = null;
  if (m?.[1] !== undefined) value = m[1];
  else if (m?.[2] !== undefined) {
    const hex = Buffer.from(m[2].replace(/\s+/g, ''), 'hex');
    const swapped = Buffer.alloc(hex.length);
    for (let i = 0; i + 1 < hex.length; i += 2) [swapped[i], swapped[i + 1]] = [hex[i + 1], hex[i]];
    value = swapped.toString('utf16le').replace(/^\ufeff/, '');
  }
  const a = value !== null ? ANCHOR_RE.exec(value) : null;
  if (!a) throw new DeepscanError('invalid-argument', `${file}: this PDF holds no Deepscan audit anchor (a report from before anchors, or not a Deepscan report)`, { file });
  return { entries: Number(a[1]), headHash: a[2], keyFingerprint: a[3] === 'none' ? null : a[3], source: file };
}
