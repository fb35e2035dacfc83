import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Fonts for reports. Evidence paths, names and notes can hold any Unicode text, which the
 * PDF standard fonts (WinAnsi) cannot show, so the DejaVu TrueType fonts shipped by the
 * `dejavu-fonts-ttf` npm package are embedded (subset). When they cannot be found the
 * report falls back to Helvetica/Courier, replaces what WinAnsi lacks with "?", and says so.
 */
export interface ReportFonts {
  /** Embedded TrueType (true) or the standard 14 fonts (false). */
  embedded: boolean;
  regular: string | Buffer;
  bold: string | Buffer;
  italic: string | Buffer;
  mono: string | Buffer;
  /** Words for the report's methodology section. */
  description: string;
}

const STANDARD: ReportFonts = {
  embedded: false, regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique', mono: 'Courier',
  description: 'PDF standard fonts (Helvetica, Courier): the DejaVu fonts were not found, so characters outside Windows-1252 are shown as "?"',
};

let cached: ReportFonts | undefined;

export function loadReportFonts(dir?: string | null): ReportFonts {
  if (dir === null) return STANDARD;
  if (!dir && cached) return cached;
  try {
    const ttf = dir ?? join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    const read = (n: string) => readFileSync(join(ttf, n));
    const fonts: ReportFonts = {
      embedded: true, regular: read('DejaVuSans.ttf'), bold: read('DejaVuSans-Bold.ttf'), italic: read('DejaVuSans-Oblique.ttf'), mono: read('DejaVuSansMono.ttf'),
      description: 'DejaVu Sans and DejaVu Sans Mono, embedded (subset)',
    };
    if (!dir) cached = fonts;
    return fonts;
  } catch {
    return STANDARD;
  }
}

// Windows-1252 code points above 0x7F that are not Latin-1.
const CP1252_EXTRA = new Set([0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178]);

/** Text as the standard fonts can show it: anything outside Windows-1252 becomes "?". */
export function winAnsiSafe(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    const c = ch.codePointAt(0)!;
    out += c === 0x0a || (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff) || CP1252_EXTRA.has(c) ? ch : '?';
  }
  return out;
}
