import * as tf from '@tensorflow/tfjs';
import { NlpError } from './errors';

export interface HeadSpec {
  /** `linear` (default when no `hidden`): one Dense to the classes. `mlp`: hidden Dense layers first. */
  type?: 'linear' | 'mlp';
  /** Hidden layer sizes for `mlp` (default [128]). */
  hidden?: number | readonly number[];
  /** Dropout before each Dense (default 0 for linear, 0.1 for mlp). */
  dropout?: number;
  /** Activation of hidden layers. Default `relu`. */
  activation?: 'relu' | 'gelu' | 'tanh' | 'elu';
  /** Seed of the weight initialisers (and dropout). Default 42. */
  seed?: number;
}

/** Name of the output layer, as in Hugging Face's `…ForSequenceClassification` (`classifier/kernel`). */
export const CLASSIFIER_LAYER = 'classifier';

/**
 * A classification head on pooled embeddings: `[batch, inputDim]` → class probabilities. Layers
 * are named `hidden_1`, `hidden_2`, … and `classifier`, so policies and plans read
 * `classifier/kernel`, never an auto-generated `dense_17/kernel`.
 */
export function buildHead(inputDim: number, numClasses: number, spec: HeadSpec = {}): tf.LayersModel {
  if (!Number.isInteger(inputDim) || inputDim < 1)
    throw new NlpError('BAD_OPTION', `inputDim must be >= 1, got ${inputDim}`);
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new NlpError('BAD_OPTION', `a classifier needs at least 2 classes, got ${numClasses}`);
  }
  const type = spec.type ?? (spec.hidden !== undefined ? 'mlp' : 'linear');
  const hidden =
    type === 'mlp' ? (typeof spec.hidden === 'number' ? [spec.hidden] : [...(spec.hidden ?? [128])]) : [];
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new NlpError('BAD_OPTION', `hidden sizes must be positive integers, got [${hidden}]`);
  }
  const dropout = spec.dropout ?? (type === 'mlp' ? 0.1 : 0);
  if (!(dropout >= 0 && dropout < 1))
    throw new NlpError('BAD_OPTION', `dropout must be in [0, 1), got ${dropout}`);
  const seed = spec.seed ?? 42;
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const layers: tf.layers.Layer[] = [];
  hidden.forEach((units, k) => {
    if (dropout > 0)
      layers.push(tf.layers.dropout({ rate: dropout, seed: seed + 100 + k, name: `dropout_${k + 1}` }));
    layers.push(
      tf.layers.dense({
        units,
        activation: spec.activation ?? 'relu',
        kernelInitializer: init(k),
        name: `hidden_${k + 1}`,
      }),
    );
  });
  if (dropout > 0) layers.push(tf.layers.dropout({ rate: dropout, seed: seed + 99, name: 'dropout_out' }));
  layers.push(
    tf.layers.dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: init(hidden.length),
      name: CLASSIFIER_LAYER,
    }),
  );
  const input = tf.input({ shape: [inputDim], name: 'embedding' });
  let x: tf.SymbolicTensor = input;
  for (const l of layers) x = l.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'head' });
}
