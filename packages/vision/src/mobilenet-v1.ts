import * as tf from '@tensorflow/tfjs';
import { type Backbone, createBackbone, type StageClassifier } from './backbone';
import {
  type BackboneOptions,
  checkInputSize,
  globalPool,
  initializerFactory,
  maybeTruncate,
} from './build-utils';
import { mobileNetStageAliases } from './mobilenet-v2';

export interface MobileNetV1Options extends BackboneOptions {
  /** Width multiplier (Keras `alpha`): 0.25, 0.5, 0.75 or 1.0 for published weights. Default 1.0. */
  alpha?: number;
  /** Depth multiplier of the depthwise convolutions. Default 1. */
  depthMultiplier?: number;
  /** Dropout before `conv_preds` when `includeTop`. Default 1e-3 (Keras). */
  dropout?: number;
}

// Blocks by output channels: 64 = {1}, 128 = {2,3}, 256 = {4,5}, 512 = {6..11}, 1024 = {12,13}.
const V1_STAGE_OF_BLOCK = [0, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5];

export const mobileNetV1Stages: StageClassifier = (name) => {
  if (/^conv1(_pad|_bn|_relu)?$/.test(name)) return 'stem';
  const m = /^conv_(?:pad|dw|pw)_(\d+)(?:_|$)/.exec(name);
  if (m) {
    const s = V1_STAGE_OF_BLOCK[Number(m[1])];
    return s == null ? undefined : `stage${s}`;
  }
  return undefined;
};

/**
 * MobileNetV1 with Keras-applications layer names (`conv1`, `conv_dw_N`, `conv_pw_N`, `conv_preds`),
 * the layout of the public TF.js `mobilenet_v1_<alpha>_<size>` layers models.
 */
export function mobileNetV1(opts: MobileNetV1Options = {}): Backbone {
  const alpha = opts.alpha ?? 1.0;
  const dm = opts.depthMultiplier ?? 1;
  const size = opts.inputSize ?? 224;
  checkInputSize('mobileNetV1', size, 32);
  const init = initializerFactory(opts.seed);
  const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });
  const bn = (name: string) => tf.layers.batchNormalization({ name });

  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  let x = tf.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
      name: 'conv1_pad',
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      filters: Math.trunc(32 * alpha),
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      useBias: false,
      name: 'conv1',
      kernelInitializer: init(),
    })
    .apply(x) as tf.SymbolicTensor;
  x = bn('conv1_bn').apply(x) as tf.SymbolicTensor;
  x = relu6('conv1_relu').apply(x) as tf.SymbolicTensor;

  const blocks: Array<[number, number]> = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  blocks.forEach(([filters, stride], i) => {
    const id = i + 1;
    if (stride === 2) {
      x = tf.layers
        .zeroPadding2d({
          padding: [
            [0, 1],
            [0, 1],
          ],
          name: `conv_pad_${id}`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        padding: stride === 1 ? 'same' : 'valid',
        depthMultiplier: dm,
        useBias: false,
        name: `conv_dw_${id}`,
        depthwiseInitializer: init(),
      })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_dw_${id}_bn`).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_dw_${id}_relu`).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .conv2d({
        filters: Math.trunc(filters * alpha),
        kernelSize: 1,
        padding: 'same',
        useBias: false,
        name: `conv_pw_${id}`,
        kernelInitializer: init(),
      })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_pw_${id}_bn`).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_pw_${id}_relu`).apply(x) as tf.SymbolicTensor;
  });
  let featureLayer = 'conv_pw_13_relu';
  if (opts.includeTop) {
    const classes = opts.classes ?? 1000;
    const channels = x.shape[3]!;
    x = globalPool(x, 'avg', 'global_average_pooling2d');
    x = tf.layers.reshape({ targetShape: [1, 1, channels], name: 'reshape_1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: opts.dropout ?? 1e-3, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .conv2d({
        filters: classes,
        kernelSize: 1,
        padding: 'same',
        name: 'conv_preds',
        kernelInitializer: init(),
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: [classes], name: 'reshape_2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'softmax', name: 'predictions' }).apply(x) as tf.SymbolicTensor;
  } else if (opts.pooling) {
    featureLayer = opts.pooling === 'avg' ? 'global_average_pooling2d' : 'global_max_pooling2d';
    x = globalPool(x, opts.pooling, featureLayer);
  }
  const model = tf.model({ inputs: input, outputs: x, name: `mobilenet_${alpha.toFixed(2)}_${size}` });
  const backbone = createBackbone({
    name: 'mobilenet_v1',
    model,
    classify: mobileNetV1Stages,
    stageAliases: mobileNetStageAliases,
    preprocessing: 'mobilenet',
    featureLayer,
  });
  return maybeTruncate(backbone, opts.featureLayer);
}
