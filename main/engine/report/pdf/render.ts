import PDFDocument from 'pdfkit';
import { colormapCss } from '../../../../common/colormap.js';
import { colouredMask, comparisonSection } from './comparison.js';
import { faceLabel, formatEnergy, formatProbability, personLabel } from '../../../../common/format.js';
import { BAND_LIMITS, BAND_WORDS, STANDING_NOTE, verdictBand, type VerdictBand } from '../../../../common/verdict.js';
import { UNCARDED_LABEL, type ModelCard } from '../../classify/release.js';
import { CONFIDENT_THRESHOLD, MIN_CONFIDENT_FAKES, REAL_THRESHOLD } from '../../classify/strategy.js';
import { PIPELINE_STAGES } from '../../pipeline/stages.js';
import { SCHEMA_VERSION } from '../../store/migrations.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { FLAG_THRESHOLD, MAX_FLAGGED_PER_VIDEO, type ReportData, type ReportEvidence, type ReportFace, type ReportVideo } from './data.js';
import { winAnsiSafe, type ReportFonts } from './fonts.js';

/**
 * Lays a case report out as a PDF (A4, pdfkit, vector drawing only). Pure function of its
 * input: no clock, no randomness. pdfkit's document ID is an MD5 of the info dictionary,
 * which holds only the case and the one generation timestamp, so the same data gives the
 * same bytes.
 */

/** Scores are printed as everywhere else (common/format.ts: same precision and rounding as the UI and CLI). */
export function formatScore(v: number | null): string {
  return formatProbability(v);
}

/** ISO-8601 → "2026-11-24 21:40:12 UTC". */
export function formatTime(iso: string | Date | null): string {
  if (iso === null) return '—';
  const s = typeof iso === 'string' ? iso : iso.toISOString();
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(s);
  return m ? `${m[1]} ${m[2]} UTC` : s;
}

function formatBytes(n: number | null): string {
  if (n === null) return '—';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const A4: [number, number] = [595.28, 841.89];
const M = { top: 62, bottom: 58, left: 54, right: 54 };
const W = A4[0] - M.left - M.right;

const INK = '#1a1a1a';
const GREY = '#5f6368';
const RULE = '#b8bcc2';
const SHADE = '#f1f3f5';
const ACCENT = '#1f3a5f';

const BAND_COLOURS: Record<VerdictBand, string> = {
  none: '#2e6b3a', weak: '#8a6d00', moderate: '#b35c00', strong: '#b02a1a', 'very-strong': '#7d0f0f', 'not-scored': '#5f6368',
};

type FontKind = 'R' | 'B' | 'I' | 'M';

interface Cell {
  text: string;
  font?: FontKind;
  color?: string;
  size?: number;
  /** A second part set below the first in its own font (e.g. a path, then its hash). */
  sub?: Cell;
}

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  font?: FontKind;
}

export interface RenderedReport {
  bytes: Buffer;
  pages: number;
}

/** Renders into memory (tests, small cases). */
export async function renderCaseReport(data: ReportData, fonts: ReportFonts): Promise<RenderedReport> {
  const chunks: Buffer[] = [];
  const pages = await renderCaseReportTo(data, fonts, (c) => chunks.push(c));
  return { bytes: Buffer.concat(chunks), pages };
}

/**
 * Renders the report, handing each chunk of the PDF to `sink` as pdfkit produces it (images
 * are written out as soon as they are placed), and resolves with the page count.
 */
export function renderCaseReportTo(data: ReportData, fonts: ReportFonts, sink: (chunk: Buffer) => void): Promise<number> {
  const title = `Deepscan case report — ${data.case.name}`;
  const doc = new PDFDocument({
    size: A4, margins: M, bufferPages: true, compress: true, pdfVersion: '1.7', lang: 'en-GB', displayTitle: true,
    // The default font pdfkit opens before any text: ours, so no unused Helvetica is referenced.
    font: fonts.regular as string,
    info: {
      Title: fonts.embedded ? title : winAnsiSafe(title),
      Author: fonts.embedded ? data.preparedBy : winAnsiSafe(data.preparedBy),
      Subject: `Forensic video analysis, case ${data.case.id}`,
      Keywords: `deepscan; case ${data.case.id}`,
      Creator: `Deepscan ${data.softwareVersion}`,
      Producer: `Deepscan ${data.softwareVersion} (PDFKit)`,
      CreationDate: data.generatedAt,
      ModDate: data.generatedAt,
      // Machine-readable (ASCII, so pdfkit writes it as a plain literal string in the uncompressed
      // Info dictionary): `deepscan audit verify --anchor report.pdf` reads it back.
      DeepscanAuditAnchor: auditAnchorText(data),
    } as PDFKit.DocumentInfo,
  });
  const done = new Promise<void>((resolve, reject) => {
    doc.on('data', sink);
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  doc.registerFont('R', fonts.regular as string);
  doc.registerFont('B', fonts.bold as string);
  doc.registerFont('I', fonts.italic as string);
  doc.registerFont('M', fonts.mono as string);
  const w = new Writer(doc, fonts);
  coverPage(w, data);
  evidenceSection(w, data);
  methodologySection(w, data);
  for (const [i, v] of data.videos.entries()) videoSection(w, data, v, i + 1);
  limitationsSection(w, data);
  auditSection(w, data);
  contents(w, data);
  w.pageFurniture(data);
  doc.end();
  return done.then(() => w.pages);
}

class Writer {
  pages = 0;
  /** Section headings with the (0-based) page they start on, for the contents list. */
  readonly marks: { title: string; page: number }[] = [];
  /** Where the cover reserved room for the contents list. */
  tocAt: number | null = null;
  readonly bottom = A4[1] - M.bottom;

  constructor(readonly doc: PDFKit.PDFDocument, readonly fonts: ReportFonts) {}

  t(s: string): string {
    return this.fonts.embedded ? s.normalize('NFC') : winAnsiSafe(s);
  }

  get y(): number {
    return this.doc.y;
  }

  set y(v: number) {
    this.doc.y = v;
  }

  font(kind: FontKind, size: number, color = INK): this {
    this.doc.font(kind).fontSize(size).fillColor(color);
    return this;
  }

  newPage(): void {
    this.doc.addPage();
    this.y = M.top;
  }

  ensure(h: number): void {
    if (this.y + h > this.bottom) this.newPage();
  }

  space(h: number): void {
    this.y = Math.min(this.y + h, this.bottom);
  }

  /** Section title with a rule; starts a new page when fewer than `keep` points are left. */
  heading(text: string, keep = 120): void {
    this.ensure(keep);
    if (this.y > M.top + 1) this.space(10);
    this.font('B', 14, ACCENT);
    this.marks.push({ title: text, page: this.doc.bufferedPageRange().count - 1 });
    this.doc.text(this.t(text), M.left, this.y, { width: W });
    const y = this.y + 2;
    this.doc.moveTo(M.left, y).lineTo(M.left + W, y).lineWidth(0.8).strokeColor(ACCENT).stroke();
    this.y = y + 8;
  }

  sub(text: string, keep = 80): void {
    this.ensure(keep);
    this.space(4);
    this.font('B', 10.5, INK);
    this.doc.text(this.t(text), M.left, this.y, { width: W });
    this.space(3);
  }

  para(text: string, opts: { font?: FontKind; size?: number; color?: string; x?: number; width?: number; gap?: number } = {}): void {
    const size = opts.size ?? 9;
    this.font(opts.font ?? 'R', size, opts.color ?? INK);
    this.ensure(size * 2.4);
    this.doc.text(this.t(text), opts.x ?? M.left, this.y, { width: opts.width ?? W, lineGap: 1.5 });
    this.space(opts.gap ?? 5);
  }

  /** Label/value pairs in two columns; values may be monospaced (hashes). */
  kv(rows: [string, string | Cell][], labelWidth = 130, size = 8.5): void {
    for (const [label, value] of rows) {
      const cell: Cell = typeof value === 'string' ? { text: value } : value;
      const vs = cell.size ?? (cell.font === 'M' ? size - 0.8 : size);
      this.font(cell.font ?? 'R', vs);
      const vh = this.doc.heightOfString(this.t(cell.text || '—'), { width: W - labelWidth });
      this.font('B', size, GREY);
      const lh = this.doc.heightOfString(this.t(label), { width: labelWidth - 8 });
      const h = Math.max(vh, lh) + 3;
      this.ensure(h);
      const y = this.y;
      this.doc.text(this.t(label), M.left, y, { width: labelWidth - 8 });
      this.font(cell.font ?? 'R', vs, cell.color ?? INK);
      this.doc.text(this.t(cell.text || '—'), M.left + labelWidth, y, { width: W - labelWidth });
      this.y = y + h;
    }
    this.space(4);
  }

  /** A table that breaks across pages, repeating its header row. */
  table(columns: Column[], rows: (string | Cell)[][], opts: { size?: number; zebra?: boolean } = {}): void {
    const size = opts.size ?? 8;
    const padX = 3;
    const padY = 2.5;
    const header = () => {
      this.font('B', size - 0.5, INK);
      const h = Math.max(...columns.map((c) => this.doc.heightOfString(this.t(c.title), { width: c.width - 2 * padX }))) + 2 * padY;
      const y = this.y;
      this.doc.rect(M.left, y, W, h).fill(SHADE);
      this.font('B', size - 0.5, INK);
      let x = M.left;
      for (const c of columns) {
        this.doc.text(this.t(c.title), x + padX, y + padY, { width: c.width - 2 * padX, align: c.align ?? 'left' });
        x += c.width;
      }
      this.doc.moveTo(M.left, y + h).lineTo(M.left + W, y + h).lineWidth(0.6).strokeColor(RULE).stroke();
      this.y = y + h;
    };
    this.ensure(size * 5);
    header();
    rows.forEach((row, i) => {
      const cells = row.map((c, j): Cell & { font: FontKind } => {
        const cell = typeof c === 'string' ? { text: c } : c;
        return { ...cell, font: cell.font ?? columns[j].font ?? 'R' };
      });
      const cellHeight = (c: Cell, width: number): number => {
        const f = c.font ?? 'R';
        this.font(f, c.size ?? (f === 'M' ? size - 0.6 : size));
        return this.doc.heightOfString(this.t(c.text || ' '), { width }) + (c.sub ? 1 + cellHeight(c.sub, width) : 0);
      };
      const heights = cells.map((c, j) => cellHeight(c, columns[j].width - 2 * padX));
      const h = Math.max(...heights) + 2 * padY;
      if (this.y + h > this.bottom) {
        this.newPage();
        header();
      }
      const y = this.y;
      if (opts.zebra !== false && i % 2 === 1) this.doc.rect(M.left, y, W, h).fill('#fafbfc');
      let x = M.left;
      cells.forEach((c, j) => {
        let part: Cell | undefined = c;
        let py = y + padY;
        while (part) {
          const f = part.font ?? 'R';
          this.font(f, part.size ?? (f === 'M' ? size - 0.6 : size), part.color ?? INK);
          this.doc.text(this.t(part.text || ''), x + padX, py, { width: columns[j].width - 2 * padX, align: columns[j].align ?? 'left' });
          py = this.y + 1;
          part = part.sub;
        }
        x += columns[j].width;
      });
      this.doc.moveTo(M.left, y + h).lineTo(M.left + W, y + h).lineWidth(0.3).strokeColor('#dde0e4').stroke();
      this.y = y + h;
    });
    this.space(8);
  }

  /** A shaded box around a paragraph (notes that must not be missed). */
  box(text: string, opts: { title?: string; color?: string; size?: number } = {}): void {
    const size = opts.size ?? 8.5;
    const inner = W - 16;
    this.font('R', size);
    let h = this.doc.heightOfString(this.t(text), { width: inner, lineGap: 1.5 }) + 12;
    if (opts.title) {
      this.font('B', size);
      h += this.doc.heightOfString(this.t(opts.title), { width: inner }) + 3;
    }
    this.ensure(h);
    const y = this.y;
    this.doc.rect(M.left, y, W, h).fill('#f6f7f9');
    this.doc.rect(M.left, y, 3, h).fill(opts.color ?? ACCENT);
    let ty = y + 6;
    if (opts.title) {
      this.font('B', size, opts.color ?? ACCENT);
      this.doc.text(this.t(opts.title), M.left + 10, ty, { width: inner });
      ty = this.y + 3;
    }
    this.font('R', size, INK);
    this.doc.text(this.t(text), M.left + 10, ty, { width: inner, lineGap: 1.5 });
    this.y = y + h + 8;
  }

  /** Running header, footer with the case id, and "Page X of Y" on every page. */
  pageFurniture(data: ReportData): void {
    const range = this.doc.bufferedPageRange();
    this.pages = range.count;
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      const page = this.doc.page;
      const saved = page.margins.bottom;
      page.margins.bottom = 0; // writing in the margin must not start a new page
      if (i > range.start) {
        this.font('R', 7.5, GREY);
        this.doc.text(this.t(`Deepscan forensic video analysis report · ${data.case.name}${data.case.number ? ` · no. ${data.case.number}` : ''}`), M.left, 32, { width: W * 0.75, lineBreak: false, ellipsis: true });
        this.doc.text(this.t(formatTime(data.generatedAt)), M.left + W * 0.75, 32, { width: W * 0.25, align: 'right', lineBreak: false });
        this.doc.moveTo(M.left, 44).lineTo(M.left + W, 44).lineWidth(0.4).strokeColor(RULE).stroke();
      }
      const fy = A4[1] - 38;
      this.doc.moveTo(M.left, fy - 6).lineTo(M.left + W, fy - 6).lineWidth(0.4).strokeColor(RULE).stroke();
      this.font('R', 7.5, GREY);
      this.doc.text(this.t(`Case ${data.case.id} · generated ${formatTime(data.generatedAt)} · Deepscan ${data.softwareVersion}`), M.left, fy, { width: W * 0.7, lineBreak: false });
      this.font('B', 7.5, INK);
      this.doc.text(`Page ${i - range.start + 1} of ${range.count}`, M.left + W * 0.7, fy, { width: W * 0.3, align: 'right', lineBreak: false });
      page.margins.bottom = saved;
    }
  }
}

// ---------------------------------------------------------------- sections

function coverPage(w: Writer, d: ReportData): void {
  const doc = w.doc;
  w.y = M.top - 10;
  w.font('B', 8.5, GREY);
  doc.text(w.t('FORENSIC VIDEO ANALYSIS REPORT · DEEPFAKE INDICATIONS'), M.left, w.y, { width: W, characterSpacing: 1.2 });
  w.space(6);
  w.font('B', 22, ACCENT);
  doc.text(w.t(d.case.name), M.left, w.y, { width: W });
  w.font('R', 11, GREY);
  doc.text(w.t(d.case.number ? `Case number ${d.case.number}` : 'No case number recorded'), M.left, w.y + 2, { width: W });
  w.space(8);
  doc.moveTo(M.left, w.y).lineTo(M.left + W, w.y).lineWidth(1.2).strokeColor(ACCENT).stroke();
  w.space(10);
  const lastAnalysis = d.videos.map((v) => v.analysis.completedAt).sort().pop() ?? null;
  w.kv([
    ['Case name', d.case.name],
    ['Case number', d.case.number ?? '—'],
    ['Case id', { text: d.case.id, font: 'M' }],
    ['Examiner (case)', d.case.examiner ?? '—'],
    ['Report prepared by', d.preparedBy],
    ['Case opened', formatTime(d.case.createdAt)],
    ['Latest analysis', formatTime(lastAnalysis)],
    ['Report generated', formatTime(d.generatedAt)],
    ['Software', `Deepscan ${d.softwareVersion} (case created with ${d.case.createdByVersion}; case database schema ${SCHEMA_VERSION})`],
    ['Evidence folder', d.evidenceFolder],
    ['Evidence items', summaryCounts(d)],
    ['Audit chain', auditStatusCell(d, `verified at generation (${d.audit.entries} entries${d.audit.resultsChecked !== undefined ? `; signatures and ${d.audit.resultsChecked} result digests checked` : ''})`)],
    ['Audit head hash', { text: d.audit.headHash, font: 'M' }],
    ['Signing key', signingKeyCell(d)],
  ]);
  const tocEntries = 5 + (d.videos.length && d.videos.length <= MAX_TOC_VIDEOS ? d.videos.length + 1 : 0);
  w.sub('Contents');
  const tocY = w.y;
  w.y = tocY + tocEntries * 12 + 6;
  w.sub('Summary of results');
  if (!d.videos.length) w.para('No item of this case has been analysed.', { font: 'I' });
  else {
    w.table(
      [{ title: 'Evidence', width: W - 356 }, { title: 'Indication', width: 192 }, { title: 'Score', width: 42, align: 'right' }, { title: 'Faces', width: 32, align: 'right' },
        { title: `≥ ${FLAG_THRESHOLD}`, width: 40, align: 'right' }, { title: 'Reviewed', width: 50, align: 'right' }],
      d.videos.map((v) => {
        const band = verdictBand(v.score);
        return [v.relPath, { text: BAND_WORDS[band], color: BAND_COLOURS[band], font: 'B' }, formatScore(v.score), String(v.analysis.faceCount), String(v.flaggedTotal), String(v.reviews.length)];
      }),
    );
  }
  if (d.failed.length) w.para(`${d.failed.length} item(s) could not be analysed; see “Evidence”.`, { font: 'I' });
  const changed = d.evidence.filter((e) => e.integrity === 'changed' || e.integrity === 'missing');
  if (changed.length) w.box(`${changed.length} evidence file(s) no longer match their registered SHA-256 (changed or missing) at the time of this report: ${changed.map((e) => e.relPath).join(', ')}.`, { title: 'Integrity warning', color: BAND_COLOURS.strong });
  w.box(STANDING_NOTE, { title: 'How to read this report' });
  w.tocAt = tocY;
}

const MAX_TOC_VIDEOS = 12;

/** The contents list on the cover, drawn once every section's page is known. */
function contents(w: Writer, d: ReportData): void {
  if (w.tocAt === null) return;
  w.doc.switchToPage(w.doc.bufferedPageRange().start);
  const many = d.videos.length > MAX_TOC_VIDEOS;
  let y = w.tocAt;
  let resultsShown = false;
  for (const m of w.marks) {
    const isResult = m.title.startsWith('3.');
    if (isResult && many) {
      if (resultsShown) continue;
      resultsShown = true;
    }
    if (isResult && !many && !resultsShown) {
      resultsShown = true;
      w.font('B', 8.5, INK);
      w.doc.text('3. Results', M.left, y, { width: W - 60, lineBreak: false });
      w.font('R', 8.5, GREY);
      w.doc.text(String(m.page + 1), M.left + W - 50, y, { width: 50, align: 'right', lineBreak: false });
      y += 12;
    }
    const title = isResult && many ? `3. Results (${d.videos.length} items, one section each)` : m.title;
    const indent = isResult && !many ? 12 : 0;
    w.font(isResult && !many ? 'R' : 'B', 8.5, INK);
    w.doc.text(w.t(title), M.left + indent, y, { width: W - 60 - indent, lineBreak: false, ellipsis: true });
    w.font('R', 8.5, GREY);
    w.doc.text(String(m.page + 1), M.left + W - 50, y, { width: 50, align: 'right', lineBreak: false });
    y += 12;
  }
}

function summaryCounts(d: ReportData): string {
  const n = d.evidence.length;
  const by = (k: ReportEvidence['integrity']) => d.evidence.filter((e) => e.integrity === k).length;
  return `${n} file(s): ${d.videos.length} analysed, ${d.failed.length} failed; integrity re-verified now: ${by('verified')} verified, ${by('changed')} changed, ${by('missing')} missing, ${by('not-registered')} never hashed`;
}

const INTEGRITY_WORDS: Record<ReportEvidence['integrity'], string> = { verified: 'verified', changed: 'CHANGED', missing: 'MISSING', 'not-registered': 'not hashed' };

function evidenceSection(w: Writer, d: ReportData): void {
  w.newPage();
  w.heading('1. Evidence');
  w.para('Every file below the case folder was registered with its SHA-256 when first seen; evidence is only ever read. For this report each registered file was hashed again ' +
    'and compared with its registered hash: “verified” means the bytes are unchanged, “CHANGED” that they differ (or the file is no longer a readable regular file), “MISSING” that it is gone.');
  w.table(
    [{ title: '#', width: 24, align: 'right' }, { title: 'Path (relative to the case folder) / SHA-256 as registered', width: 283 }, { title: 'Size (bytes)', width: 62, align: 'right' },
      { title: 'Kind / status', width: 68 }, { title: 'Integrity now', width: W - 437 }],
    d.evidence.map((e, i) => [
      String(i + 1),
      { text: e.relPath, sub: e.sha256 ? { text: e.sha256, font: 'M', size: 7, color: '#333333' } : { text: 'no hash registered', font: 'I', color: GREY } },
      formatBytes(e.size),
      `${e.kind}\n${e.status}`,
      { text: INTEGRITY_WORDS[e.integrity] + (e.integrityDetail && e.integrity !== 'not-registered' ? `\n${e.integrityDetail}` : ''), font: e.integrity === 'verified' ? 'R' : 'B', color: e.integrity === 'verified' ? BAND_COLOURS.none : e.integrity === 'not-registered' ? GREY : BAND_COLOURS.strong },
    ]),
    { size: 7.5 },
  );
  if (d.failed.length) {
    w.sub('Items that could not be analysed');
    w.table([{ title: 'Path', width: 200 }, { title: 'Cause', width: W - 200 }], d.failed.map((f) => [f.relPath, f.error ?? 'unknown']));
  }
  const errors = d.evidence.filter((e) => e.error && e.status !== 'analyzed' && !d.failed.some((f) => f.relPath === e.relPath));
  if (errors.length) {
    w.sub('Notes on other items');
    w.table([{ title: 'Path', width: 200 }, { title: 'Note', width: W - 200 }], errors.map((e) => [e.relPath, e.error ?? '']));
  }
}

function methodologySection(w: Writer, d: ReportData): void {
  w.heading('2. Method', 200);
  w.para('Deepscan reproduces the inference pipeline of the winning solution of the Deepfake Detection Challenge (DFDC, 2020). Each video passes through the stages below; ' +
    'each stage has a version that is stored with every result, so the results of this case can be traced to the exact processing that produced them.');
  w.table([{ title: 'Stage', width: 60 }, { title: 'Version', width: 40, align: 'right' }, { title: 'What it does', width: W - 100 }],
    PIPELINE_STAGES.map((s) => [{ text: s.id, font: 'B' }, String(s.version), s.description]));
  const current = Object.fromEntries(PIPELINE_STAGES.map((st) => [st.id, st.version]));
  const older = d.runs.filter((r) => Object.entries(r.stageVersions).some(([k, v]) => current[k] !== undefined && current[k] !== v));
  if (older.length) {
    w.box(`Results in this case were produced by run(s) ${older.map((r) => r.id).join(', ')} with stage versions other than those above (see each run's stage versions below); ` +
      'the descriptions above are those of this software version.', { title: 'Stage versions differ', color: BAND_COLOURS.weak });
  }
  w.sub('Aggregation rule (per model, then across models)');
  w.para(`For each model, all face probabilities of a video (all sampled frames pooled) are reduced by the reference's confident strategy: if more than ${MIN_CONFIDENT_FAKES} faces, and more than 40 % of them ` +
    `(n // 2.5), score above ${CONFIDENT_THRESHOLD}, the value is the mean of those faces (“confident-fake”); otherwise, if more than 90 % of the faces score below ${REAL_THRESHOLD}, the mean of those (“confident-real”); ` +
    'otherwise the mean of all faces (“mean”). The video’s ensemble score is the plain mean of the models’ values. A person’s (track’s) score is the same rule applied to that person’s faces only. ' +
    `The verdict wording bands the ensemble score: below ${BAND_LIMITS.weak} “${BAND_WORDS.none}”, from ${BAND_LIMITS.weak} “${BAND_WORDS.weak}”, from ${BAND_LIMITS.moderate} “${BAND_WORDS.moderate}”, ` +
    `from ${BAND_LIMITS.strong} “${BAND_WORDS.strong}”, from ${BAND_LIMITS.veryStrong} “${BAND_WORDS['very-strong']}”. The bands are reporting conventions, not calibrated probabilities.`);
  for (const r of d.runs) {
    const p = (r.params ?? {}) as { frames?: number; models?: string[]; modelOnnxSha256?: Record<string, string>; detector?: { name?: string; nets?: Record<string, string>; thresholds?: number[]; minFaceSize?: number; factor?: number; downscale?: string; executionProvider?: string } };
    w.sub(`Analysis run ${r.id}`, 160);
    const det = p.detector;
    const rows: [string, string | { text: string; font?: FontKind }][] = [
      ['Status', `${r.status}${r.error ? ` (${r.error})` : ''}`],
      ['Started / ended', `${formatTime(r.startedAt)} / ${formatTime(r.endedAt)}`],
      ['Software', `Deepscan ${r.softwareVersion} on host ${r.host}`],
      ['Stage versions', Object.entries(r.stageVersions).map(([k, v]) => `${k} ${v}`).join(', ')],
      ['Frames per video', p.frames === undefined ? '—' : String(p.frames)],
      ['Classifier execution', r.executionProvider ?? 'no classifier run'],
    ];
    if (det) {
      rows.push(['Face detector', `${det.name ?? '?'}; thresholds ${JSON.stringify(det.thresholds ?? null)}, minimum face ${det.minFaceSize ?? '?'} px, scale factor ${det.factor ?? '?'}, input ${det.downscale ?? '?'}, execution ${det.executionProvider ?? '?'}`]);
      for (const [net, sha] of Object.entries(det.nets ?? {})) rows.push([`  ${net} SHA-256`, { text: sha, font: 'M' }]);
    }
    for (const id of p.models ?? []) rows.push([`Model ${id}`, { text: `ONNX SHA-256 ${p.modelOnnxSha256?.[id] ?? '?'}`, font: 'M' }]);
    w.kv(rows, 120);
    const json = canonicalJson(r.params);
    w.font('M', 6.5);
    const jh = w.doc.heightOfString(json, { width: W, lineGap: 1.5 });
    if (jh < A4[1] - M.top - M.bottom - 40) w.ensure(jh + 20);
    w.para('Full parameter record of this run (canonical JSON, as stored):', { size: 7.5, color: GREY, gap: 2 });
    w.para(json, { font: 'M', size: 6.5, color: GREY });
  }
  w.sub('Classifier models', 140);
  if (!d.models.length) w.para('No classifier model produced a score in this case.', { font: 'I' });
  for (const m of d.models) {
    w.kv([
      ['Model', { text: m.name, font: 'B' }],
      ['Model id', { text: m.id, font: 'M' }],
      ['Architecture', `${m.architecture}${m.parameters ? `, ${(m.parameters / 1e6).toFixed(2)} M parameters` : ''}${m.inputSize ? `, input ${m.inputSize}×${m.inputSize}` : ''}`],
      ['ONNX SHA-256', { text: m.onnxSha256, font: 'M' }],
      ...m.sources.map((s): [string, { text: string; font: FontKind }] => [`Source (${s.format})`, { text: `${s.fileName}\nSHA-256 ${s.sha256}`, font: 'M' }]),
      ['First used in this case', formatTime(m.firstUsedAt)],
      ...cardRows(m.card ?? null),
    ], 120);
  }
  w.para(`Text in this report is set in ${w.fonts.description}.`, { size: 7.5, color: GREY });
}

const BRANCH_WORDS: Record<string, (faces: number) => string> = {
  'confident-fake': (n) => `Confident-fake rule fired: more than ${MIN_CONFIDENT_FAKES} of the ${n} faces, and more than ${Math.floor(n / 2.5)} (40 %), scored above ${CONFIDENT_THRESHOLD}; the value is the mean of those faces only.`,
  'confident-real': (n) => `Confident-real rule fired: more than 90 % of the ${n} faces scored below ${REAL_THRESHOLD}; the value is the mean of those faces only.`,
  mean: (n) => `Neither confident rule applied; the value is the mean over all ${n} faces.`,
};

export function branchWords(branch: string | null, faces: number): string {
  if (!branch) return 'not scored';
  return BRANCH_WORDS[branch]?.(faces) ?? branch;
}

function videoSection(w: Writer, d: ReportData, v: ReportVideo, n: number): void {
  w.newPage();
  w.heading(`3.${n} Results: ${v.relPath}`);
  const m = v.media;
  w.kv([
    ['SHA-256 (registered)', { text: v.sha256 ?? '—', font: 'M' }],
    ['Media', [m.container, m.codec, m.width && m.height ? `${m.width}×${m.height}` : null, m.fps ? `${+m.fps.toFixed(3)} fps` : null,
      m.durationSec !== null ? `${m.durationSec.toFixed(2)} s` : null, m.frameCount !== null ? `${m.frameCount} frames` : null, m.rotation ? `rotated ${m.rotation}°` : null].filter(Boolean).join(' · ') || '—'],
    ['Analysis', `run ${v.analysis.runId}, completed ${formatTime(v.analysis.completedAt)}; ${v.analysis.sampledFrames} frames sampled, ${v.analysis.faceCount} faces; classifiers on ${v.analysis.executionProvider ?? '—'}`],
    // Incomplete or damaged media: the score rests on fewer or damaged frames than the file claims.
    ['Warnings', v.warnings.length ? { text: v.warnings.map((x) => x.message).join('\n'), color: BAND_COLOURS.moderate } : 'none'],
  ], 110);
  verdictBox(w, v);
  seedLine(w, v);
  if (v.models.length) {
    w.sub('Per-model values');
    w.table([{ title: 'Model', width: 120 }, { title: 'Value', width: 46, align: 'right' }, { title: 'Faces', width: 34, align: 'right' }, { title: 'Rule applied (strategy branch)', width: W - 200 }],
      v.models.map((x) => [{ text: `${x.name}\n${x.id}`, size: 7.5 }, formatScore(x.value), String(x.faces), { text: `${x.branch ?? '—'}: ${branchWords(x.branch, x.faces)}`, size: 7.5 }]));
  }
  if (v.tracks.length) {
    w.sub('Per person (face track)');
    w.table([{ title: 'Person', width: 50, align: 'right' }, { title: 'Score', width: 50, align: 'right' }, { title: 'Indication', width: 170 }, { title: 'Faces', width: 40, align: 'right' }, { title: 'Frames (indices)', width: W - 310 }],
      v.tracks.map((t) => {
        const band = verdictBand(t.score);
        return [personLabel(t.id), formatScore(t.score), { text: BAND_WORDS[band], color: BAND_COLOURS[band] }, String(t.faces), { text: compactRanges(t.frames), size: 7 }];
      }));
  }
  reviewsTable(w, v);
  chart(w, v);
  flaggedFaces(w, v);
  // Chosen by difference energy, not classifier score: a swapped person the models missed is still shown.
  comparisonSection(w, v, { left: M.left, width: W, grey: GREY, rule: RULE });
  void d;
}

/** The release's model card; a model without one is said to be a test model. */
function cardRows(card: ModelCard | null): [string, string][] {
  if (!card) return [['Model card', `none: ${UNCARDED_LABEL}`]];
  return [
    ['Model card', `${card.ensemble}, released file ${card.member.fileName} (seed ${card.member.seed}, epoch ${card.member.epoch})`],
    ['Published by', `${card.source.repository}, release ${card.source.release}`],
    ['Licence', card.licence], ['Training data', card.trainingData], ['Published accuracy', card.publishedAccuracy],
    ['Known limits', card.knownLimits.join('; ')],
  ];
}

/**
 * The seed-exact score, and why it differs: the DFDC winner scores only its first frames × 4 − 1
 * faces (127 at 32), and its published accuracy (log loss 0.42798) is for that number.
 */
function seedLine(w: Writer, v: ReportVideo): void {
  const s = v.seed;
  if (!s || s.score === null) return;
  const same = v.score !== null && Math.abs(v.score - s.score) < 1e-9 && s.faces === s.totalFaces;
  w.para(same
    ? `Seed-exact score (what the DFDC winner itself outputs): ${formatScore(s.score)}, the same as the ensemble score; it used all ${s.faces} faces.`
    : `Seed-exact score (what the DFDC winner itself outputs; its published accuracy applies to this number): ${formatScore(s.score)} over the first ${s.faces} faces in frame then detection order. ` +
      `The ensemble score above uses all ${s.totalFaces} faces${s.faces < s.totalFaces ? `; the winning solution drops the other ${s.totalFaces - s.faces}` : ''}.`, { size: 8 });
}

function verdictBox(w: Writer, v: ReportVideo): void {
  const band = verdictBand(v.score);
  const colour = BAND_COLOURS[band];
  const h = v.scoreNote ? 58 : 46;
  w.ensure(h + 10);
  w.space(4);
  const y = w.y;
  const doc = w.doc;
  doc.rect(M.left, y, W, h).fill('#f6f7f9');
  doc.rect(M.left, y, 5, h).fill(colour);
  w.font('B', 8, GREY);
  doc.text('ENSEMBLE SCORE', M.left + 14, y + 8, { width: 110, characterSpacing: 0.8 });
  w.font('B', 20, colour);
  doc.text(formatScore(v.score), M.left + 14, y + 19, { width: 110 });
  w.font('B', 8, GREY);
  doc.text('INDICATION', M.left + 130, y + 8, { width: W - 140, characterSpacing: 0.8 });
  w.font('B', 13, colour);
  doc.text(w.t(BAND_WORDS[band]), M.left + 130, y + 20, { width: W - 140 });
  if (v.scoreNote) {
    w.font('I', 8, INK);
    doc.text(w.t(`Not scored: ${v.scoreNote}`), M.left + 130, y + 38, { width: W - 140 });
  }
  w.y = y + h + 8;
}

/** Vector chart: the highest face probability in each sampled frame, with the 0.5 and 0.8 lines. */
function chart(w: Writer, v: ReportVideo): void {
  if (!v.frames.length) return;
  const doc = w.doc;
  const h = 130;
  w.sub('Highest face probability per sampled frame', h + 70);
  const x0 = M.left + 30;
  const x1 = M.left + W - 8;
  const y0 = w.y + 6;
  const y1 = y0 + h;
  const maxIndex = Math.max(1, ...v.frames.map((f) => f.frameIndex));
  const minIndex = Math.min(...v.frames.map((f) => f.frameIndex));
  const span = Math.max(1, maxIndex - minIndex);
  const X = (fi: number) => x0 + ((fi - minIndex) / span) * (x1 - x0);
  const Y = (p: number) => y1 - p * (y1 - y0);
  doc.rect(x0, y0, x1 - x0, h).lineWidth(0.5).strokeColor(RULE).stroke();
  w.font('R', 6.5, GREY);
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    if (g > 0 && g < 1) doc.moveTo(x0, Y(g)).lineTo(x1, Y(g)).lineWidth(0.25).strokeColor('#e3e5e8').stroke();
    doc.text(g.toFixed(2), M.left, Y(g) - 3, { width: 26, align: 'right', lineBreak: false });
  }
  for (const [t, colour, label] of [[FLAG_THRESHOLD, BAND_COLOURS.weak, '0.5'], [CONFIDENT_THRESHOLD, BAND_COLOURS.strong, '0.8 (confident)']] as const) {
    doc.moveTo(x0, Y(t)).lineTo(x1, Y(t)).lineWidth(0.7).dash(3, { space: 2 }).strokeColor(colour).stroke();
    doc.undash();
    w.font('R', 6, colour);
    doc.text(label, x1 - 80, Y(t) - 8, { width: 78, align: 'right', lineBreak: false });
  }
  const pts = v.frames.filter((f) => f.maxProb !== null);
  if (pts.length > 1) {
    doc.moveTo(X(pts[0].frameIndex), Y(pts[0].maxProb!));
    for (const f of pts.slice(1)) doc.lineTo(X(f.frameIndex), Y(f.maxProb!));
    doc.lineWidth(0.8).strokeColor(ACCENT).stroke();
  }
  for (const f of v.frames) {
    const x = X(f.frameIndex);
    if (f.maxProb === null) {
      doc.moveTo(x - 2, y1 - 4).lineTo(x + 2, y1).moveTo(x - 2, y1).lineTo(x + 2, y1 - 4).lineWidth(0.6).strokeColor(GREY).stroke();
    } else {
      doc.circle(x, Y(f.maxProb), 1.8).fill(f.maxProb >= CONFIDENT_THRESHOLD ? BAND_COLOURS.strong : f.maxProb >= FLAG_THRESHOLD ? BAND_COLOURS.weak : BAND_COLOURS.none);
    }
  }
  w.font('R', 6.5, GREY);
  const ticks = niceTicks(minIndex, maxIndex, 8);
  for (const t of ticks) {
    doc.moveTo(X(t), y1).lineTo(X(t), y1 + 3).lineWidth(0.4).strokeColor(GREY).stroke();
    doc.text(String(t), X(t) - 20, y1 + 4, { width: 40, align: 'center', lineBreak: false });
  }
  doc.text(w.t('frame index →'), x1 - 80, y1 + 13, { width: 80, align: 'right', lineBreak: false });
  const noFace = v.frames.filter((f) => f.maxProb === null).length;
  doc.text(w.t(`${v.frames.length} sampled frames; each point: the highest ensemble face probability in that frame${noFace ? `; × = no scored face (${noFace})` : ''}.`), M.left, y1 + 13, { width: W - 90, lineBreak: false });
  w.y = y1 + 28;
}

function niceTicks(lo: number, hi: number, max: number): number[] {
  const span = Math.max(1, hi - lo);
  const raw = span / max;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(Math.round(t));
  return out;
}

const DECISION_WORDS: Record<string, string> = { fake: 'fake (manipulated)', real: 'real (authentic)', unsure: 'unsure' };

function flaggedFaces(w: Writer, v: ReportVideo): void {
  w.sub(`Flagged faces (ensemble ≥ ${FLAG_THRESHOLD}, highest first)`, 200);
  if (!v.flagged.length) {
    w.para(v.score === null ? 'No face was scored.' : `No face reached ${FLAG_THRESHOLD}.`, { font: 'I' });
    return;
  }
  if (v.flaggedTotal > v.flagged.length) w.para(`${v.flaggedTotal} faces reached ${FLAG_THRESHOLD}; the ${v.flagged.length} highest are shown (limit ${MAX_FLAGGED_PER_VIDEO} per video).`, { size: 8, color: GREY });
  const cols = 3;
  const gap = 10;
  const cw = (W - gap * (cols - 1)) / cols;
  const img = 96;
  for (let i = 0; i < v.flagged.length; i += cols) {
    const row = v.flagged.slice(i, i + cols);
    const texts = row.map((f) => faceText(f, v));
    const th = Math.max(...texts.map((t) => partsHeight(w, t, cw - 8)));
    const h = img + 10 + th + 8;
    w.ensure(h + 4);
    const y = w.y;
    row.forEach((f, j) => faceCard(w, f, texts[j], M.left + j * (cw + gap), y, cw, h, img));
    w.y = y + h + gap;
  }
}

interface Part {
  text: string;
  font: FontKind;
  color: string;
}

function faceText(f: ReportFace, v: ReportVideo): Part[] {
  const parts: Part[] = [
    { text: faceLabel({ track: f.track, sampleNo: f.sampleNo, sampledFrames: v.analysis.sampledFrames, frameIndex: f.frameIndex, faceNo: f.faceNo }), font: 'B', color: INK },
    { text: `Ensemble ${formatScore(f.ensemble)} · detector ${f.detProb.toFixed(3)}`, font: 'R', color: INK },
  ];
  if (v.models.length > 1) parts.push({ text: v.models.map((m) => `${m.name}: ${formatScore(f.probs[m.id] ?? null)}`).join('; '), font: 'R', color: INK });
  if (f.attention) {
    const sc = f.attention.scale;
    parts.push({ text: `${f.attention.label[0].toUpperCase()}${f.attention.label.slice(1)}: colour scale ${sc.min.toFixed(2)} (dark blue) to ${sc.max.toFixed(2)} (yellow), ${sc.unit}; what influenced the models, not where a manipulation is`, font: 'R', color: GREY });
  }
  if (f.mask) parts.push({ text: `Difference mask vs ${f.mask.referencePath ?? 'reference'} (energy ${formatEnergy(f.mask.energy)})`, font: 'R', color: GREY });
  if (f.review) {
    parts.push({ text: `Examiner: ${f.review.decision ? DECISION_WORDS[f.review.decision] : 'no decision'}${f.review.category ? `, category ${f.review.category}` : ''}`, font: 'B', color: ACCENT });
    parts.push({ text: `${f.review.examiner}, ${formatTime(f.review.createdAt)}`, font: 'R', color: GREY });
    if (f.review.note) parts.push({ text: `“${f.review.note}”`, font: 'I', color: INK });
  } else parts.push({ text: 'Not reviewed by the examiner.', font: 'I', color: GREY });
  return parts;
}

function partsHeight(w: Writer, parts: Part[], width: number): number {
  let h = 0;
  for (const p of parts) {
    w.font(p.font, 7);
    h += w.doc.heightOfString(w.t(p.text), { width, lineGap: 0.5 });
  }
  return h;
}

function faceCard(w: Writer, f: ReportFace, parts: Part[], x: number, y: number, cw: number, h: number, img: number): void {
  const doc = w.doc;
  const band = verdictBand(f.ensemble);
  doc.rect(x, y, cw, h).lineWidth(0.5).strokeColor(RULE).stroke();
  doc.rect(x, y, cw, 3).fill(BAND_COLOURS[band]);
  // Mask and attention share one column right of the crop (stacked when both exist).
  const maskW = f.mask || f.attention ? 40 : 0;
  const ix = x + (cw - img - (maskW ? maskW + 6 : 0)) / 2;
  doc.rect(ix, y + 7, img, img).fill('#e4e6ea');
  if (f.cropPng) {
    try {
      doc.image(f.cropPng, ix, y + 7, { fit: [img, img], align: 'center', valign: 'center' });
    } catch {
      w.font('I', 7, GREY);
      doc.text('crop image unreadable', ix + 4, y + 7 + img / 2 - 4, { width: img - 8, align: 'center' });
    }
  }
  if (f.mask) {
    const mx = ix + img + 6;
    try {
      doc.image(colouredMask(f.mask.png) ?? f.mask.png, mx, y + 7, { fit: [maskW, maskW], align: 'center', valign: 'center' });
    } catch {
      // an unreadable mask is simply not shown; its energy is still printed
    }
    w.font('R', 5.5, GREY);
    doc.text('difference mask', mx - 4, y + 9 + maskW, { width: maskW + 8, align: 'center' });
  }
  if (f.attention) attentionThumb(w, f, ix + img + 6, y + 7 + (f.mask ? 50 : 0), f.mask ? 32 : 40);
  let ty = y + img + 12;
  for (const p of parts) {
    w.font(p.font, 7, p.color);
    doc.text(w.t(p.text), x + 4, ty, { width: cw - 8, lineGap: 0.5 });
    ty = w.y;
  }
}

/** The crop with its attention heatmap over it, the colour bar under it (the scale's numbers are in the card's text). */
function attentionThumb(w: Writer, f: ReportFace, x: number, y: number, side: number): void {
  const doc = w.doc;
  try {
    if (f.cropPng) doc.image(f.cropPng, x, y, { fit: [side, side], align: 'center', valign: 'center' });
    doc.image(f.attention!.png, x, y, { fit: [side, side], align: 'center', valign: 'center' });
  } catch {
    return; // an unreadable image is not shown; the scale is still printed
  }
  for (let i = 0; i < 16; i++) doc.rect(x + (i * side) / 16, y + side + 1, side / 16 + 0.2, 2.5).fill(colormapCss(i / 15));
  w.font('R', 5.5, GREY);
  doc.text('model attention', x - 10, y + side + 4, { width: side + 20, align: 'center' });
}

function reviewsTable(w: Writer, v: ReportVideo): void {
  w.sub('Examiner’s decisions (current)', 70);
  if (!v.reviews.length) {
    w.para('The examiner has recorded no decision on any face of this item.', { font: 'I' });
    return;
  }
  w.table(
    [{ title: 'Frame', width: 38, align: 'right' }, { title: 'Face', width: 28, align: 'right' }, { title: 'Score', width: 40, align: 'right' }, { title: 'Decision', width: 70 },
      { title: 'Cat.', width: 24, align: 'right' }, { title: 'Note', width: W - 340 }, { title: 'Examiner, time', width: 140 }],
    v.reviews.map((r) => [
      String(r.frameIndex), String(r.faceNo + 1), formatScore(r.ensemble), { text: r.decision ? DECISION_WORDS[r.decision] : '—', font: 'B' }, r.category === null ? '—' : String(r.category),
      (r.note ?? '') + (r.onCurrentAnalysis ? '' : ' [decision made on an earlier analysis of this item]') + (r.revisions > 1 ? ` [${r.revisions} decisions recorded; latest shown]` : ''),
      `${r.examiner}\n${formatTime(r.createdAt)}`,
    ]),
    { size: 7.5 },
  );
}

function limitationsSection(w: Writer, d: ReportData): void {
  w.newPage();
  w.heading('4. Limitations');
  const frames = [...new Set(d.runs.map((r) => (r.params as { frames?: number } | null)?.frames).filter((x): x is number => typeof x === 'number'))];
  const items = [
    STANDING_NOTE,
    'Scores are indications, not findings. They are the output of statistical classifiers and must be weighed by a qualified examiner together with the provenance of the material and all other evidence. ' +
      'The verdict wording is a reporting convention over fixed score bands; the scores are not calibrated probabilities of manipulation.',
    'Training domain. The classifiers reproduce the winning solution of the Deepfake Detection Challenge (DFDC, 2020) and were trained on the DFDC data set: short clips of paid actors, mostly frontal faces, ' +
      'face-swap and related manipulation methods of 2019–2020. Their reliability on other material (newer generation methods, lip-sync or fully synthetic video, heavy re-compression, screen recordings, ' +
      'low resolution, small, occluded or non-frontal faces, other populations) has not been established and may be considerably lower.',
    `Coverage. Only sampled frames are examined (${frames.length ? frames.join(', ') : 'N'} per video, spread evenly over the video), and only faces that the face detector finds in them (minimum face size about 40 pixels at full resolution). ` +
      'Manipulation confined to other frames, to regions other than faces, or to the audio track is not assessed.',
    'Known defects of the reference implementation that Deepscan deliberately does not copy: the reference scored a video as 0.5 when any error occurred while processing it, and when no face was found; ' +
      'Deepscan instead reports the error, or “not scored” with the reason. The reference also failed on a video with a single detected face (and fell back to 0.5); Deepscan scores it normally. ' +
      'Scores of such videos therefore differ from what the reference would have printed, by design.',
    'Difference masks (where shown) compare a face with the same face in a known original and show where the pixels differ; attention heatmaps show which regions influenced a model, not where a manipulation is.',
  ];
  items.forEach((t, i) => w.para(`${i + 1}. ${t}`, { size: 9, gap: 6 }));
}

function auditSection(w: Writer, d: ReportData): void {
  w.heading('5. Audit trail', 220);
  w.para('Every action on this case (registration, integrity checks, analyses, reviews, reports) is recorded in an append-only log in which each entry’s SHA-256 covers the previous entry’s hash. ' +
    'The chain was recomputed when this report was generated.');
  w.kv([
    ['Chain status', d.audit.ok
      ? { text: 'verified — every entry, link, signature and result digest recomputes', color: BAND_COLOURS.none, font: 'B' }
      : auditStatusCell(d, '')],
    ...(d.audit.problems && d.audit.problems.length > 1 ? [['Further failures', { text: d.audit.problems.slice(1, 8).join('\n'), color: BAND_COLOURS.strong }] as [string, Cell]] : []),
    ['Entries', `${d.audit.entries}${d.audit.signedEntries !== undefined ? ` (${d.audit.signedEntries} signed${d.audit.legacyEntries ? `, ${d.audit.legacyEntries} unsigned legacy entries from before signing` : ''})` : ''}`],
    ['Head hash', { text: d.audit.headHash, font: 'M' }],
    ['Signing key', signingKeyCell(d)],
    ['Audit anchor', { text: `Audit anchor: ${auditAnchorText(d)}`, font: 'M', size: 7 }],
    ['This report', 'recorded as the next entry (“report-generated”), with this file’s SHA-256 and page count; that entry’s hash covers the head hash above.'],
  ], 110);
  w.sub('Entries by action');
  w.table([{ title: 'Action', width: 160 }, { title: 'Entries', width: 50, align: 'right' }, { title: 'First', width: (W - 210) / 2 }, { title: 'Last', width: (W - 210) / 2 }],
    d.auditActions.map((a) => [a.action, String(a.count), formatTime(a.first), formatTime(a.last)]), { size: 7.5 });
  if (d.auditNotable.length) {
    w.sub('Examiner and integrity entries');
    w.table([{ title: 'Seq', width: 32, align: 'right' }, { title: 'Time', width: 104 }, { title: 'Actor', width: 74 }, { title: 'Action', width: 86 }, { title: 'Details', width: W - 296 }],
      d.auditNotable.map((e) => [String(e.seq), formatTime(e.at), e.actor, e.action, e.summary]), { size: 7 });
  }
  w.sub('Examiner’s declaration', 80);
  w.para('I have examined the results set out in this report. Name, signature and date:', { size: 9 });
  w.space(26);
  const y = w.y;
  w.doc.moveTo(M.left, y).lineTo(M.left + 220, y).moveTo(M.left + 260, y).lineTo(M.left + W, y).lineWidth(0.5).strokeColor(INK).stroke();
  w.font('R', 7.5, GREY);
  w.doc.text(w.t(d.preparedBy), M.left, y + 3, { width: 220 });
  w.doc.text('signature, date', M.left + 260, y + 3, { width: W - 260 });
}

/** The anchor of this report: "entries N head <hash> key <fingerprint|none>" (see report/anchor.ts). */
export function auditAnchorText(d: ReportData): string {
  return `entries ${d.audit.entries} head ${d.audit.headHash} key ${d.audit.keyFingerprint ?? 'none'}`;
}

function auditStatusCell(d: ReportData, okText: string): string | Cell {
  if (d.audit.ok) return okText;
  return { text: `VERIFICATION FAILED: ${d.audit.problem}. Results below may have been edited after they were recorded.`, color: BAND_COLOURS.strong, font: 'B' };
}

function signingKeyCell(d: ReportData): string | Cell {
  const fp = d.audit.keyFingerprint;
  if (fp === undefined) return '—';
  if (fp === null) return 'none — the log is unsigned (written before signing was introduced)';
  const whose = d.audit.installationKey === true ? 'this installation’s key' : d.audit.installationKey === false ? 'NOT this installation’s key' : 'not checked against an installation';
  return { text: `Ed25519, fingerprint ${fp} (${whose})`, font: 'M', size: 7.5, ...(d.audit.installationKey === false ? { color: BAND_COLOURS.strong } : {}) };
}

/** [0, 9, 19, 29, 30, 31] → "0, 9, 19, 29–31". */
function compactRanges(values: readonly number[]): string {
  const v = [...values].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length; i++) {
    let j = i;
    while (j + 1 < v.length && v[j + 1] === v[j] + 1) j++;
    parts.push(j > i ? `${v[i]}–${v[j]}` : String(v[i]));
    i = j;
  }
  return parts.join(', ');
}
