import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerSummary } from '@frostline/core';
import type { EpochRecord, PlanSnapshot, RunRecord } from './run-record';

/**
 * report.html: one self-contained file (inline CSS, inline SVG, a few lines of inline JS; a CSP that
 * forbids every network request). Charts carry `data-series` / `data-points` attributes so a browser
 * test can count what it draws.
 */

const C = {
  frozen: '#4f9fd8',
  frozenDark: '#2f6f9f',
  trainable: '#f08a24',
  trainableDark: '#b9600e',
  train: '#2f6f9f',
  val: '#e8590c',
  other: '#c5ccd6',
  grid: '#e4e8ee',
  axis: '#8a94a3',
  text: '#1f2733',
};

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number, digits = 1) => `${(n * 100).toFixed(digits)}%`;
const fixed = (n: number | undefined, d = 4) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
const r2 = (n: number) => Math.round(n * 100) / 100;

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** Round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 1e-12) {
    const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 0.5 && ticks.length < 12; v += step)
    ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

interface Series {
  id: string;
  label: string;
  color: string;
  values: Array<number | undefined>;
  dashed?: boolean;
}

// Longer than 80 lines: one SVG drawn in one pass over one coordinate system (axes, grid, series, legend).
function lineChart(opts: {
  id: string;
  title: string;
  series: Series[];
  percent?: boolean;
  epochs: number;
}): string {
  const W = 520;
  const H = 250;
  const m = { l: 52, r: 16, t: 14, b: 38 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const present = opts.series.filter((s) => s.values.some((v) => v !== undefined && Number.isFinite(v)));
  if (present.length === 0) {
    return `<figure class="chart empty" data-chart="${opts.id}"><figcaption>${escapeHtml(opts.title)}</figcaption><div class="nodata">no ${escapeHtml(opts.title.toLowerCase())} recorded</div></figure>`;
  }
  const all = present.flatMap((s) =>
    s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (opts.percent) {
    lo = Math.max(0, Math.floor(lo * 10) / 10);
    hi = Math.min(1, Math.max(hi, lo + 0.1));
  } else {
    lo = Math.min(0, lo);
  }
  const ticks = niceTicks(lo, hi, 5);
  const y0 = ticks[0]!;
  const y1 = ticks[ticks.length - 1]!;
  const n = opts.epochs;
  const x = (i: number) => m.l + (n <= 1 ? pw / 2 : (i / (n - 1)) * pw);
  const y = (v: number) => m.t + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${m.l}" x2="${W - m.r}" y1="${r2(y(t))}" y2="${r2(y(t))}" stroke="${C.grid}"/>` +
        `<text x="${m.l - 8}" y="${r2(y(t)) + 4}" text-anchor="end" class="tick">${opts.percent ? `${Math.round(t * 100)}%` : t}</text>`,
    )
    .join('');
  const step = Math.max(1, Math.ceil(n / 12));
  const xticks = Array.from({ length: n }, (_, i) => i)
    .filter((i) => i % step === 0 || i === n - 1)
    .map(
      (i) =>
        `<line x1="${r2(x(i))}" x2="${r2(x(i))}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="${C.axis}"/><text x="${r2(x(i))}" y="${m.t + ph + 17}" text-anchor="middle" class="tick">${i + 1}</text>`,
    )
    .join('');
  const lines = present
    .map((s) => {
      const pts = s.values
        .map((v, i) => (v === undefined || !Number.isFinite(v) ? undefined : ([i, v] as const)))
        .filter((p): p is readonly [number, number] => p !== undefined);
      let d = '';
      let prev = -2;
      for (const [i, v] of pts) {
        d += `${i === prev + 1 ? 'L' : 'M'}${r2(x(i))},${r2(y(v))}`;
        prev = i;
      }
      const dots = pts
        .map(
          ([i, v]) =>
            `<circle class="pt" cx="${r2(x(i))}" cy="${r2(y(v))}" r="3.5" fill="#fff" stroke="${s.color}" stroke-width="2"><title>${escapeHtml(s.label)}, epoch ${i + 1}: ${opts.percent ? pct(v, 2) : fixed(v)}</title></circle>`,
        )
        .join('');
      return `<g class="series" data-series="${s.id}" data-points="${pts.length}"><path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots}</g>`;
    })
    .join('');
  const legend = present
    .map(
      (s) =>
        `<span class="key"><i style="background:${s.color}"${s.dashed ? ' class="dash"' : ''}></i>${escapeHtml(s.label)}</span>`,
    )
    .join('');
  return `<figure class="chart" data-chart="${opts.id}">
<figcaption>${escapeHtml(opts.title)}<span class="legend">${legend}</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(opts.title)} per epoch">
${grid}<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="${C.axis}"/>${xticks}
<text x="${m.l + pw / 2}" y="${H - 4}" text-anchor="middle" class="axis-label">epoch</text>
${lines}
</svg></figure>`;
}

/** Whether two plans freeze exactly the same parameters per layer. */
function samePlanState(a: PlanSnapshot, b: PlanSnapshot): boolean {
  if (a.layers.length !== b.layers.length) return false;
  return a.layers.every((l, i) => {
    const o = b.layers[i]!;
    return l.name === o.name && l.trainableParams === o.trainableParams && l.frozenParams === o.frozenParams;
  });
}

/** Rows of the frost map: one per epoch when the plan changes over the run, else a single row. */
export function frostRows(
  plans: readonly PlanSnapshot[],
  epochs: number,
): Array<{ label: string; plan: PlanSnapshot }> {
  if (plans.length === 0) return [];
  const changes = plans.some((p, i) => i > 0 && !samePlanState(plans[i - 1]!, p));
  if (!changes) {
    const span = Math.max(epochs, plans.length);
    return [{ label: span > 1 ? `epochs 1–${span}` : 'epoch 1', plan: plans[plans.length - 1]! }];
  }
  return plans.map((p, i) => ({ label: `epoch ${(p.epoch ?? i) + 1}`, plan: p }));
}

/** Minimum drawn width (of 1000) of a trainable part, so a tiny head stays visible. */
const MIN_VISIBLE = 4;

// Longer than 80 lines: one SVG (stage brackets, a row per epoch, change marks) sharing one x-scale.
function frostMap(run: RunRecord): string {
  const rows = frostRows(run.plans, run.epochs.length);
  if (rows.length === 0) return '<p class="nodata">no plan recorded</p>';
  const W = 1000;
  const L = 92;
  const R = 8;
  const rowH = 28;
  const gap = 8;
  const layersOf = (p: PlanSnapshot) => p.layers.filter((l) => l.params > 0);
  const base = layersOf(rows[0]!.plan);
  const total = base.reduce((s, l) => s + l.params, 0) || 1;
  const bw = W - L - R;
  // Stage brackets on top, when the model has stages.
  const stageOf = new Map<string, string>();
  for (const s of run.stages ?? []) for (const l of s.layers) stageOf.set(l, s.name);
  const top = run.stages?.length ? 30 : 6;
  const positions = new Map<string, { x: number; w: number }>();
  let acc = 0;
  for (const l of base) {
    positions.set(l.name, { x: L + (acc / total) * bw, w: (l.params / total) * bw });
    acc += l.params;
  }
  let brackets = '';
  if (run.stages?.length) {
    const spans: Array<{ name: string; x0: number; x1: number }> = [];
    for (const l of base) {
      const s = stageOf.get(l.name) ?? '';
      const p = positions.get(l.name)!;
      const last = spans[spans.length - 1];
      if (last && last.name === s) last.x1 = p.x + p.w;
      else spans.push({ name: s, x0: p.x, x1: p.x + p.w });
    }
    brackets = spans
      .filter((s) => s.name)
      .map((s, i) => {
        const w = s.x1 - s.x0;
        const label =
          w > s.name.length * 6.5 + 6
            ? `<text x="${r2(s.x0 + w / 2)}" y="12" text-anchor="middle" class="stage">${escapeHtml(s.name)}</text>`
            : '';
        return `<g class="bracket" data-stage="${escapeHtml(s.name)}"><title>${escapeHtml(s.name)}</title><path d="M${r2(s.x0 + 1)},22 V17 H${r2(s.x1 - 1)} V22" fill="none" stroke="${i % 2 ? '#9aa5b4' : '#6b7686'}" stroke-width="1.2"/>${label}</g>`;
      })
      .join('');
  }
  const H = top + rows.length * (rowH + gap) + 4;
  let prevState: Map<string, number> | undefined;
  const body = rows
    .map((row, ri) => {
      const y = top + ri * (rowH + gap);
      const state = new Map<string, number>();
      const segs = layersOf(row.plan)
        .map((l) => {
          const p = positions.get(l.name);
          if (!p) return '';
          const frozenShare = l.params ? l.frozenParams / l.params : 0;
          state.set(l.name, l.trainableParams);
          const changed = prevState !== undefined && prevState.get(l.name) !== l.trainableParams;
          let fw = p.w * frozenShare;
          let tw = p.w - fw;
          // A small trainable head behind a big frozen backbone would be invisible at true width: give any
          // trainable part at least MIN_VISIBLE units (taken from its own layer's frozen part when it has one).
          if (l.trainableParams > 0 && tw < MIN_VISIBLE) {
            tw = MIN_VISIBLE;
            fw = Math.max(0, p.w - tw);
          }
          const st = l.state;
          const tip = `${l.name}${l.type ? ` (${l.type})` : ''}${stageOf.get(l.name) ? ` · ${stageOf.get(l.name)}` : ''}: ${int(l.params)} params, ${int(l.trainableParams)} trainable, ${int(l.frozenParams)} frozen${changed ? ' · changed this epoch' : ''}`;
          let g = `<g class="seg" data-layer="${escapeHtml(l.name)}" data-state="${st}"${changed ? ' data-changed="1"' : ''}><title>${escapeHtml(tip)}</title>`;
          if (fw > 0)
            g += `<rect x="${r2(p.x)}" y="${y}" width="${r2(Math.max(fw, 0.4))}" height="${rowH}" fill="${C.frozen}"/>`;
          if (tw > 0) {
            const tx = Math.min(p.x + fw, L + bw - tw);
            g += `<rect x="${r2(tx)}" y="${y}" width="${r2(Math.max(tw, 0.4))}" height="${rowH}" fill="${C.trainable}"/>`;
          }
          if (p.w > 3)
            g += `<line x1="${r2(p.x + p.w)}" x2="${r2(p.x + p.w)}" y1="${y}" y2="${y + rowH}" stroke="#fff" stroke-opacity="0.7" stroke-width="0.8"/>`;
          if (changed)
            g += `<rect x="${r2(p.x)}" y="${y - 3}" width="${r2(Math.max(p.w, 1))}" height="3" fill="#2b8a3e"/>`;
          return `${g}</g>`;
        })
        .join('');
      prevState = state;
      const s = row.plan.summary;
      return `<g class="frost-row" data-epoch="${row.plan.epoch}" data-trainable="${s.trainableParams}"><text x="0" y="${y + rowH / 2 + 4}" class="rowlabel">${escapeHtml(row.label)}</text><rect x="${L}" y="${y}" width="${bw}" height="${rowH}" fill="#eef1f5"/>${segs}<text x="${W - R}" y="${y + rowH / 2 + 4}" text-anchor="end" class="rowpct">${s.trainablePercent.toFixed(1)}%</text></g>`;
    })
    .join('');
  const note =
    rows.length > 1
      ? 'One row per epoch: the schedule changes what is frozen. A green mark shows a layer that changed at that epoch.'
      : 'The plan is the same in every epoch.';
  return `<svg class="frostmap" viewBox="0 0 ${W} ${H}" role="img" aria-label="frost map" data-rows="${rows.length}" data-layers="${base.length}">${brackets}${body}</svg>
<p class="caption">Layers in model order, width proportional to parameter count (${int(total)} parameters in ${base.length} layers; a trainable part is drawn at least ${MIN_VISIBLE / 10}% wide). <span class="key"><i style="background:${C.frozen}"></i>frozen</span> <span class="key"><i style="background:${C.trainable}"></i>trainable</span> ${note} Percentages: trainable share.</p>`;
}

/** `; frozen part on onnxruntime, 812 images/s, 4.9× TF.js (first batch)` for a cache build that names its engine. */
function engineNote(c: NonNullable<RunRecord['cache']>[number]): string {
  if (!c.engine) return '';
  const rate = c.examplesPerSec !== undefined ? `, ${int(c.examplesPerSec)} images/s` : '';
  const speed =
    c.engineSpeedup !== undefined && c.engine !== 'tfjs' && Number.isFinite(c.engineSpeedup)
      ? `, ${c.engineSpeedup.toFixed(1)}× TF.js on the first batch`
      : '';
  return `; frozen part on <span class="engine" data-engine="${escapeHtml(c.engine)}">${escapeHtml(c.engine)}</span>${rate}${speed}`;
}

function timing(run: RunRecord): string {
  const eps = run.epochs;
  if (eps.length === 0 || eps.every((e) => e.ms === undefined))
    return '<p class="nodata">no timing recorded</p>';
  const maxMs = Math.max(...eps.map((e) => e.ms ?? 0), 1);
  const W = 1000;
  const L = 92;
  const R = 200;
  const rowH = 18;
  const gap = 6;
  const bw = W - L - R;
  const bars = eps
    .map((e, i) => {
      const y = i * (rowH + gap);
      const ms = e.ms ?? 0;
      const f = Math.min(e.frozenMs ?? 0, ms);
      const t = Math.min(e.trainableMs ?? 0, ms - f);
      const o = Math.max(0, ms - f - t);
      const sx = (v: number) => (v / maxMs) * bw;
      let x = L;
      let g = `<g class="tbar" data-epoch="${e.epoch}"><title>epoch ${e.epoch + 1}: ${formatDuration(ms)} (frozen part ${formatDuration(f)}, trainable part ${formatDuration(t)}, other ${formatDuration(o)})${e.cache ? ` · cache ${e.cache}` : ''}</title><text x="0" y="${y + 13}" class="rowlabel">epoch ${e.epoch + 1}</text>`;
      for (const [v, color] of [
        [f, C.frozen],
        [t, C.trainable],
        [o, C.other],
      ] as const) {
        if (v > 0)
          g += `<rect x="${r2(x)}" y="${y}" width="${r2(Math.max(sx(v), 0.5))}" height="${rowH}" fill="${color}"/>`;
        x += sx(v);
      }
      const badge = e.cache ? ` · ${e.cache === 'hit' ? '⚡ cache hit' : `cache ${e.cache}`}` : '';
      g += `<text x="${r2(x + 6)}" y="${y + 13}" class="tval">${formatDuration(ms)}${escapeHtml(badge)}</text></g>`;
      return g;
    })
    .join('');
  const H = eps.length * (rowH + gap);
  const sum = (k: 'ms' | 'frozenMs' | 'trainableMs') => eps.reduce((s, e) => s + (e[k] ?? 0), 0);
  const totalMs = sum('ms');
  const hits = eps.filter((e) => e.cache === 'hit').length;
  const withCache = eps.filter((e) => e.cache !== undefined).length;
  const rows = eps
    .map(
      (e) =>
        `<tr><td>${e.epoch + 1}</td><td class="num">${formatDuration(e.ms)}</td><td class="num">${e.ms && e.frozenMs !== undefined ? pct(e.frozenMs / e.ms) : '–'}</td><td class="num">${e.ms && e.trainableMs !== undefined ? pct(e.trainableMs / e.ms) : '–'}</td><td class="num">${e.examplesPerSec !== undefined ? int(e.examplesPerSec) : '–'}</td><td>${e.cache ? `<span class="badge cache-${escapeHtml(e.cache)}">${escapeHtml(e.cache)}</span>` : '–'}</td></tr>`,
    )
    .join('');
  const cacheNotes = (run.cache ?? [])
    .filter((c) => c.reason)
    .map(
      (c) =>
        `<li><b>${escapeHtml(c.status)}</b>${c.epoch !== undefined ? ` (epoch ${c.epoch + 1})` : ''}: ${escapeHtml(c.reason)}${c.ms !== undefined ? `, ${formatDuration(c.ms)}` : ''}${engineNote(c)}</li>`,
    )
    .join('');
  return `<div class="timing-summary"><div><b>${formatDuration(totalMs)}</b> in ${eps.length} epoch${eps.length === 1 ? '' : 's'}</div><div><b>${totalMs ? pct(sum('frozenMs') / totalMs) : '–'}</b> in the frozen part</div><div><b>${totalMs ? pct(sum('trainableMs') / totalMs) : '–'}</b> in the trainable part</div><div><b>${withCache ? `${hits}/${withCache}` : '–'}</b> epochs served from the activation cache</div></div>
<svg class="timebars" viewBox="0 0 ${W} ${H}" role="img" aria-label="time per epoch" data-bars="${eps.length}">${bars}</svg>
<p class="caption"><span class="key"><i style="background:${C.frozen}"></i>frozen part (forward through the frozen prefix, or reading its cached activations)</span> <span class="key"><i style="background:${C.trainable}"></i>trainable part</span> <span class="key"><i style="background:${C.other}"></i>other</span></p>
<table class="data"><thead><tr><th>epoch</th><th class="num">time</th><th class="num">frozen share</th><th class="num">trainable share</th><th class="num">examples/s</th><th>cache</th></tr></thead><tbody>${rows}</tbody></table>
${cacheNotes ? `<ul class="notes">${cacheNotes}</ul>` : ''}`;
}

function ruleText(plan: PlanSnapshot, indices: readonly number[]): string {
  if (indices.length === 0) return '<span class="muted">default</span>';
  return indices
    .map((i) => {
      const r = plan.rules.find((x) => x.index === i) ?? plan.rules[i];
      return r
        ? `<code title="${escapeHtml(r.source)}">${escapeHtml(r.action)} ${escapeHtml(r.selector)}</code>`
        : `<code>#${i}</code>`;
    })
    .join(' ');
}

function planTable(run: RunRecord): string {
  const rows = frostRows(run.plans, run.epochs.length);
  if (rows.length === 0) return '<p class="nodata">no plan recorded</p>';
  const bodies = rows
    .map((row, i) => {
      // Layers of inference-only runtimes (ONNX, graph models) are frozen by construction, not by a rule.
      const fixedLayers = new Set<string>();
      if (row.plan.entries) {
        const notFixed = new Set(row.plan.entries.filter((e) => !e.fixed).map((e) => e.layer));
        for (const e of row.plan.entries) if (e.fixed && !notFixed.has(e.layer)) fixedLayers.add(e.layer);
      }
      const lines = row.plan.layers
        .filter((l: LayerSummary) => l.params > 0)
        .map(
          (l) =>
            `<tr data-name="${escapeHtml(l.name.toLowerCase())}"><td class="num muted">${l.index}</td><td class="name">${escapeHtml(l.name)}</td><td class="muted">${escapeHtml(l.type ?? '')}</td><td class="num">${int(l.params)}</td><td class="num">${int(l.trainableParams)}</td><td class="num">${int(l.frozenParams)}</td><td><span class="badge state-${l.state}">${l.state}</span>${l.bnMode ? ` <span class="badge bn">BN ${escapeHtml(l.bnMode)}</span>` : ''}</td><td>${fixedLayers.has(l.name) && l.rules.length === 0 ? '<span class="muted">fixed (inference-only)</span>' : ruleText(row.plan, l.rules)}</td></tr>`,
        )
        .join('');
      return `<tbody data-plan="${i}"${i === rows.length - 1 ? '' : ' hidden'}>${lines}</tbody>`;
    })
    .join('');
  const select =
    rows.length > 1
      ? `<label>plan at <select class="plan-epoch">${rows.map((r, i) => `<option value="${i}"${i === rows.length - 1 ? ' selected' : ''}>${escapeHtml(r.label)}</option>`).join('')}</select></label>`
      : '';
  const last = rows[rows.length - 1]!.plan;
  const rules = last.rules.length
    ? `<ol class="rules" start="0">${last.rules.map((r) => `<li><code>${escapeHtml(r.action)} ${escapeHtml(r.selector)}</code> <span class="muted">${escapeHtml(r.source)}${r.strict ? '' : ' · not strict'}</span></li>`).join('')}</ol>`
    : '<p class="muted">No rules: every parameter takes the policy default.</p>';
  return `<div class="plan-block"><div class="plan-tools">${select}<input class="plan-filter" type="search" placeholder="filter layers…" aria-label="filter layers"></div>
<div class="scroll"><table class="data plan plan-table"><thead><tr><th class="num">#</th><th>layer</th><th>type</th><th class="num">params</th><th class="num">trainable</th><th class="num">frozen</th><th>state</th><th>decided by</th></tr></thead>${bodies}</table></div></div>
<details class="rules-box"><summary>Rules, in the order the planner applies them (last match wins)</summary>${rules}</details>`;
}

const CSS = `
:root{--bg:#f4f6f9;--card:#fff;--text:${C.text};--muted:#6b7686;--line:#e4e8ee;--ice:${C.frozen};--amber:${C.trainable}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:linear-gradient(135deg,#0f2a44 0%,#1d4e7a 60%,#2f6f9f 100%);color:#fff;padding:28px 36px 60px}
header .brand{font-size:13px;letter-spacing:.12em;text-transform:uppercase;opacity:.75}
header h1{margin:6px 0 4px;font-size:26px;font-weight:650}
header .meta{opacity:.85;font-size:13px}
header .meta span+span::before{content:"·";margin:0 8px;opacity:.6}
main{max-width:1120px;margin:-40px auto 40px;padding:0 24px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:14px;margin-bottom:18px}
.card{background:var(--card);border-radius:12px;padding:14px 16px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 4px 14px rgba(16,24,40,.06)}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.06em}
.card .value{font-size:24px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .sub{color:var(--muted);font-size:12px}
section{background:var(--card);border-radius:12px;padding:18px 22px;margin-bottom:18px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 4px 14px rgba(16,24,40,.06)}
section h2{font-size:16px;margin:0 0 12px;font-weight:650}
section h2 small{font-weight:400;color:var(--muted);margin-left:8px;font-size:13px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px}
figure.chart{margin:0}
figure.chart figcaption{font-weight:600;display:flex;justify-content:space-between;align-items:center;margin-bottom:4px}
.legend{font-weight:400;font-size:12px;color:var(--muted)}
.key{display:inline-flex;align-items:center;margin-left:12px;white-space:nowrap}
.key i{display:inline-block;width:14px;height:4px;border-radius:2px;margin-right:5px}
.caption .key i{height:10px;width:10px}
.key i.dash{background-image:linear-gradient(90deg,transparent 50%,#fff 50%)!important;background-size:6px 4px}
svg{width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:#59636f}
svg .tick{font-size:11px}
svg .axis-label{font-size:11px;fill:#8a94a3}
svg .rowlabel{font-size:12px;fill:#39424e;font-weight:600}
svg .rowpct{font-size:11px;fill:#fff;font-weight:600;paint-order:stroke;stroke:rgba(0,0,0,.35);stroke-width:2px}
svg .stage{font-size:11px;fill:#39424e}
svg .tval{font-size:12px;fill:#39424e}
svg .seg:hover rect{filter:brightness(1.12)}
.nodata{color:var(--muted);padding:24px;text-align:center;border:1px dashed var(--line);border-radius:8px}
.caption{color:var(--muted);font-size:12.5px;margin:8px 0 0}
.caption .key{margin-left:0;margin-right:12px}
.timing-summary{display:flex;flex-wrap:wrap;gap:10px 28px;margin-bottom:12px;color:var(--muted)}
.timing-summary b{color:var(--text);font-size:16px}
table.data{border-collapse:collapse;width:100%;font-size:13px;margin-top:12px}
table.data th{text-align:left;font-weight:600;color:var(--muted);border-bottom:1px solid var(--line);padding:6px 8px;background:var(--card)}
.scroll table.data th{position:sticky;top:0;z-index:1}
table.data td{border-bottom:1px solid var(--line);padding:5px 8px;vertical-align:top}
table.data tr:last-child td{border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
td.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#f1f3f6;border-radius:4px;padding:1px 5px}
.badge{display:inline-block;border-radius:999px;padding:0 8px;font-size:11.5px;font-weight:600;line-height:19px}
.state-frozen{background:#e1effa;color:#1f5f8f}
.state-trainable{background:#fdebd8;color:#9a4d06}
.state-partial{background:linear-gradient(90deg,#e1effa 50%,#fdebd8 50%);color:#39424e}
.state-none{background:#eef1f5;color:#6b7686}
.badge.bn{background:#eef1f5;color:#4b5563}
.cache-hit{background:#d3f9d8;color:#2b8a3e}
.cache-built{background:#fff3bf;color:#8a6d0b}
.cache-invalidated{background:#ffe3e3;color:#c92a2a}
.cache-disabled{background:#eef1f5;color:#6b7686}
.status{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600;background:rgba(255,255,255,.18);margin-left:10px;vertical-align:middle}
.plan-tools{display:flex;gap:14px;align-items:center;justify-content:flex-end}
.plan-tools input,.plan-tools select{font:inherit;padding:5px 9px;border:1px solid var(--line);border-radius:7px;background:#fff}
.scroll{max-height:520px;overflow:auto;border-radius:6px}
.summary-line{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:#f1f3f6;border-radius:6px;padding:8px 12px;margin:0 0 4px}
details.rules-box{margin-top:12px}
details summary{cursor:pointer;color:var(--muted)}
ol.rules{margin:8px 0 0;padding-left:26px}
ul.notes{color:var(--muted);margin:10px 0 0;padding-left:18px}
pre.config{background:#0f1b2a;color:#d8e3f0;border-radius:8px;padding:14px 16px;overflow:auto;font-size:12.5px;line-height:1.5;margin:0}
footer{color:var(--muted);font-size:12px;text-align:center;margin:24px 0 40px}
nav.toc{background:var(--card);border-radius:12px;padding:12px 18px;margin-bottom:18px;display:flex;flex-wrap:wrap;gap:8px 18px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 4px 14px rgba(16,24,40,.06)}
nav.toc a{color:#1d4e7a;text-decoration:none;font-weight:600}
.run-block{margin-top:30px}
h2.run-title{font-size:20px;margin:0 0 2px}
.run-meta{color:var(--muted);font-size:13px;margin-bottom:12px}
.run-meta span+span::before{content:"·";margin:0 8px;opacity:.6}
.status.dark{background:#fff3bf;color:#8a6d0b}
pre.text{background:#f1f3f6;border-radius:8px;padding:12px 14px;overflow:auto;font-size:12.5px;margin:0}
`;

const SCRIPT = `
(function(){
  var blocks=document.querySelectorAll('.plan-block');
  Array.prototype.forEach.call(blocks,function(block){
    var table=block.querySelector('.plan-table');
    var sel=block.querySelector('.plan-epoch');
    var filter=block.querySelector('.plan-filter');
    if(!table)return;
    function apply(){
      var idx=sel?sel.value:null;
      var q=filter?filter.value.trim().toLowerCase():'';
      var bodies=table.tBodies;
      for(var i=0;i<bodies.length;i++){
        var b=bodies[i];
        b.hidden=idx!==null&&b.getAttribute('data-plan')!==idx;
        for(var j=0;j<b.rows.length;j++){
          var r=b.rows[j];
          r.style.display=!q||(r.getAttribute('data-name')||'').indexOf(q)>=0?'':'none';
        }
      }
    }
    if(sel)sel.addEventListener('change',apply);
    if(filter)filter.addEventListener('input',apply);
  });
})();
`;

function card(label: string, value: string, sub = ''): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value">${value}</div>${sub ? `<div class="sub">${sub}</div>` : ''}</div>`;
}

function lastDefined(eps: EpochRecord[], key: keyof EpochRecord): number | undefined {
  for (let i = eps.length - 1; i >= 0; i--) {
    const v = eps[i]![key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** A free-form part of a multi-run report: preformatted text and/or a table. */
export interface ReportSection {
  title: string;
  /** Shown above the table, as a paragraph. */
  description?: string;
  /** Preformatted text (a plan table from the CLI, a log excerpt). */
  text?: string;
  table?: { columns: readonly string[]; rows: ReadonlyArray<ReadonlyArray<string | number>> };
}

/** Several runs (and free sections) in one page: what the demo writes. */
export interface MultiRunReport {
  title: string;
  subtitle?: string;
  createdAt?: string;
  /** Shown first, in order. */
  sections?: readonly ReportSection[];
  runs: ReadonlyArray<RunRecord & { name?: string }>;
}

function isMulti(input: RunRecord | MultiRunReport): input is MultiRunReport {
  return Array.isArray((input as MultiRunReport).runs);
}

function cardsOf(run: RunRecord, eps: EpochRecord[]): string {
  const n = eps.length;
  const last = run.plans[run.plans.length - 1];
  const valAcc = lastDefined(eps, 'valAcc');
  const acc = lastDefined(eps, 'acc');
  const cards: string[] = [];
  if (run.test?.acc !== undefined) {
    cards.push(
      card('test accuracy', pct(run.test.acc), run.test.examples ? `${int(run.test.examples)} examples` : ''),
    );
  }
  if (valAcc !== undefined) cards.push(card('validation accuracy', pct(valAcc), `after epoch ${n}`));
  else if (acc !== undefined) cards.push(card('train accuracy', pct(acc), `after epoch ${n}`));
  const loss = lastDefined(eps, 'valLoss') ?? lastDefined(eps, 'loss');
  if (loss !== undefined)
    cards.push(
      card(lastDefined(eps, 'valLoss') !== undefined ? 'validation loss' : 'train loss', fixed(loss)),
    );
  if (last) {
    cards.push(
      card(
        'trainable parameters',
        `${last.summary.trainablePercent.toFixed(2)}%`,
        `${int(last.summary.trainableParams)} of ${int(last.summary.totalParams)}`,
      ),
    );
  }
  const totalMs = run.totalMs ?? eps.reduce((s, e) => s + (e.ms ?? 0), 0);
  cards.push(card('training time', formatDuration(totalMs), `${n} epoch${n === 1 ? '' : 's'}`));
  const withCache = eps.filter((e) => e.cache !== undefined);
  if (withCache.length) {
    cards.push(
      card(
        'cache hits',
        `${withCache.filter((e) => e.cache === 'hit').length}/${withCache.length}`,
        'epochs from cached activations',
      ),
    );
  }
  return `<div class="cards">${cards.join('')}</div>`;
}

/** The sections of one run (cards, curves, frost map, timing, plan, config). */
function runBody(run: RunRecord, key: string): string {
  const eps = [...run.epochs].sort((a, b) => a.epoch - b.epoch);
  const n = eps.length;
  const last = run.plans[run.plans.length - 1];
  const lossChart = lineChart({
    id: 'loss',
    title: 'Loss',
    epochs: n,
    series: [
      { id: 'loss-train', label: 'train', color: C.train, values: eps.map((e) => e.loss) },
      { id: 'loss-val', label: 'validation', color: C.val, values: eps.map((e) => e.valLoss), dashed: true },
    ],
  });
  const accChart = lineChart({
    id: 'accuracy',
    title: 'Accuracy',
    epochs: n,
    percent: true,
    series: [
      { id: 'acc-train', label: 'train', color: C.train, values: eps.map((e) => e.acc) },
      { id: 'acc-val', label: 'validation', color: C.val, values: eps.map((e) => e.valAcc), dashed: true },
    ],
  });
  const s = last?.summary;
  const summaryLine = s
    ? `<p class="summary-line">trainable params: ${int(s.trainableParams)} || all params: ${int(s.totalParams)} || trainable%: ${s.trainablePercent.toFixed(2)}${s.bufferParams ? ` || buffers: ${int(s.bufferParams)}` : ''}</p>`
    : '';
  const dataset = run.dataset
    ? `<p class="caption">Data: ${[
        run.dataset.train !== undefined ? `${int(run.dataset.train)} train` : '',
        run.dataset.validation !== undefined ? `${int(run.dataset.validation)} validation` : '',
        run.dataset.test !== undefined ? `${int(run.dataset.test)} test` : '',
        run.dataset.classes
          ? `${run.dataset.classes.length} classes (${run.dataset.classes.slice(0, 12).map(escapeHtml).join(', ')}${run.dataset.classes.length > 12 ? ', …' : ''})`
          : '',
      ]
        .filter(Boolean)
        .join(' · ')}</p>`
    : '';
  const notes = run.notes?.length
    ? `<ul class="notes">${run.notes.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>`
    : '';
  const config =
    run.config !== undefined
      ? `<section class="config-section"><h2>Configuration</h2><pre class="config">${escapeHtml(JSON.stringify(run.config, null, 2))}</pre></section>`
      : '';
  return `<div class="run" data-run="${escapeHtml(key)}">${cardsOf(run, eps)}
<section class="curves"><h2>Training curves<small>per epoch, train and validation</small></h2><div class="charts">${lossChart}${accChart}</div>${dataset}${notes}</section>
<section class="frost"><h2>Frost map<small>what is frozen, layer by layer</small></h2>${frostMap(run)}</section>
<section class="timing"><h2>Timing<small>per epoch: frozen part vs trainable part</small></h2>${timing({ ...run, epochs: eps })}</section>
<section class="plan"><h2>Plan<small>per layer${last ? `, epoch ${last.epoch + 1}` : ''}</small></h2>${summaryLine}${planTable(run)}</section>
${config}</div>`;
}

function metaLine(run: RunRecord): string {
  return [
    run.model ? `model <b>${escapeHtml(run.model)}</b>` : '',
    run.task ? escapeHtml(run.task) : '',
    run.backend ? `backend ${escapeHtml(run.backend)}` : '',
    run.createdAt ? escapeHtml(prettyDate(run.createdAt)) : '',
  ]
    .filter(Boolean)
    .map((m) => `<span>${m}</span>`)
    .join('');
}

function prettyDate(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC');
}

function sectionHtml(sec: ReportSection): string {
  const table = sec.table
    ? `<div class="scroll"><table class="data"><thead><tr>${sec.table.columns.map((c, i) => `<th${i > 0 ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${sec.table.rows
        .map(
          (r) =>
            `<tr>${r.map((v, i) => `<td${i > 0 && typeof v === 'number' ? ' class="num"' : ''}>${escapeHtml(typeof v === 'number' ? (Number.isInteger(v) ? int(v) : v.toFixed(4)) : v)}</td>`).join('')}</tr>`,
        )
        .join('')}</tbody></table></div>`
    : '';
  return `<section class="free"><h2>${escapeHtml(sec.title)}</h2>${sec.description ? `<p class="caption">${escapeHtml(sec.description)}</p>` : ''}${sec.text ? `<pre class="text">${escapeHtml(sec.text)}</pre>` : ''}${table}</section>`;
}

function page(title: string, header: string, body: string, createdAt?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)} · frostline report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<div class="brand">❄ frostline run report</div>
${header}
</header>
<main>
${body}
<footer>Generated by frostline${createdAt ? ` on ${escapeHtml(prettyDate(createdAt))}` : ''}. This file is self-contained: it loads nothing from the network.</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Renders one run, or several runs plus free sections (`MultiRunReport`), as one self-contained
 * HTML page.
 */
export function renderReport(input: RunRecord | MultiRunReport): string {
  if (!isMulti(input)) {
    const run = input;
    const title = run.title ?? `${run.model ?? 'model'} · ${run.task ?? 'training run'}`;
    const status =
      run.status && run.status !== 'completed' ? `<span class="status">${escapeHtml(run.status)}</span>` : '';
    return page(
      title,
      `<h1>${escapeHtml(title)}${status}</h1>\n<div class="meta">${metaLine(run)}</div>`,
      runBody(run, 'run'),
      run.createdAt,
    );
  }
  const runs = input.runs;
  // The table of contents also keeps the first run's title off the dark header band.
  const toc = `<nav class="toc">${[
    ...(input.sections ?? []).map((s, i) => `<a href="#section-${i}">${escapeHtml(s.title)}</a>`),
    ...runs.map((r, i) => `<a href="#run-${i}">${escapeHtml(r.name ?? r.title ?? `run ${i + 1}`)}</a>`),
  ].join('')}</nav>`;
  const sections = (input.sections ?? [])
    .map((s, i) => `<div id="section-${i}">${sectionHtml(s)}</div>`)
    .join('');
  const body = runs
    .map((r, i) => {
      const name = r.name ?? r.title ?? `run ${i + 1}`;
      const status =
        r.status && r.status !== 'completed'
          ? `<span class="status dark">${escapeHtml(r.status)}</span>`
          : '';
      return `<div class="run-block" id="run-${i}"><h2 class="run-title">${escapeHtml(name)}${status}</h2><div class="run-meta">${metaLine(r)}</div>${runBody(r, String(i))}</div>`;
    })
    .join('');
  return page(
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>${input.subtitle ? `\n<div class="meta"><span>${escapeHtml(input.subtitle)}</span></div>` : ''}`,
    `${toc}${sections}${body}`,
    input.createdAt,
  );
}

/** Writes `report.html` into `dir` (atomically: a temp file renamed into place) and returns its path. */
export function writeReport(dir: string, run: RunRecord): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'report.html');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, renderReport(run));
  renameSync(tmp, path);
  return path;
}
