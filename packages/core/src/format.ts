/**
 * Plans as text: a per-layer (or per-parameter) table like Keras `summary()`, a GFM table, or JSON,
 * followed by PEFT's one-line summary `trainable params: … || all params: … || trainable%: …`.
 */
import { PolicyError } from './errors';
import { describeValue } from './model';
import { formatFactor } from './plan';
import { nearestNames } from './suggest';
import type { FormatOptions, Plan, PlanFormat } from './types';

const FORMATS: PlanFormat[] = ['table', 'markdown', 'json'];

/** 1234567 → '1,234,567' (locale-independent). */
export function formatCount(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** PEFT's `print_trainable_parameters` line. */
export function formatSummaryLine(plan: Plan): string {
  const s = plan.summary;
  return `trainable params: ${formatCount(s.trainableParams)} || all params: ${formatCount(s.totalParams)} || trainable%: ${s.trainablePercent.toFixed(4)}`;
}

interface Table {
  header: string[];
  /** true = right-aligned (numbers). */
  right: boolean[];
  rows: string[][];
  more: number;
}

function ruleLabel(plan: Plan, indices: readonly number[], isDefault: boolean): string {
  const parts = indices.map((i) => plan.rules[i]?.source ?? `#${i}`);
  if (isDefault) parts.push('default');
  return parts.join(', ');
}

function layerTable(plan: Plan, maxRows: number): Table {
  const defaultLayers = new Set<number>();
  for (const e of plan.entries)
    if (e.kind === 'parameter' && e.decision === 'default') defaultLayers.add(e.layerIndex);
  const rows = plan.layers.map((l) => [
    l.name === '' ? '(root)' : l.name,
    l.type ?? '',
    formatCount(l.params),
    formatCount(l.trainableParams),
    formatCount(l.frozenParams),
    l.bnMode ? `${l.state} (bn ${l.bnMode})` : l.state,
    ruleLabel(plan, l.rules, defaultLayers.has(l.index)),
  ]);
  return {
    header: ['Layer', 'Type', 'Params', 'Trainable', 'Frozen', 'State', 'Rule'],
    right: [false, false, true, true, true, false, false],
    rows: rows.slice(0, maxRows),
    more: Math.max(0, rows.length - maxRows),
  };
}

function paramTable(plan: Plan, maxRows: number): Table {
  const rows = plan.entries.map((e) => [
    e.name,
    `[${e.shape.join(', ')}]`,
    formatCount(e.size),
    e.kind === 'buffer' ? 'buffer' : e.trainable ? 'trainable' : 'frozen',
    formatFactor(e.lrFactor),
    e.decidedBy !== null ? (plan.rules[e.decidedBy]?.source ?? '') : (e.decision ?? ''),
  ]);
  return {
    header: ['Parameter', 'Shape', 'Params', 'State', 'LR', 'Rule'],
    right: [false, false, true, false, true, false],
    rows: rows.slice(0, maxRows),
    more: Math.max(0, rows.length - maxRows),
  };
}

function renderText(t: Table): string {
  const widths = t.header.map((h, c) => Math.max(h.length, ...t.rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (t.right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const out = [line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  if (t.more > 0) out.push(`… ${formatCount(t.more)} more rows`);
  return out.join('\n');
}

function renderMarkdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    `| ${t.header.join(' | ')} |`,
    `| ${t.right.map((r) => (r ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  if (t.more > 0) out.push('', `_… ${formatCount(t.more)} more rows_`);
  return out.join('\n');
}

/** Machine-readable plan: everything but the methods. */
export function planToJSON(plan: Plan): object {
  return {
    epoch: plan.epoch,
    summary: plan.summary,
    rules: plan.rules,
    layers: plan.layers,
    entries: plan.entries,
    policy: plan.policy,
  };
}

/** Render a plan as an aligned text table, a GFM (markdown) table or JSON. */
export function formatPlan(plan: Plan, format: PlanFormat = 'table', opts: FormatOptions = {}): string {
  if (!FORMATS.includes(format)) {
    throw new PolicyError('INVALID_FORMAT', `unknown plan format ${describeValue(format)}`, {
      path: 'format',
      suggestions: typeof format === 'string' ? nearestNames(format, FORMATS, 1) : [],
      hint: `Use one of: ${FORMATS.join(', ')}.`,
    });
  }
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.entries)) {
    throw new PolicyError('INVALID_TYPE', `expected a plan from planFreeze(), got ${describeValue(plan)}`, {
      path: 'plan',
    });
  }
  if (format === 'json') return JSON.stringify(planToJSON(plan), null, 2);
  const by = opts?.by ?? 'layer';
  if (by !== 'layer' && by !== 'parameter') {
    throw new PolicyError('INVALID_FORMAT', `unknown table grouping ${describeValue(by)}`, {
      path: 'by',
      hint: "Use 'layer' or 'parameter'.",
    });
  }
  const maxRows = opts?.maxRows ?? Number.POSITIVE_INFINITY;
  if (typeof maxRows !== 'number' || Number.isNaN(maxRows) || maxRows < 0) {
    throw new PolicyError('INVALID_TYPE', `maxRows must be a number ≥ 0, got ${describeValue(maxRows)}`, {
      path: 'maxRows',
    });
  }
  const table = by === 'layer' ? layerTable(plan, maxRows) : paramTable(plan, maxRows);
  const body = format === 'table' ? renderText(table) : renderMarkdown(table);
  return `${body}\n\n${formatSummaryLine(plan)}`;
}
