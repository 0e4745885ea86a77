import type { EpochLogs } from '@frostline/tfjs';

const SVG = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * A small line chart of per-epoch values (train solid, validation dashed), with a text title for
 * screen readers (the numbers are also in the epoch table).
 */
export function lineChart(title: string, history: readonly EpochLogs[], key: 'loss' | 'acc'): SVGSVGElement {
  const w = 280;
  const hgt = 140;
  const pad = 28;
  const series = [
    { values: history.map((e) => e[key]), cls: 'train', label: key },
    { values: history.map((e) => e[`val_${key}`]), cls: 'val', label: `val_${key}` },
  ];
  const all = series.flatMap((s) => s.values).filter((v): v is number => v != null && Number.isFinite(v));
  const lo = key === 'acc' ? 0 : Math.min(0, ...all);
  const hi = key === 'acc' ? 1 : Math.max(1e-6, ...all);
  const n = Math.max(2, history.length);
  const x = (i: number) => pad + (i * (w - pad - 8)) / (n - 1);
  const y = (v: number) => hgt - pad + 8 - ((v - lo) / (hi - lo || 1)) * (hgt - pad - 8);
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, role: 'img', class: 'chart' }) as SVGSVGElement;
  const t = el('title', {});
  t.textContent = `${title}: ${series
    .map((s) => `${s.label} ${s.values.map((v) => (v == null ? '–' : v.toFixed(3))).join(', ')}`)
    .join('; ')}`;
  svg.append(t);
  svg.append(el('line', { x1: pad, y1: y(lo), x2: w - 8, y2: y(lo), class: 'axis' }));
  svg.append(el('line', { x1: pad, y1: y(lo), x2: pad, y2: y(hi), class: 'axis' }));
  for (const [v, label] of [
    [lo, lo.toFixed(key === 'acc' ? 0 : 2)],
    [hi, hi.toFixed(key === 'acc' ? 0 : 2)],
  ] as const) {
    const tx = el('text', { x: 2, y: y(v) + 4, class: 'tick' });
    tx.textContent = label;
    svg.append(tx);
  }
  for (const s of series) {
    const pts = s.values
      .map((v, i) => (v == null || !Number.isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter((p): p is string => p != null);
    if (pts.length) svg.append(el('polyline', { points: pts.join(' '), class: `line ${s.cls}` }));
  }
  const cap = el('text', { x: pad + 4, y: 12, class: 'chart-title' });
  cap.textContent = `${title} (— train, - - held-out)`;
  svg.append(cap);
  return svg;
}
