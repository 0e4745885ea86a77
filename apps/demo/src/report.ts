/**
 * Writes report.html for the whole demo with @frostline/cli's renderer (one self-contained file:
 * curves, frost maps, plan tables, timing). Each training run's record comes from @frostline/cli's
 * `RunRecorder`, fed the run's `TrainEvent`s: the same builder `frostline train` uses.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '@frostline/cli';
import type { ReportCollector, ReportSection } from './context.js';
import { cellText } from './print.js';

export interface WrittenReport {
  path: string;
}

export async function writeReport(
  outDir: string,
  title: string,
  report: ReportCollector,
  meta: Record<string, unknown>,
): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'report.html');
  const html = renderReport({
    title,
    subtitle: `backend ${String(meta.backend).split(' ')[0]}, seed ${String(meta.seed)}${meta.quick ? ', quick' : ''}`,
    createdAt: new Date().toISOString(),
    sections: [
      ...report.sections.map(forReport),
      { title: 'Run configuration', text: JSON.stringify(meta, null, 2) },
    ],
    runs: report.runs,
  });
  writeFileSync(path, html);
  return { path };
}

/** The report shows numbers as numbers and every other cell as the terminal table does. */
function forReport(section: ReportSection) {
  const { table, ...rest } = section;
  if (!table) return rest;
  const rows = table.rows.map((r) => r.map((c) => (typeof c === 'number' ? c : cellText(c))));
  return { ...rest, table: { columns: table.columns, rows } };
}
