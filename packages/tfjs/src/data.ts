import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';

export interface XY {
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
}
/** Either tensors to split (`validationSplit`) or explicit train / validation sets. */
export type TrainData = XY | { train: XY; validation?: XY };

export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError';

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const LOSSES: Record<string, LossName> = {
  categoricalcrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binarycrossentropy: 'binaryCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  meansquarederror: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
  meanabsoluteerror: 'meanAbsoluteError',
  mean_absolute_error: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
};

/** The per-example loss functions tfjs-layers' `fit` uses (same numerics). */
export function lossFunction(name: LossName): LossFn {
  const m = tf.metrics as unknown as Record<string, LossFn>;
  if (name === 'sparseCategoricalCrossentropy') {
    // tfjs-layers' own formula (not exported): one-hot the integer labels, then categorical crossentropy.
    const cce = m.categoricalCrossentropy!;
    return (yTrue, yPred) =>
      tf.tidy(() => {
        const units = yPred.shape[yPred.shape.length - 1]!;
        const flat = tf.cast(tf.floor(tf.cast(tf.reshape(yTrue, [-1]), 'float32')), 'int32');
        return cce(tf.reshape(tf.oneHot(flat, units), yPred.shape), yPred);
      });
  }
  return m[name]!;
}

export function parseLoss(name: string): LossName {
  const l = LOSSES[name.toLowerCase()];
  if (!l) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `Unknown loss '${name}'. Use one of: categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError, meanAbsoluteError.`,
    );
  }
  return l;
}

/** Accuracy matching the loss (categorical / sparse / binary), as a scalar. */
export function accuracy(loss: LossName, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    if (loss === 'binaryCrossentropy') return tf.mean(tf.metrics.binaryAccuracy(yTrue, yPred)) as tf.Scalar;
    if (loss === 'sparseCategoricalCrossentropy') {
      const t = yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue;
      return tf.mean(tf.cast(tf.equal(tf.cast(t, 'int32'), tf.argMax(yPred, -1)), 'float32')) as tf.Scalar;
    }
    return tf.mean(tf.metrics.categoricalAccuracy(yTrue, yPred)) as tf.Scalar;
  });
}

export const isClassification = (l: LossName) => l !== 'meanSquaredError' && l !== 'meanAbsoluteError';

const first = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x[0]! : x);
export const rows = (x: tf.Tensor | tf.Tensor[]) => first(x).shape[0] ?? 0;

/**
 * Pick the loss from the model's output and the labels when none is given: one-hot labels → categorical,
 * integer labels with a softmax of n>1 units → sparse categorical, a single sigmoid unit → binary, else MSE.
 */
export function inferLoss(model: tf.LayersModel, y: tf.Tensor): LossName {
  const outShape = model.outputs[0]!.shape;
  const units = outShape[outShape.length - 1] ?? 1;
  const lastDim = y.rank > 1 ? y.shape[y.rank - 1]! : 1;
  if (units > 1 && y.rank === outShape.length && lastDim > 1) return 'categoricalCrossentropy';
  if (units > 1 && (y.rank === 1 || lastDim === 1) && y.dtype === 'int32')
    return 'sparseCategoricalCrossentropy';
  if (units > 1 && (y.rank === 1 || lastDim === 1)) return 'sparseCategoricalCrossentropy';
  if (units === 1 && y.dtype !== 'float32') return 'binaryCrossentropy';
  const outLayer = model.outputs[0]!.sourceLayer as unknown as { activation?: { getClassName?(): string } };
  if (units === 1 && outLayer.activation?.getClassName?.() === 'sigmoid') return 'binaryCrossentropy';
  return 'meanSquaredError';
}

/** Check x/y against the model and the loss; throws BAD_DATA / LABEL_MISMATCH with a fix. */
export function checkData(model: tf.LayersModel, d: XY, loss: LossName, what: string): void {
  const xs = Array.isArray(d.x) ? d.x : [d.x];
  if (xs.length !== model.inputs.length) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${what}: the model has ${model.inputs.length} input(s) but ${xs.length} x tensor(s) were given. Pass x as ${model.inputs.length === 1 ? 'one tensor' : `an array of ${model.inputs.length} tensors`}.`,
    );
  }
  const n = rows(d.x);
  xs.forEach((x, i) => {
    const want = model.inputs[i]!.shape;
    const bad = x.rank !== want.length || want.some((s, j) => j > 0 && s != null && s !== x.shape[j]);
    if (bad) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `${what}: x${xs.length > 1 ? `[${i}]` : ''} has shape [${x.shape}] but the model expects [${want.map((s) => s ?? 'batch')}]. ` +
          'Reshape or resize the inputs (e.g. add the channel axis with expandDims(-1)).',
      );
    }
    if (x.shape[0] !== n) {
      throw new FrostlineTfjsError('BAD_DATA', `${what}: all x tensors must have the same number of rows.`);
    }
  });
  if (d.y.shape[0] !== n) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${what}: x has ${n} rows but y has ${d.y.shape[0]}. Give one label per example.`,
    );
  }
  if (n === 0) throw new FrostlineTfjsError('BAD_DATA', `${what}: no examples.`);
  const outShape = model.outputs[0]!.shape;
  const units = outShape[outShape.length - 1] ?? 1;
  if (loss === 'categoricalCrossentropy') {
    const lastDim = d.y.shape[d.y.rank - 1];
    if (d.y.rank !== outShape.length || lastDim !== units) {
      throw new FrostlineTfjsError(
        'LABEL_MISMATCH',
        `${what}: labels have shape [${d.y.shape}] but the model outputs ${units} classes. ` +
          `One-hot encode labels with ${units} columns (tf.oneHot(labels, ${units})), or use integer labels with loss 'sparseCategoricalCrossentropy', or change the head to ${lastDim} units.`,
      );
    }
  } else if (loss === 'sparseCategoricalCrossentropy') {
    const max = tf.tidy(() => d.y.max().dataSync()[0]!);
    const min = tf.tidy(() => d.y.min().dataSync()[0]!);
    if (max >= units || min < 0 || (d.y.rank > 1 && d.y.shape[d.y.rank - 1] !== 1)) {
      throw new FrostlineTfjsError(
        'LABEL_MISMATCH',
        `${what}: integer labels range over [${min}, ${max}] but the model outputs ${units} classes (0..${units - 1}). ` +
          `Make the head ${max + 1} units wide, or re-index the labels.`,
      );
    }
  } else if (d.y.rank !== outShape.length || d.y.shape[d.y.rank - 1] !== units) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${what}: targets have shape [${d.y.shape}] but the model outputs [${outShape.map((s) => s ?? 'batch')}].`,
    );
  }
}

/** Split train/validation as Keras does: the last `fraction` of rows validates (no shuffle before). */
export function splitData(
  data: TrainData,
  validationSplit: number | undefined,
): { train: XY; validation?: XY; owned: tf.Tensor[] } {
  if ('train' in data)
    return { train: data.train, ...(data.validation ? { validation: data.validation } : {}), owned: [] };
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

/**
 * mulberry32: small, fast, seedable; shuffles are reproducible across runs and resumes. The one PRNG
 * of frostline: vision, nlp and the demo draw from it too, so a seed means the same thing everywhere.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
