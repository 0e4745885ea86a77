import type { EpochLogs } from '@frostline/tfjs';
import { h, pct } from './dom';
import { argmax, type Evaluation } from './evaluate';

/** Per-class accuracy and the confusion matrix of the held-out split. */
export function confusionTable(ev: Evaluation, classNames: readonly string[]): HTMLTableElement {
  return h(
    'table',
    { 'data-testid': 'confusion', class: 'confusion' },
    h('caption', {}, `Held-out confusion matrix (rows: true class, columns: predicted), ${ev.total} images`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'true \\ predicted'),
        ...classNames.map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col' }, 'accuracy'),
      ),
    ),
    h(
      'tbody',
      {},
      ...ev.matrix.map((row, i) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, classNames[i] ?? `class ${i + 1}`),
          ...row.map((n) => h('td', { class: 'num' }, String(n))),
          h(
            'td',
            { class: 'num' },
            `${pct(ev.perClass[i]!.correct / (ev.perClass[i]!.total || Number.NaN))} (${ev.perClass[i]!.correct}/${ev.perClass[i]!.total})`,
          ),
        ),
      ),
    ),
  );
}

export function epochTable(
  history: readonly EpochLogs[],
  cache: ReadonlyMap<number, string>,
  ms: ReadonlyMap<number, number>,
): HTMLTableElement {
  const f = (v: number | undefined, digits = 4) => (v == null ? '–' : v.toFixed(digits));
  return h(
    'table',
    { class: 'epoch-table' },
    h('caption', {}, 'Epochs'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['epoch', 'loss', 'acc', 'held-out loss', 'held-out acc', 'cache', 'time'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...history.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, String(e.epoch + 1)),
          h('td', { class: 'num' }, f(e.loss)),
          h('td', { class: 'num' }, pct(e.acc)),
          h('td', { class: 'num' }, f(e.val_loss)),
          h('td', { class: 'num' }, pct(e.val_acc)),
          h('td', {}, cache.get(e.epoch) ?? '–'),
          h('td', { class: 'num' }, ms.has(e.epoch) ? `${Math.round(ms.get(e.epoch)!)} ms` : '–'),
        ),
      ),
    ),
  );
}

/** One predicted image: thumbnail, top class, and a bar per class. */
export function predictionRow(
  name: string,
  url: string,
  probs: ArrayLike<number>,
  classNames: readonly string[],
): HTMLElement {
  const top = argmax(probs);
  return h(
    'div',
    { class: 'pred', 'data-class': classNames[top] ?? '' },
    h('img', { src: url, alt: name }),
    h(
      'div',
      {},
      h('strong', {}, `${name}: ${classNames[top]} (${pct(probs[top])})`),
      h(
        'ul',
        { class: 'probs' },
        ...classNames.map((c, i) =>
          h(
            'li',
            {},
            h('span', { class: 'bar', style: `width:${Math.round((probs[i] ?? 0) * 120)}px` }),
            `${c}: ${pct(probs[i])}`,
          ),
        ),
      ),
    ),
  );
}
