/**
 * The report's "Comparison with a known original" section (issue 13): per comparison, the
 * original's path and SHA-256, frames compared, energy per video and per person, and the
 * highest-energy faces with crop and mask. Masks are printed through the shared colour map on
 * a fixed scale with its legend: the stored gray masks are mostly near 0 (energy ≈ 0.02–0.08)
 * and read as black on paper.
 */
import { colorize, colormapCss } from '../../../../common/colormap.js';
import { faceLabel, formatEnergy, personLabel } from '../../../../common/format.js';
import { decodePng, encodePng } from '../../image/png.js';
import type { ReportComparison, ReportComparisonFace } from './comparison-data.js';
import type { ReportVideo } from './data.js';

/** 1 − SSIM at or above this prints as the top colour; the same scale for every mask, so they compare. */
export const MASK_SCALE_MAX = 0.5;

/** The parts of render.ts's Writer this section uses. */
export interface SectionWriter {
  doc: PDFKit.PDFDocument;
  y: number;
  t(s: string): string;
  font(kind: 'R' | 'B' | 'I' | 'M', size: number, color?: string): unknown;
  ensure(h: number): void;
  sub(text: string, keep?: number): void;
  para(text: string, opts?: { font?: 'R' | 'B' | 'I' | 'M'; size?: number; color?: string }): void;
  kv(rows: [string, string | { text: string; font?: 'R' | 'B' | 'I' | 'M' }][], labelWidth?: number, size?: number): void;
  table(columns: { title: string; width: number; align?: 'left' | 'right' | 'center' }[], rows: string[][], opts?: { size?: number }): void;
}

export interface Layout {
  left: number;
  width: number;
  grey: string;
  rule: string;
}

/** The stored gray mask through the colour map, on [0, MASK_SCALE_MAX]; null when unreadable. */
export function colouredMask(png: Buffer): Buffer | null {
  try {
    const gray = decodePng(png);
    const values = new Float32Array(gray.width * gray.height);
    for (let i = 0; i < values.length; i++) values[i] = gray.data[i * gray.channels] / 255;
    const rgb = colorize(values, 0, MASK_SCALE_MAX);
    return Buffer.from(encodePng({ width: gray.width, height: gray.height, channels: 3, data: rgb }));
  } catch {
    return null;
  }
}

export function comparisonSection(w: SectionWriter, v: ReportVideo, L: Layout): void {
  const list = v.comparisons ?? [];
  if (!list.length) return;
  w.sub('Comparison with a known original', 160);
  w.para('Difference energy is the mean of the 1 − SSIM difference mask (0: identical pixels) of a face against the same place in the original. '
    + 'A person whose energy stands out from the others differs from the original where the others do not.', { size: 8, color: L.grey });
  for (const c of list) comparisonBlock(w, v, c, L);
}

function comparisonBlock(w: SectionWriter, v: ReportVideo, c: ReportComparison, L: Layout): void {
  w.kv([
    ['Original', c.referencePath],
    ['Original SHA-256', { text: c.referenceSha256, font: 'M' }],
    ['Frames compared', `${c.frames} (offset ${c.offset}); ${c.faces} faces`],
    ['Energy (video)', formatEnergy(c.energy)],
  ], 110);
  if (c.tracks.length) {
    w.table([{ title: 'Person', width: 80 }, { title: 'Energy (mean)', width: 80, align: 'right' }, { title: 'Highest', width: 70, align: 'right' },
      { title: 'Faces', width: 50, align: 'right' }, { title: 'Frames compared', width: 90, align: 'right' }],
    c.tracks.map((t) => [personLabel(t.track), formatEnergy(t.energy), formatEnergy(t.maxEnergy), String(t.faces), String(t.frames)]), { size: 8 });
  }
  if (c.unmatchedFaces) w.para(`${c.unmatchedFaces} compared face(s) match no face of this item's current analysis (counted in the video's energy only).`, { size: 7.5, color: L.grey });
  if (c.top.length) {
    w.para('Highest-energy faces (per person), with their difference masks:', { size: 8, font: 'B' });
    legend(w, L);
    faces(w, v, c.top, L);
  }
}

function legend(w: SectionWriter, L: Layout): void {
  const doc = w.doc;
  w.ensure(24);
  const y = w.y;
  const width = 160;
  for (let i = 0; i < 64; i++) doc.rect(L.left + (i * width) / 64, y, width / 64 + 0.3, 8).fill(colormapCss(i / 63));
  w.font('R', 6.5, L.grey);
  doc.text('0', L.left, y + 10, { lineBreak: false });
  doc.text(`≥ ${MASK_SCALE_MAX} (1 − SSIM)`, L.left + width - 40, y + 10, { width: 70, lineBreak: false });
  w.y = y + 22;
}

function faces(w: SectionWriter, v: ReportVideo, list: ReportComparisonFace[], L: Layout): void {
  const doc = w.doc;
  const cols = 4;
  const gap = 8;
  const cw = (L.width - gap * (cols - 1)) / cols;
  const img = (cw - 6) / 2;
  const h = img + 34;
  for (let i = 0; i < list.length; i += cols) {
    w.ensure(h + 4);
    const y = w.y;
    list.slice(i, i + cols).forEach((f, j) => {
      const x = L.left + j * (cw + gap);
      doc.rect(x, y, cw, h).lineWidth(0.5).strokeColor(L.rule).stroke();
      image(doc, f.cropPng, x + 2, y + 2, img);
      const mask = f.maskPng ? colouredMask(f.maskPng) : null;
      image(doc, mask, x + 4 + img, y + 2, img);
      w.font('R', 6.5, '#1a1a1a');
      const label = f.faceNo === null ? `no matching face · frame index ${f.frameIndex}`
        : faceLabel({ track: f.track, sampleNo: f.sampleNo, sampledFrames: v.analysis.sampledFrames, frameIndex: f.frameIndex, faceNo: f.faceNo });
      doc.text(w.t(`${label} · energy ${formatEnergy(f.energy)}`), x + 2, y + img + 5, { width: cw - 4, lineGap: 0.3 });
    });
    w.y = y + h + gap;
  }
}

function image(doc: PDFKit.PDFDocument, png: Buffer | null, x: number, y: number, size: number): void {
  doc.rect(x, y, size, size).fill('#e4e6ea');
  if (!png) return;
  try {
    doc.image(png, x, y, { fit: [size, size], align: 'center', valign: 'center' });
  } catch {
    // an unreadable image is left blank; its energy is printed beside it
  }
}
