import type { RunRecord, RunRecorder } from '@frostline/cli';
import type { DemoOptions } from './args.js';
import type { Logger, Table } from './print.js';
import type { Sizes } from './sizes.js';

/** What every part gets: options, sizes, the logger, and the collector for report.html. */
export interface DemoContext {
  opts: DemoOptions;
  sizes: Sizes;
  log: Logger;
  /** True when the log is a terminal: live progress bars are shown. */
  tty: boolean;
  report: ReportCollector;
  /** The backend the demo selected (fastest that works) and why. */
  backend: { name: string; reason: string };
}

/** One training run as @frostline/cli's report shows it (curves, plans → frost map, timing, cache). */
export type ReportRun = RunRecord & { name: string };

export interface ReportSection {
  title: string;
  /** A paragraph above the table. */
  description?: string;
  /** Preformatted text (a plan table, an export snippet). */
  text?: string;
  table?: Table;
}

export class ReportCollector {
  readonly runs: ReportRun[] = [];
  readonly sections: ReportSection[] = [];
  addRun(run: ReportRun): void {
    this.runs.push(run);
  }
  /** A training run whose `TrainEvent`s went to `recorder`, titled `name`. */
  addRecorded(name: string, recorder: RunRecorder, extra: Omit<RunRecord, 'epochs' | 'plans'>): void {
    this.runs.push({ name, ...recorder.record({ title: name, ...extra }) });
  }
  addSection(section: ReportSection): void {
    this.sections.push(section);
  }
}

export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}
