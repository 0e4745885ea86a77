import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';

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
