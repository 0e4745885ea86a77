import { formatCount, formatSummaryLine, type Plan } from '@frostline/core';
import { h } from './dom';

/**
 * The live plan: one row per layer that holds weights (stage, type, parameters, trainable, state,
 * BatchNorm mode, LR factor), with core's summary line as the caption. `data-trainable` carries the
 * trainable count for tests and assistive tools.
 */
export function planTable(plan: Plan, stageOf: (layer: string) => string | undefined): HTMLTableElement {
  const lr = new Map<string, number>();
  for (const e of plan.entries) if (e.trainable) lr.set(e.layer, e.lrFactor);
  const rows = plan.layers
    .filter((l) => l.params > 0 || (l.buffers ?? 0) > 0)
    .map((l) =>
      h(
        'tr',
        { class: `state-${l.state}` },
        h('td', {}, stageOf(l.name) ?? ''),
        h('th', { scope: 'row' }, l.name),
        h('td', {}, l.type ?? ''),
        h('td', { class: 'num' }, formatCount(l.params)),
        h('td', { class: 'num' }, formatCount(l.trainableParams)),
        h('td', {}, l.state),
        h('td', {}, l.bnMode ?? ''),
        h('td', { class: 'num' }, lr.has(l.name) ? String(lr.get(l.name)) : ''),
      ),
    );
  return h(
    'table',
    {
      'data-testid': 'plan-table',
      'data-trainable': plan.summary.trainableParams,
      'data-total': plan.summary.totalParams,
      class: 'plan',
    },
    h('caption', {}, formatSummaryLine(plan)),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['stage', 'layer', 'type', 'params', 'trainable', 'state', 'BatchNorm', 'LR factor'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h('tbody', {}, ...rows),
  );
}
