import * as tf from '@tensorflow/tfjs';
import { type Backbone, createBackbone, type StageClassifier } from './backbone';
import {
  type BackboneOptions,
  checkInputSize,
  globalPool,
  type Initializer,
  initializerFactory,
  maybeTruncate,
} from './build-utils';

export type ResNetOptions = BackboneOptions;

/** Keras stacks `conv2`…`conv5` are stages 1…4; PyTorch calls them `layer1`…`layer4`. */
export const resNetStages: StageClassifier = (name) => {
  if (/^(conv1|pool1)_/.test(name)) return 'stem';
  const m = /^conv([2-5])_/.exec(name);
  if (m) return `stage${Number(m[1]) - 1}`;
  return undefined;
};

export const resNetStageAliases: Record<string, string[]> = {
  stem: ['conv1'],
  stage1: ['layer1'],
  stage2: ['layer2'],
  stage3: ['layer3'],
  stage4: ['layer4'],
  head: ['fc'],
};

type Sym = tf.SymbolicTensor;
const ap = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

interface Ctx {
  init: () => Initializer | undefined;
  useBias: boolean;
  epsilon: number;
}

function conv(
  ctx: Ctx,
  x: Sym,
  filters: number,
  kernel: number,
  strides: number,
  padding: 'same' | 'valid',
  name: string,
) {
  return ap(
    tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides,
      padding,
      useBias: ctx.useBias,
      name,
      kernelInitializer: ctx.init(),
    }),
    x,
  );
}
const bn = (ctx: Ctx, x: Sym, name: string) =>
  ap(tf.layers.batchNormalization({ epsilon: ctx.epsilon, name }), x);
const relu = (x: Sym, name: string) => ap(tf.layers.activation({ activation: 'relu', name }), x);

/** Keras `block1`: 1×1 (stride here, as Keras/Caffe ResNet v1) → 3×3 → 1×1 ×4, projection shortcut when asked. */
function bottleneck(
  ctx: Ctx,
  x: Sym,
  filters: number,
  stride: number,
  convShortcut: boolean,
  name: string,
): Sym {
  const shortcut = convShortcut
    ? bn(ctx, conv(ctx, x, 4 * filters, 1, stride, 'valid', `${name}_0_conv`), `${name}_0_bn`)
    : x;
  let y = conv(ctx, x, filters, 1, stride, 'valid', `${name}_1_conv`);
  y = relu(bn(ctx, y, `${name}_1_bn`), `${name}_1_relu`);
  y = conv(ctx, y, filters, 3, 1, 'same', `${name}_2_conv`);
  y = relu(bn(ctx, y, `${name}_2_bn`), `${name}_2_relu`);
  y = conv(ctx, y, 4 * filters, 1, 1, 'valid', `${name}_3_conv`);
  y = bn(ctx, y, `${name}_3_bn`);
  return relu(ap(tf.layers.add({ name: `${name}_add` }), [shortcut, y]), `${name}_out`);
}

/**
 * Basic block (ResNet18/34), named like the Keras bottleneck: `_1_*` and `_2_*` are the two 3×3
 * convolutions, `_0_*` the projection shortcut. Stride-2 convs pad 1 pixel on every side first
 * (`_1_pad`), as PyTorch does, so converted torchvision weights give the same numbers.
 */
function basic(ctx: Ctx, x: Sym, filters: number, stride: number, name: string): Sym {
  const inChannels = x.shape[3]!;
  const shortcut =
    stride !== 1 || inChannels !== filters
      ? bn(ctx, conv(ctx, x, filters, 1, stride, 'valid', `${name}_0_conv`), `${name}_0_bn`)
      : x;
  let y = x;
  if (stride !== 1) {
    y = ap(
      tf.layers.zeroPadding2d({
        padding: [
          [1, 1],
          [1, 1],
        ],
        name: `${name}_1_pad`,
      }),
      y,
    );
    y = conv(ctx, y, filters, 3, stride, 'valid', `${name}_1_conv`);
  } else {
    y = conv(ctx, y, filters, 3, 1, 'same', `${name}_1_conv`);
  }
  y = relu(bn(ctx, y, `${name}_1_bn`), `${name}_1_relu`);
  y = conv(ctx, y, filters, 3, 1, 'same', `${name}_2_conv`);
  y = bn(ctx, y, `${name}_2_bn`);
  return relu(ap(tf.layers.add({ name: `${name}_add` }), [shortcut, y]), `${name}_out`);
}

function buildResNet(
  arch: 'resnet18' | 'resnet34' | 'resnet50',
  blocks: [number, number, number, number],
  opts: ResNetOptions,
): Backbone {
  const size = opts.inputSize ?? 224;
  checkInputSize(arch, size, 32);
  const bottle = arch === 'resnet50';
  // Keras ResNet50 convs carry biases and BN eps 1.001e-5; the 18/34 variants follow torchvision (no bias, 1e-5).
  const ctx: Ctx = {
    init: initializerFactory(opts.seed),
    useBias: bottle,
    epsilon: bottle ? 1.001e-5 : 1e-5,
  };
  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  let x = ap(
    tf.layers.zeroPadding2d({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: 'conv1_pad',
    }),
    input,
  );
  x = conv(ctx, x, 64, 7, 2, 'valid', 'conv1_conv');
  x = relu(bn(ctx, x, 'conv1_bn'), 'conv1_relu');
  x = ap(
    tf.layers.zeroPadding2d({
      padding: [
        [1, 1],
        [1, 1],
      ],
      name: 'pool1_pad',
    }),
    x,
  );
  x = ap(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  const filters = [64, 128, 256, 512];
  blocks.forEach((n, s) => {
    for (let b = 1; b <= n; b++) {
      const name = `conv${s + 2}_block${b}`;
      const stride = b === 1 && s > 0 ? 2 : 1;
      x = bottle
        ? bottleneck(ctx, x, filters[s]!, stride, b === 1, name)
        : basic(ctx, x, filters[s]!, stride, name);
    }
  });
  let featureLayer = `conv5_block${blocks[3]}_out`;
  if (opts.includeTop) {
    x = globalPool(x, 'avg', 'avg_pool');
    x = ap(
      tf.layers.dense({
        units: opts.classes ?? 1000,
        activation: 'softmax',
        name: 'predictions',
        kernelInitializer: ctx.init(),
      }),
      x,
    );
  } else if (opts.pooling) {
    featureLayer = opts.pooling === 'avg' ? 'avg_pool' : 'max_pool';
    x = globalPool(x, opts.pooling, featureLayer);
  }
  const model = tf.model({ inputs: input, outputs: x, name: arch });
  const backbone = createBackbone({
    name: arch,
    model,
    classify: resNetStages,
    stageAliases: resNetStageAliases,
    preprocessing: 'caffe',
    featureLayer,
  });
  return maybeTruncate(backbone, opts.featureLayer);
}

/** ResNet50 (Keras applications layout and names: `conv1_conv`, `conv2_block1_1_conv`…`conv5_block3_out`, `predictions`). */
export function resNet50(opts: ResNetOptions = {}): Backbone {
  return buildResNet('resnet50', [3, 4, 6, 3], opts);
}

/** ResNet18 (basic blocks, torchvision layout) with names in the ResNet50 scheme. */
export function resNet18(opts: ResNetOptions = {}): Backbone {
  return buildResNet('resnet18', [2, 2, 2, 2], opts);
}

/** ResNet34 (basic blocks, torchvision layout) with names in the ResNet50 scheme. */
export function resNet34(opts: ResNetOptions = {}): Backbone {
  return buildResNet('resnet34', [3, 4, 6, 3], opts);
}
