import * as tf from '@tensorflow/tfjs';

/** Depthwise-separable blocks (filters, stride) after a stride-2 stem: MobileNetV1-like at width 0.5. */
export const BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
];

export const INPUT = 96;
export const CLASSES = 10;

/**
 * The bench net: stem conv 3x3/2 (32) + BN + ReLU6, 7 depthwise-separable blocks
 * (dw 3x3 + BN + ReLU6 + pw 1x1 + BN + ReLU6), global average pool (512-d features),
 * dense 128 ReLU + dense 10 softmax head. ~0.62 M params. Fixed-seed initialisers so every run
 * and bench/pytorch_step.py build the same shapes (values are not shared).
 */
export function benchNet(
  opts: { input?: number; blocks?: ReadonlyArray<readonly [number, number]> } = {},
): tf.LayersModel {
  const size = opts.input ?? INPUT;
  const blocks = opts.blocks ?? BLOCKS;
  let seed = 1;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const inp = tf.input({ shape: [size, size, 3], name: 'image' });
  const ap = (l: tf.layers.Layer, x: tf.SymbolicTensor) => l.apply(x) as tf.SymbolicTensor;
  let x = ap(
    tf.layers.conv2d({
      name: 'stem',
      filters: 32,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(),
    }),
    inp,
  );
  x = ap(tf.layers.batchNormalization({ name: 'stem_bn' }), x);
  x = ap(tf.layers.reLU({ name: 'stem_relu', maxValue: 6 }), x);
  blocks.forEach(([filters, stride], i) => {
    const b = `block${i + 1}`;
    x = ap(
      tf.layers.depthwiseConv2d({
        name: `${b}_dw`,
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: init(),
      }),
      x,
    );
    x = ap(tf.layers.batchNormalization({ name: `${b}_dw_bn` }), x);
    x = ap(tf.layers.reLU({ name: `${b}_dw_relu`, maxValue: 6 }), x);
    x = ap(
      tf.layers.conv2d({
        name: `${b}_pw`,
        filters,
        kernelSize: 1,
        useBias: false,
        kernelInitializer: init(),
      }),
      x,
    );
    x = ap(tf.layers.batchNormalization({ name: `${b}_pw_bn` }), x);
    x = ap(tf.layers.reLU({ name: `${b}_pw_relu`, maxValue: 6 }), x);
  });
  x = ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
  x = ap(tf.layers.dense({ name: 'head_fc1', units: 128, activation: 'relu', kernelInitializer: init() }), x);
  const out = ap(
    tf.layers.dense({ name: 'head_out', units: CLASSES, activation: 'softmax', kernelInitializer: init() }),
    x,
  );
  return tf.model({ inputs: inp, outputs: out, name: 'bench_net' });
}

/** Layer-name prefixes of the last `n` blocks. */
export function lastBlocks(n: number, blocks = BLOCKS.length): string[] {
  return Array.from({ length: n }, (_, i) => `block${blocks - n + i + 1}_`);
}

/** Sets `trainable` per layer: everything before the head frozen, plus the given block prefixes unfrozen. */
export function freezeBackbone(model: tf.LayersModel, unfreeze: string[] = []): void {
  for (const l of model.layers) {
    l.trainable = l.name.startsWith('head_') || unfreeze.some((p) => l.name.startsWith(p));
  }
}

/** Deterministic synthetic images and one-hot labels (mulberry32). */
export function syntheticData(n: number, size = INPUT, seed = 42): { x: tf.Tensor4D; y: tf.Tensor2D } {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pixels = new Float32Array(n * size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rand();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = Math.floor(rand() * CLASSES);
  const x = tf.tensor4d(pixels, [n, size, size, 3]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES).toFloat()) as tf.Tensor2D;
  return { x, y };
}
