import * as tf from '@tensorflow/tfjs';
import { type Backbone, createBackbone, type StageClassifier } from './backbone';
import {
  type BackboneOptions,
  checkInputSize,
  globalPool,
  initializerFactory,
  maybeTruncate,
  poolFeatures,
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

type Init = ReturnType<typeof initializerFactory>;

const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });
const bn = (name: string) => tf.layers.batchNormalization({ name });

/** Keras pads bottom/right only before a valid stride-2 conv (TF's `same` for even sides). */
function padBottomRight(name: string) {
  return tf.layers.zeroPadding2d({
    padding: [
      [0, 1],
      [0, 1],
    ],
    name,
  });
}

/** `conv1_pad` → `conv1` (stride 2) → `conv1_bn` → `conv1_relu`. */
function stem(input: tf.SymbolicTensor, alpha: number, init: Init): tf.SymbolicTensor {
  let x = padBottomRight('conv1_pad').apply(input) as tf.SymbolicTensor;
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
  return relu6('conv1_relu').apply(x) as tf.SymbolicTensor;
}

// [pointwise filters, stride] of blocks 1..13.
const V1_BLOCKS: ReadonlyArray<readonly [number, number]> = [
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

interface BlockConfig {
  /** Block id, 1-based as in the Keras names (`conv_dw_<id>`). */
  id: number;
  filters: number;
  stride: number;
  alpha: number;
  depthMultiplier: number;
}

/** Depthwise-separable block: depthwise 3×3 (`conv_dw_<id>…`) then pointwise 1×1 (`conv_pw_<id>…`). */
function depthwiseSeparable(
  x: tf.SymbolicTensor,
  { id, filters, stride, alpha, depthMultiplier }: BlockConfig,
  init: Init,
): tf.SymbolicTensor {
  let y = x;
  if (stride === 2) y = padBottomRight(`conv_pad_${id}`).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride === 1 ? 'same' : 'valid',
      depthMultiplier,
      useBias: false,
      name: `conv_dw_${id}`,
      depthwiseInitializer: init(),
    })
    .apply(y) as tf.SymbolicTensor;
  y = bn(`conv_dw_${id}_bn`).apply(y) as tf.SymbolicTensor;
  y = relu6(`conv_dw_${id}_relu`).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .conv2d({
      filters: Math.trunc(filters * alpha),
      kernelSize: 1,
      padding: 'same',
      useBias: false,
      name: `conv_pw_${id}`,
      kernelInitializer: init(),
    })
    .apply(y) as tf.SymbolicTensor;
  y = bn(`conv_pw_${id}_bn`).apply(y) as tf.SymbolicTensor;
  return relu6(`conv_pw_${id}_relu`).apply(y) as tf.SymbolicTensor;
}

/**
 * Keras' V1 classifier: average pooling, reshaped to 1×1 so that a 1×1 conv (`conv_preds`) is the
 * classifier (the layout the published weights use), then flattened to a softmax.
 */
function classifierTop(
  x: tf.SymbolicTensor,
  classes: number,
  dropout: number,
  init: Init,
): tf.SymbolicTensor {
  const channels = x.shape[3]!;
  let y = globalPool(x, 'avg', 'global_average_pooling2d');
  y = tf.layers.reshape({ targetShape: [1, 1, channels], name: 'reshape_1' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dropout({ rate: dropout, name: 'dropout' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .conv2d({
      filters: classes,
      kernelSize: 1,
      padding: 'same',
      name: 'conv_preds',
      kernelInitializer: init(),
    })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers.reshape({ targetShape: [classes], name: 'reshape_2' }).apply(y) as tf.SymbolicTensor;
  return tf.layers.activation({ activation: 'softmax', name: 'predictions' }).apply(y) as tf.SymbolicTensor;
}

/**
 * MobileNetV1 with Keras-applications layer names (`conv1`, `conv_dw_N`, `conv_pw_N`, `conv_preds`),
 * the layout of the public TF.js `mobilenet_v1_<alpha>_<size>` layers models.
 */
export function mobileNetV1(opts: MobileNetV1Options = {}): Backbone {
  const alpha = opts.alpha ?? 1.0;
  const depthMultiplier = opts.depthMultiplier ?? 1;
  const size = opts.inputSize ?? 224;
  checkInputSize('mobileNetV1', size, 32);
  // One factory for the whole build: layers must call it in this exact order for seeded weights.
  const init = initializerFactory(opts.seed);
  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  let x = stem(input, alpha, init);
  V1_BLOCKS.forEach(([filters, stride], i) => {
    x = depthwiseSeparable(x, { id: i + 1, filters, stride, alpha, depthMultiplier }, init);
  });
  let featureLayer = 'conv_pw_13_relu';
  if (opts.includeTop) x = classifierTop(x, opts.classes ?? 1000, opts.dropout ?? 1e-3, init);
  else ({ output: x, featureLayer } = poolFeatures(x, opts.pooling, featureLayer));
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
