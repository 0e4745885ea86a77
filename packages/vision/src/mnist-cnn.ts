import * as tf from '@tensorflow/tfjs';
import { type Backbone, createBackbone, type StageClassifier } from './backbone';
import { initializerFactory } from './build-utils';

export interface MnistCnnOptions {
  /** Output classes. Default 5 (digits 0–4, as the Keras transfer example). */
  classes?: number;
  /** Filters of the two conv layers. Default [16, 32] (the shipped weights); [8, 16] trains ~2× faster. */
  filters?: [number, number];
  /** Units of the hidden dense layer. Default 64. */
  hidden?: number;
  /** Keep the classifier (dense layers). Default true. */
  includeTop?: boolean;
  seed?: number;
}

/** conv1/pool1 and conv2/pool2/flatten are the feature layers (also answer to `features`); the rest is the head. */
export const mnistCnnStages: StageClassifier = (name) => {
  if (/^(conv1|pool1)$/.test(name)) return 'stage1';
  if (/^(conv2|pool2|flatten)$/.test(name)) return 'stage2';
  return undefined;
};

export const mnistCnnStageAliases: Record<string, string[]> = {
  stage1: ['features'],
  stage2: ['features'],
  head: ['classifier', 'fc'],
};

/**
 * The project's small MNIST CNN, after the Keras `mnist_transfer_cnn` example (conv-conv-pool
 * "feature layers", dense-dropout-dense "classification layers") but narrower (16/32 filters) and
 * with a pool after each conv, so that it trains in about a minute on the wasm backend and its
 * weights stay ~225 KB.
 */
export function mnistCnn(opts: MnistCnnOptions = {}): Backbone {
  const [f1, f2] = opts.filters ?? [16, 32];
  const init = initializerFactory(opts.seed);
  const input = tf.input({ shape: [28, 28, 1], name: 'input_1' });
  const ap = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
  let x = ap(
    tf.layers.conv2d({
      filters: f1,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv1',
      kernelInitializer: init(),
    }),
    input,
  );
  x = ap(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }), x);
  x = ap(
    tf.layers.conv2d({
      filters: f2,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv2',
      kernelInitializer: init(),
    }),
    x,
  );
  x = ap(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }), x);
  x = ap(tf.layers.flatten({ name: 'flatten' }), x);
  if (opts.includeTop !== false) {
    x = ap(tf.layers.dropout({ rate: 0.25, name: 'dropout1' }), x);
    x = ap(
      tf.layers.dense({
        units: opts.hidden ?? 64,
        activation: 'relu',
        name: 'dense1',
        kernelInitializer: init(),
      }),
      x,
    );
    x = ap(tf.layers.dropout({ rate: 0.5, name: 'dropout2' }), x);
    x = ap(
      tf.layers.dense({
        units: opts.classes ?? 5,
        activation: 'softmax',
        name: 'predictions',
        kernelInitializer: init(),
      }),
      x,
    );
  }
  const model = tf.model({ inputs: input, outputs: x, name: 'mnist_cnn' });
  return createBackbone({
    name: 'mnist-cnn',
    model,
    classify: mnistCnnStages,
    stageAliases: mnistCnnStageAliases,
    preprocessing: 'unit',
    featureLayer: 'flatten',
  });
}
