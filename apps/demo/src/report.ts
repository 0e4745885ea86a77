/**
 * Writes report.html for the whole demo. The renderer is @frostline/cli's (one self-contained file:
 * curves, frost map, plan tables, timing); if that package isn't built or lacks a renderer, a small
 * built-in page with the same tables and SVG curves is written instead, and the demo says so.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportCollector } from './context.js';
import { firstLine } from './context.js';
import { formatTable } from './print.js';

export interface WrittenReport {
  path: string;
  renderer: string;
  note?: string;
}

type Renderer = (input: unknown) => string | Promise<string>;

export async function writeReport(
  outDir: string,
  title: string,
  report: ReportCollector,
  meta: Record<string, unknown>,
): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'report.html');
  let note: string | undefined;
  try {
    const cli = (await import('@frostline/cli')) as Record<string, unknown>;
    const render = (cli.renderDemoReport ?? cli.renderReport ?? cli.renderReportHtml) as Renderer | undefined;
    if (typeof render === 'function') {
      const html = await render({ title, runs: report.runs, sections: report.sections, config: meta });
      writeFileSync(path, html);
      return { path, renderer: '@frostline/cli' };
    }
    note = '@frostline/cli has no report renderer export yet';
  } catch (err) {
    note = `@frostline/cli report renderer failed (${firstLine(err)})`;
  }
  writeFileSync(path, fallbackHtml(title, report, meta));
  return { path, renderer: 'built-in fallback', note };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** A line chart of the numeric series (loss/acc per epoch) of one run, as inline SVG. */
function curves(history: Array<Record<string, number>>): string {
  const keys = [...new Set(history.flatMap((h) => Object.keys(h)))].filter((k) =>
    history.every((h) => typeof h[k] === 'number' && Number.isFinite(h[k])),
  );
  if (history.length === 0 || keys.length === 0) return '';
  const W = 420;
  const H = 160;
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const all = keys.flatMap((k) => history.map((h) => h[k] as number));
  const lo = Math.min(0, ...all);
  const hi = Math.max(1, ...all);
  const px = (i: number) => 30 + (history.length === 1 ? 0 : (i * (W - 40)) / (history.length - 1));
  const py = (v: number) => H - 20 - ((v - lo) / (hi - lo || 1)) * (H - 30);
  const lines = keys.map((k, j) => {
    const pts = history.map((h, i) => `${px(i).toFixed(1)},${py(h[k] as number).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${colors[j % colors.length]}" stroke-width="2" points="${pts}"/><text x="${W - 100}" y="${14 + 12 * j}" font-size="11" fill="${colors[j % colors.length]}">${esc(k)}</text>`;
  });
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><rect width="${W}" height="${H}" fill="#fafafa"/>${lines.join('')}<text x="4" y="${H - 4}" font-size="10">epochs 1–${history.length}</text></svg>`;
}

function fallbackHtml(title: string, report: ReportCollector, meta: Record<string, unknown>): string {
  const sections = report.sections.map((s) => {
    const body = [s.table ? `<pre>${esc(formatTable(s.table))}</pre>` : '', s.text ? `<pre>${esc(s.text)}</pre>` : ''].join('');
    return `<section><h2>${esc(s.title)}</h2>${body}</section>`;
  });
  const runs = report.runs.map(
    (r) =>
      `<section><h2>${esc(r.name)}</h2>${curves(r.history)}<pre>${esc(JSON.stringify(r.config ?? {}, null, 2))}</pre></section>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}pre{background:#f4f4f4;padding:.7em;overflow-x:auto;font-size:12px}</style></head>
<body><h1>${esc(title)}</h1><p>Rendered by the demo's fallback renderer.</p><pre>${esc(JSON.stringify(meta, null, 2))}</pre>
${sections.join('\n')}\n${runs.join('\n')}</body></html>\n`;
}
