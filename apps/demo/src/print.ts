/** Plain-text tables and headings for the terminal (and for the report's preformatted sections). */

export type Cell = string | number | boolean | null | undefined;

export interface Table {
  title?: string;
  columns: string[];
  rows: Cell[][];
}

export function cellText(c: Cell): string {
  if (c === null || c === undefined) return '–';
  if (typeof c === 'boolean') return c ? 'yes' : 'no';
  if (typeof c === 'number') return Number.isInteger(c) ? c.toLocaleString('en-US') : c.toFixed(3);
  return c;
}

/** Right-aligns numeric columns, left-aligns the rest. */
export function formatTable(t: Table): string {
  const text = t.rows.map((r) => t.columns.map((_, i) => cellText(r[i])));
  const numeric = t.columns.map((_, i) => t.rows.every((r) => typeof r[i] === 'number' || r[i] == null));
  const widths = t.columns.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ');
  const out = [line(t.columns), widths.map((w) => '─'.repeat(w)).join('  '), ...text.map(line)];
  return out.map((l) => l.trimEnd()).join('\n');
}

export function heading(text: string): string {
  return `\n${text}\n${'═'.repeat(Math.min(100, text.length))}`;
}

export function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export type Logger = (line?: string) => void;
