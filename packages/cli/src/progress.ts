import type { OutStream } from './io';

/**
 * Terminal progress for training. On a TTY: two live lines (epochs, batches) redrawn in place, at
 * most every `intervalMs`. Elsewhere (CI logs, pipes): one plain line per finished epoch, so logs
 * stay readable. The bar never writes to stdout's data channel when `--json` is on: the caller picks.
 */
export interface ProgressBarOptions {
  stream: OutStream;
  /** Force TTY mode on/off (default: stream.isTTY). */
  tty?: boolean;
  /** Width of each bar in cells (default 24). */
  width?: number;
  /** Minimum time between redraws (default 80 ms). The clock is injectable for tests. */
  intervalMs?: number;
  now?: () => number;
  color?: boolean;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  batch?: number;
  batches?: number;
  loss?: number;
  acc?: number;
  examplesPerSec?: number;
  note?: string;
  /** What the second bar counts (default `batch`; `features` while the frozen prefix's outputs are extracted). */
  label?: string;
  /** Unit of the rate (default `ex/s`). */
  rateUnit?: string;
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `width` cells filled to `ratio`, with eighth-cell resolution. */
export function renderBar(ratio: number, width: number): string {
  const r = Math.min(1, Math.max(0, Number.isFinite(ratio) ? ratio : 0));
  const eighths = Math.round(r * width * 8);
  const full = Math.floor(eighths / 8);
  const part = BLOCKS[eighths % 8] ?? '';
  const used = full + (part ? 1 : 0);
  return `${'█'.repeat(full)}${part}${' '.repeat(Math.max(0, width - used))}`;
}

export function formatNumber(n: number | undefined, digits = 4): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

export function formatRate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export class ProgressBar {
  private readonly stream: OutStream;
  private readonly tty: boolean;
  private readonly width: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly color: boolean;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawnLines = 0;
  private state: ProgressState | undefined;

  constructor(opts: ProgressBarOptions) {
    this.stream = opts.stream;
    this.tty = opts.tty ?? opts.stream.isTTY === true;
    this.width = opts.width ?? 24;
    this.intervalMs = opts.intervalMs ?? 80;
    this.now = opts.now ?? (() => Date.now());
    this.color = opts.color ?? this.tty;
  }

  get isTTY(): boolean {
    return this.tty;
  }

  /** Updates the live display (TTY only; throttled unless `force`). */
  update(state: ProgressState, force = false): void {
    this.state = state;
    if (!this.tty) return;
    const t = this.now();
    if (!force && t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.draw(this.lines(state));
  }

  /** Prints a permanent line above the bars (TTY) or as a plain log line. */
  log(line: string): void {
    if (this.tty) {
      this.clear();
      this.stream.write(`${line}\n`);
      if (this.state) this.draw(this.lines(this.state));
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Removes the live lines (end of training, or before an error message). */
  done(): void {
    if (this.tty) this.clear();
    this.state = undefined;
  }

  /** The live lines for a state (exported for tests and for the demo's own layout). */
  lines(s: ProgressState): string[] {
    const dim = (t: string) => (this.color ? `\x1b[2m${t}\x1b[22m` : t);
    const cyan = (t: string) => (this.color ? `\x1b[36m${t}\x1b[39m` : t);
    const epochsDone = s.epoch + (s.batches ? (s.batch ?? 0) / s.batches : 0);
    const ep = `epoch ${String(s.epoch + 1).padStart(String(s.epochs).length)}/${s.epochs} ${cyan(renderBar(epochsDone / s.epochs, this.width))}`;
    const batch =
      s.batches !== undefined
        ? `${s.label ?? 'batch'} ${String(s.batch ?? 0).padStart(String(s.batches).length)}/${s.batches} ${cyan(renderBar((s.batch ?? 0) / s.batches, this.width))}`
        : '';
    const stats = [
      s.loss !== undefined ? `loss ${formatNumber(s.loss)}` : '',
      s.acc !== undefined ? `acc ${formatNumber(s.acc, 3)}` : '',
      s.examplesPerSec !== undefined ? dim(`${formatRate(s.examplesPerSec)} ${s.rateUnit ?? 'ex/s'}`) : '',
      s.note ? dim(s.note) : '',
    ]
      .filter(Boolean)
      .join('  ');
    return [ep, [batch, stats].filter(Boolean).join('  ')];
  }

  private clear(): void {
    if (this.drawnLines === 0) return;
    // Move to the first live line and erase to the end of the screen.
    const up = this.drawnLines - 1;
    this.stream.write(`\r${up > 0 ? `\x1b[${up}A` : ''}\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(lines: string[]): void {
    const cols = this.stream.columns && this.stream.columns > 20 ? this.stream.columns - 1 : 200;
    this.clear();
    // Long lines would wrap and break the cursor arithmetic: cut to the terminal width.
    this.stream.write(lines.map((l) => cut(l, cols)).join('\n'));
    this.drawnLines = lines.length;
  }
}

/** Cuts a string to `cols` visible cells, leaving ANSI escapes (ESC [ params letter) intact. */
function cut(line: string, cols: number): string {
  const ESC = String.fromCharCode(27);
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === ESC && line[i + 1] === '[') {
      let j = i + 2;
      while (j < line.length && /[0-9;]/.test(line[j]!)) j++;
      out += line.slice(i, j + 1);
      i = j;
      continue;
    }
    if (visible >= cols) continue;
    out += line[i];
    visible++;
  }
  return out;
}
