/**
 * Writes report.html for the whole demo. The renderer is @frostline/cli's (one self-contained file:
 * curves, frost map, plan tables, timing); if that package isn't built or lacks a renderer, a small
 * built-in page with the same tables and SVG curves is written instead, and the demo says so.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportCollector, ReportRun } from './context.js';
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
    const render = cli.renderReport as Renderer | undefined;
    if (typeof render === 'function') {
      const html = await render({
        title,
        subtitle: `backend ${String(meta.backend).split(' ')[0]}, seed ${String(meta.seed)}${meta.quick ? ', quick' : ''}`,
        createdAt: new Date().toISOString(),
        sections: [...report.sections, { title: 'Run configuration', text: JSON.stringify(meta, null, 2) }],
        runs: report.runs,
      });
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

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** A line chart of the numeric series (loss/acc per epoch) of one run, as inline SVG. */
function curves(epochs: ReadonlyArray<object>): string {
  const history = epochs.map((e) => {
    const { epoch: _e, ms: _m, ...rest } = e as Record<string, unknown>;
    return rest as Record<string, number>;
  });
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
    const body = [
      s.table ? `<pre>${esc(formatTable(s.table))}</pre>` : '',
      s.text ? `<pre>${esc(s.text)}</pre>` : '',
    ].join('');
    return `<section><h2>${esc(s.title)}</h2>${body}</section>`;
  });
  const runs = report.runs.map(
    (r) =>
      `<section><h2>${esc(r.name)}</h2>${curves(r.epochs)}<pre>${esc(JSON.stringify(r.config ?? {}, null, 2))}</pre></section>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}pre{background:#f4f4f4;padding:.7em;overflow-x:auto;font-size:12px}</style></head>
<body><h1>${esc(title)}</h1><p>Rendered by the demo's fallback renderer.</p><pre>${esc(JSON.stringify(meta, null, 2))}</pre>
${sections.join('\n')}\n${runs.join('\n')}</body></html>\n`;
}

/** What the report reads of a @frostline/tfjs TrainResult (structural: no TF.js import here). */
export interface TrainResultShape {
  history: ReadonlyArray<{ epoch: number; loss: number; acc?: number; val_loss?: number; val_acc?: number }>;
  plans: ReadonlyArray<import('@frostline/cli').PlanSnapshot>;
  timing?: { epochMs?: readonly number[]; totalMs?: number };
  backend?: string;
}

/**
 * A report run from a train result plus per-epoch cache/timing events the demo collected (the same
 * shape `runRecordFrom` in @frostline/cli builds, with the cache status of each epoch added).
 */
export function runRecord(
  name: string,
  result: TrainResultShape,
  extra: Omit<ReportRun, 'name' | 'epochs' | 'plans'> & {
    epochEvents?: ReadonlyArray<{
      epoch: number;
      ms: number;
      frozenMs?: number;
      trainableMs?: number;
      cache?: string;
    }>;
  } = {},
): ReportRun {
  const { epochEvents, ...rest } = extra;
  const ms = result.timing?.epochMs ?? [];
  return {
    name,
    title: name,
    ...(result.backend ? { backend: result.backend } : {}),
    ...(result.timing?.totalMs !== undefined ? { totalMs: result.timing.totalMs } : {}),
    ...rest,
    epochs: result.history.map((h, i) => {
      const ev = epochEvents?.find((e) => e.epoch === h.epoch);
      return {
        epoch: h.epoch,
        loss: h.loss,
        ...(h.acc !== undefined ? { acc: h.acc } : {}),
        ...(h.val_loss !== undefined ? { valLoss: h.val_loss } : {}),
        ...(h.val_acc !== undefined ? { valAcc: h.val_acc } : {}),
        ...(ev
          ? { ms: ev.ms, frozenMs: ev.frozenMs, trainableMs: ev.trainableMs }
          : ms[i] !== undefined
            ? { ms: ms[i] }
            : {}),
        ...(ev?.cache ? { cache: ev.cache } : {}),
      };
    }),
    plans: [...result.plans],
  };
}
