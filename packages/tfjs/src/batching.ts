import { seededRandom } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import type { TrainData, XY } from './data';
import { FrostlineTfjsError } from './errors';

const first = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x[0]! : x);
export const rows = (x: tf.Tensor | tf.Tensor[]) => first(x).shape[0] ?? 0;

/** Split train/validation as Keras does: the last `fraction` of rows validates (no shuffle before). */
export function splitData(
  data: TrainData,
  validationSplit: number | undefined,
): { train: XY; validation?: XY; owned: tf.Tensor[] } {
  if ('train' in data) {
    if (validationSplit !== undefined) {
      throw new FrostlineTfjsError(
        'BAD_OPTION',
        `validationSplit (${validationSplit}) only splits { x, y } data; this data names its sets as { train, validation }. ` +
          'Drop validationSplit, or pass { x, y } to have the last rows validate.',
      );
    }
    return { train: data.train, ...(data.validation ? { validation: data.validation } : {}), owned: [] };
  }
  if (!validationSplit) return { train: data, owned: [] };
  if (!(validationSplit > 0 && validationSplit < 1)) {
    throw new FrostlineTfjsError('BAD_OPTION', `validationSplit must be in (0, 1), got ${validationSplit}.`);
  }
  const n = rows(data.x);
  const nVal = Math.floor(n * validationSplit);
  if (nVal < 1 || nVal >= n) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `validationSplit ${validationSplit} of ${n} examples leaves an empty train or validation set.`,
    );
  }
  const cut = n - nVal;
  const slice = (t: tf.Tensor, a: number, b: number) => t.slice(a, b - a);
  const sx = (a: number, b: number) =>
    Array.isArray(data.x) ? data.x.map((t) => slice(t, a, b)) : slice(data.x, a, b);
  const train = { x: sx(0, cut), y: slice(data.y, 0, cut) };
  const validation = { x: sx(cut, n), y: slice(data.y, cut, n) };
  const owned = [train.y, validation.y, ...[train.x, validation.x].flat()];
  return { train, validation, owned };
}

/** Row order for an epoch: identity, or a Fisher–Yates shuffle seeded by (seed, epoch). */
export function epochOrder(n: number, shuffle: boolean, seed: number, epoch: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return order;
  const r = seededRandom((seed * 1_000_003 + epoch * 7919 + 1) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Rows `order[start..end)` of a tensor: a slice when contiguous, else a gather. */
export function takeRows(
  t: tf.Tensor,
  order: Int32Array,
  start: number,
  end: number,
  contiguous: boolean,
): tf.Tensor {
  if (contiguous) return t.slice(start, end - start);
  return tf.tidy(() => tf.gather(t, tf.tensor1d(order.subarray(start, end), 'int32')));
}
