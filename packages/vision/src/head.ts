import * as tf from '@tensorflow/tfjs';
import { assembleBackbone, type Backbone, type Stage } from './backbone';
import { VisionError } from './errors';

export interface HeadOptions {
  numClasses: number;
  /** Hidden dense layer(s) with ReLU before the classifier: `head_dense` (or `head_dense_1`, `head_dense_2`…). */
  hidden?: number | number[];
  /** Dropout rate before the classifier (`head_dropout`). Default 0 (none). */
  dropout?: number;
  /** How a feature map becomes a vector (`head_pool`). Default `avg`; ignored when the features are already a vector. */
  pooling?: 'avg' | 'max' | 'flatten';
  /** Output activation. Default `softmax` (`sigmoid` when numClasses is 1). */
  activation?: 'softmax' | 'sigmoid' | 'linear';
  seed?: number;
}

/** Aliases of the stage a new head forms: PyTorch's ResNet `fc`, torchvision MobileNet's `classifier`. */
export const HEAD_STAGE_ALIASES = ['fc', 'classifier'];

/**
 * Replace (or add) the classifier on top of `backbone.featureLayer`. New layers are named
 * `head_pool`, `head_dense`, `head_dropout` (TF.js names cannot contain '/'; their parameters also
 * answer to `head/dense/kernel` …) and the classifier is `fc` when it is the only dense layer,
 * `head_fc` after hidden layers. They form the stage `head` (aliases `fc`, `classifier`). The
 * backbone's layers are shared, not copied.
 */
export function withHead(backbone: Backbone, opts: HeadOptions): Backbone {
  const { numClasses } = opts;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new VisionError(
      'INVALID_OPTION',
      `withHead: numClasses must be a positive integer, got ${numClasses}`,
      'pass the number of classes of your dataset, e.g. withHead(backbone, { numClasses: dataset.classNames.length })',
    );
  }
  const dropout = opts.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) {
    throw new VisionError('INVALID_OPTION', `withHead: dropout must be in [0, 1), got ${dropout}`);
  }
  const hidden = opts.hidden == null ? [] : Array.isArray(opts.hidden) ? opts.hidden : [opts.hidden];
  let k = 0;
  const init = () =>
    opts.seed == null ? undefined : tf.initializers.glorotUniform({ seed: opts.seed * 7919 + k++ });
  const names: string[] = [];
  const ap = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => {
    names.push(layer.name);
    return layer.apply(x) as tf.SymbolicTensor;
  };

  let x = backbone.model.getLayer(backbone.featureLayer).output as tf.SymbolicTensor;
  if (x.rank === 4) {
    const pooling = opts.pooling ?? 'avg';
    const name = 'head_pool';
    const layer =
      pooling === 'avg'
        ? tf.layers.globalAveragePooling2d({ name })
        : pooling === 'max'
          ? tf.layers.globalMaxPooling2d({ name })
          : tf.layers.flatten({ name });
    x = ap(layer, x);
  } else if (x.rank !== 2) {
    x = ap(tf.layers.flatten({ name: 'head_pool' }), x);
  }
  hidden.forEach((units, i) => {
    const name = hidden.length === 1 ? 'head_dense' : `head_dense_${i + 1}`;
    x = ap(tf.layers.dense({ units, activation: 'relu', name, kernelInitializer: init() }), x);
  });
  if (dropout > 0) x = ap(tf.layers.dropout({ rate: dropout, name: 'head_dropout' }), x);
  const activation = opts.activation ?? (numClasses === 1 ? 'sigmoid' : 'softmax');
  x = ap(
    tf.layers.dense({
      units: numClasses,
      activation,
      name: hidden.length ? 'head_fc' : 'fc',
      kernelInitializer: init(),
    }),
    x,
  );

  const model = tf.model({
    inputs: backbone.model.inputs,
    outputs: x,
    name: `${backbone.model.name}_with_head`,
  });
  const kept = new Set(model.layers.map((l) => l.name));
  const stages: Stage[] = backbone.stages
    .filter((s) => s.name !== 'head')
    .map((s) => ({
      ...s,
      aliases: [...s.aliases],
      layers: s.layers.filter((l) => kept.has(l) && !names.includes(l)),
    }))
    .filter((s) => s.layers.length > 0);
  stages.push({ name: 'head', aliases: [...HEAD_STAGE_ALIASES], layers: names });
  return assembleBackbone(backbone.name, model, stages, backbone.preprocessing, backbone.featureLayer);
}
