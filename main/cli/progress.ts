/**
 * Progress output: a redrawn single-line bar on a terminal, plain lines otherwise (CI logs,
 * pipes), so logs stay readable and terminals stay tidy.
 */
export class ProgressOutput {
  private readonly tty: boolean;
  private lastLine = '';
  private lastPlainAt = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  /** A transient status (bar) line. */
  update(label: string, fraction: number, detail: string): void {
    if (this.tty) {
      const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 60));
      const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const pct = `${Math.round(fraction * 100)}`.padStart(3);
      const line = `${label} ${bar} ${pct}% ${detail}`;
      const cols = this.stream.columns ?? 100;
      this.stream.write(`\r${truncate(line, cols - 1).padEnd(Math.min(this.lastLine.length, cols - 1))}`);
      this.lastLine = truncate(line, cols - 1);
    } else {
      // Plain mode: at most one progress line every 2 s.
      const now = Date.now();
      if (now - this.lastPlainAt < 2000) return;
      this.lastPlainAt = now;
      this.stream.write(`${label} ${Math.round(fraction * 100)}% ${detail}\n`);
    }
  }

  /** A permanent line (an item finished, a warning). */
  log(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
  }

  clear(): void {
    if (this.tty && this.lastLine) {
      this.stream.write(`\r${' '.repeat(this.lastLine.length)}\r`);
      this.lastLine = '';
    }
  }
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}…`;
}

export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
