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

export interface MobileNetV2Options extends BackboneOptions {
  /** Width multiplier (Keras `alpha`). Default 1.0. */
  alpha?: number;
}

/** Keras `_make_divisible`: round channels to a multiple of 8 without dropping more than 10%. */
export function makeDivisible(v: number, divisor = 8): number {
  let nv = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (nv < 0.9 * v) nv += divisor;
  return nv;
}

// Blocks grouped by output channels, as the MobileNetV2 paper's table: 24, 32, 64, 96, 160, 320.
const V2_STAGE_OF_BLOCK = [0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6];

export const mobileNetV2Stages: StageClassifier = (name) => {
  if (/^(Conv1(_pad|_relu)?|bn_Conv1|expanded_conv_.*)$/.test(name)) return 'stem';
  const m = /^block_(\d+)_/.exec(name);
  if (m) {
    const s = V2_STAGE_OF_BLOCK[Number(m[1])];
    return s == null ? undefined : `stage${s}`;
  }
  // The final 1×1 conv to 1280 channels belongs to the last stage (torchvision puts it in `features`).
  if (/^(Conv_1|Conv_1_bn|out_relu)$/.test(name)) return 'stage6';
  return undefined;
};

export const mobileNetStageAliases: Record<string, string[]> = { head: ['classifier'] };

type Init = ReturnType<typeof initializerFactory>;

// Keras MobileNetV2 batch norm: epsilon 1e-3, momentum 0.999 (the TF.js defaults differ).
const bn = (name: string) => tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name });
const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });

/** A bias-free conv (batch norm follows); `init` is called once, in build order, for seeded weights. */
function conv(
  init: Init,
  filters: number,
  kernel: number,
  strides: number,
  padding: 'same' | 'valid',
  name: string,
) {
  return tf.layers.conv2d({
    filters,
    kernelSize: kernel,
    strides,
    padding,
    useBias: false,
    name,
    kernelInitializer: init(),
  });
}

/** Keras `correct_pad` before a valid stride-2 conv: an even side pads bottom/right only, an odd side pads 1 on every side. */
function correctPad(side: number, name: string) {
  const pad: [number, number] = side % 2 ? [1, 1] : [0, 1];
  return tf.layers.zeroPadding2d({ padding: [pad, pad], name });
}

/** `Conv1_pad` → `Conv1` (stride 2) → `bn_Conv1` → `Conv1_relu`. */
function stem(input: tf.SymbolicTensor, size: number, alpha: number, init: Init): tf.SymbolicTensor {
  let x = correctPad(size, 'Conv1_pad').apply(input) as tf.SymbolicTensor;
  x = conv(init, makeDivisible(32 * alpha), 3, 2, 'valid', 'Conv1').apply(x) as tf.SymbolicTensor;
  x = bn('bn_Conv1').apply(x) as tf.SymbolicTensor;
  return relu6('Conv1_relu').apply(x) as tf.SymbolicTensor;
}

interface BlockConfig {
  expansion: number;
  stride: number;
  filters: number;
  /** Block id; 0 is `expanded_conv_` (no expansion conv), the others `block_<id>_`. */
  id: number;
}

/** Inverted residual block: expand (1×1) → depthwise (3×3) → project (1×1), with a skip when shapes match. */
function invertedResidual(
  inputs: tf.SymbolicTensor,
  { expansion, stride, filters, id }: BlockConfig,
  alpha: number,
  init: Init,
): tf.SymbolicTensor {
  const inChannels = inputs.shape[3]!;
  const outChannels = makeDivisible(Math.trunc(filters * alpha));
  const prefix = id ? `block_${id}_` : 'expanded_conv_';
  let y = inputs;
  if (id) {
    y = conv(init, expansion * inChannels, 1, 1, 'same', `${prefix}expand`).apply(y) as tf.SymbolicTensor;
    y = bn(`${prefix}expand_BN`).apply(y) as tf.SymbolicTensor;
    y = relu6(`${prefix}expand_relu`).apply(y) as tf.SymbolicTensor;
  }
  if (stride === 2) y = correctPad(y.shape[1]!, `${prefix}pad`).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride === 1 ? 'same' : 'valid',
      useBias: false,
      name: `${prefix}depthwise`,
      depthwiseInitializer: init(),
    })
    .apply(y) as tf.SymbolicTensor;
  y = bn(`${prefix}depthwise_BN`).apply(y) as tf.SymbolicTensor;
  y = relu6(`${prefix}depthwise_relu`).apply(y) as tf.SymbolicTensor;
  y = conv(init, outChannels, 1, 1, 'same', `${prefix}project`).apply(y) as tf.SymbolicTensor;
  y = bn(`${prefix}project_BN`).apply(y) as tf.SymbolicTensor;
  if (inChannels === outChannels && stride === 1) {
    return tf.layers.add({ name: `${prefix}add` }).apply([inputs, y]) as tf.SymbolicTensor;
  }
  return y;
}

// [expansion, stride, filters] for block ids 0..16.
const V2_BLOCKS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 16],
  [6, 2, 24],
  [6, 1, 24],
  [6, 2, 32],
  [6, 1, 32],
  [6, 1, 32],
  [6, 2, 64],
  [6, 1, 64],
  [6, 1, 64],
  [6, 1, 64],
  [6, 1, 96],
  [6, 1, 96],
  [6, 1, 96],
  [6, 2, 160],
  [6, 1, 160],
  [6, 1, 160],
  [6, 1, 320],
];

/** The final 1×1 conv to 1280 channels (`Conv_1` → `Conv_1_bn` → `out_relu`). */
function lastConv(x: tf.SymbolicTensor, alpha: number, init: Init): tf.SymbolicTensor {
  const lastFilters = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  let y = conv(init, lastFilters, 1, 1, 'valid', 'Conv_1').apply(x) as tf.SymbolicTensor;
  y = bn('Conv_1_bn').apply(y) as tf.SymbolicTensor;
  return relu6('out_relu').apply(y) as tf.SymbolicTensor;
}

/** ImageNet-style classifier: global average pooling → softmax `predictions`. */
function classifierTop(x: tf.SymbolicTensor, classes: number, init: Init): tf.SymbolicTensor {
  const pooled = globalPool(x, 'avg', 'global_average_pooling2d');
  return tf.layers
    .dense({ units: classes, activation: 'softmax', name: 'predictions', kernelInitializer: init() })
    .apply(pooled) as tf.SymbolicTensor;
}

/**
 * MobileNetV2 with Keras-applications layer names (`Conv1`, `bn_Conv1`, `expanded_conv_*`,
 * `block_N_{expand,depthwise,project}…`, `Conv_1`, `out_relu`, `predictions`), so weights of a
 * Keras-converted TF.js model load by name.
 */
export function mobileNetV2(opts: MobileNetV2Options = {}): Backbone {
  const alpha = opts.alpha ?? 1.0;
  const size = opts.inputSize ?? 224;
  checkInputSize('mobileNetV2', size, 32);
  // One factory for the whole build: layers must call it in this exact order for seeded weights.
  const init = initializerFactory(opts.seed);
  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  let x = stem(input, size, alpha, init);
  V2_BLOCKS.forEach(([expansion, stride, filters], id) => {
    x = invertedResidual(x, { expansion, stride, filters, id }, alpha, init);
  });
  x = lastConv(x, alpha, init);
  let featureLayer = 'out_relu';
  if (opts.includeTop) x = classifierTop(x, opts.classes ?? 1000, init);
  else ({ output: x, featureLayer } = poolFeatures(x, opts.pooling, featureLayer));
  const model = tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${size}` });
  const backbone = createBackbone({
    name: 'mobilenet_v2',
    model,
    classify: mobileNetV2Stages,
    stageAliases: mobileNetStageAliases,
    preprocessing: 'mobilenet',
    featureLayer,
  });
  return maybeTruncate(backbone, opts.featureLayer);
}
