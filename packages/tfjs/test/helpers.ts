import * as tf from '@tensorflow/tfjs';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Deterministic weights: every weight gets values from a seeded generator. */
export function seedWeights(model: tf.LayersModel, seed = 1): void {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  for (const w of model.weights) {
    const size = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const v = new Float32Array(size);
    const isVar = w.name.includes('moving_variance') || w.name.includes('gamma');
    for (let i = 0; i < size; i++) v[i] = isVar ? 1 + Math.abs(next()) * 0.2 : next() * 0.5;
    const t = tf.tensor(v, w.shape as number[]);
    w.write(t);
    t.dispose();
  }
}

/** Tiny classification data: n rows of `features`, labels from a fixed rule. */
export function toyData(
  n: number,
  features: number,
  classes: number,
  seed = 7,
): { x: tf.Tensor2D; y: tf.Tensor2D } {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const xs = new Float32Array(n * features);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < features; j++) {
      const v = next() * 2 - 1;
      xs[i * features + j] = v;
      sum += v * (j + 1);
    }
    labels.push(Math.abs(Math.floor(sum * 3)) % classes);
  }
  return {
    x: tf.tensor2d(xs, [n, features]),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tf.Tensor2D),
  };
}

export function imageData(n: number, size: number, channels: number, classes: number, seed = 3) {
  const { x, y } = toyData(n, size * size * channels, classes, seed);
  const x4 = x.reshape([n, size, size, channels]) as tf.Tensor4D;
  x.dispose();
  return { x: x4, y };
}

export function values(model: tf.LayersModel): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const w of model.weights)
    m.set(w.originalName ?? w.name, Float32Array.from(w.read().dataSync() as Float32Array));
  return m;
}

export const same = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Dense MLP: d1 (hidden) → d2 (head). */
export function mlp(features = 6, hidden = 8, classes = 3): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: hidden, activation: 'relu', inputShape: [features], name: 'd1' }),
      tf.layers.dense({ units: hidden, activation: 'relu', name: 'd2' }),
      tf.layers.dense({ units: classes, activation: 'softmax', name: 'head' }),
    ],
  });
  seedWeights(m);
  return m;
}

function backboneLayers(size: number): tf.layers.Layer[] {
  return [
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      inputShape: [size, size, 1],
      name: 'conv1',
    }),
    tf.layers.batchNormalization({ name: 'bn1' }),
    tf.layers.activation({ activation: 'relu', name: 'relu1' }),
    tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'conv2' }),
    tf.layers.batchNormalization({ name: 'bn2' }),
    tf.layers.activation({ activation: 'relu', name: 'relu2' }),
  ];
}

/** Conv + BN backbone (nested model 'backbone' when `nested`) + pooled dense head 'fc'. */
export function convNet(size = 8, classes = 3, nested = true): tf.LayersModel {
  let m: tf.LayersModel;
  if (nested) {
    const inner = tf.sequential({ name: 'backbone', layers: backboneLayers(size) });
    const input = tf.input({ shape: [size, size, 1] });
    const f = inner.apply(input) as tf.SymbolicTensor;
    const p = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(f) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: classes, activation: 'softmax', name: 'fc' })
      .apply(p) as tf.SymbolicTensor;
    m = tf.model({ inputs: input, outputs: out });
  } else {
    m = tf.sequential({
      layers: [
        ...backboneLayers(size),
        tf.layers.globalAveragePooling2d({ name: 'pool' }),
        tf.layers.dense({ units: classes, activation: 'softmax', name: 'fc' }),
      ],
    });
  }
  seedWeights(m);
  return m;
}
