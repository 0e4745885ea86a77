/**
 * Seeded MNIST subsets from the `mnist` package (real digits, offline), for parts 2 and 3.
 * Each class is shuffled once with the seed; the LAST `testPerClass` digits of every class are the
 * held-out test set, and training budgets are prefixes of the rest — so "many" contains "few",
 * and no test digit is ever trained on.
 */
import { createRequire } from 'node:module';
import type * as tfTypes from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rnd = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const cache = new Map<number, Float32Array[]>();

/** All images of one digit, 784 floats in [0, 1] each. */
export function digitImages(d: number): Float32Array[] {
  let imgs = cache.get(d);
  if (!imgs) {
    const { data } = require(`mnist/src/digits/${d}.json`) as { data: number[] };
    imgs = [];
    for (let i = 0; i + 784 <= data.length; i += 784) imgs.push(Float32Array.from(data.slice(i, i + 784)));
    cache.set(d, imgs);
  }
  return imgs;
}

export interface DigitSplit {
  /** Per class: shuffled training pool (budgets are prefixes) and the held-out test digits. */
  train: Float32Array[][];
  test: Float32Array[][];
  digits: number[];
}

export function splitDigits(digits: number[], testPerClass: number, seed: number): DigitSplit {
  const train: Float32Array[][] = [];
  const test: Float32Array[][] = [];
  for (const d of digits) {
    const all = shuffled(digitImages(d), seed * 31 + d);
    test.push(all.slice(all.length - testPerClass));
    train.push(all.slice(0, all.length - testPerClass));
  }
  return { train, test, digits };
}

/**
 * Stacks `perClass` images of every class (interleaved by class, then shuffled with the seed) into
 * x: [n, 28, 28, 1] in [0, 1] and one-hot y: [n, classes].
 */
export function toTensors(
  tf: typeof tfTypes,
  pools: Float32Array[][],
  perClass: number,
  seed: number,
): { x: tfTypes.Tensor4D; y: tfTypes.Tensor2D; labels: number[] } {
  const items: Array<{ img: Float32Array; label: number }> = [];
  pools.forEach((pool, label) => {
    if (pool.length < perClass) throw new Error(`only ${pool.length} digits for class ${label}, need ${perClass}`);
    for (const img of pool.slice(0, perClass)) items.push({ img, label });
  });
  const order = shuffled(items, seed);
  const buf = new Float32Array(order.length * 784);
  order.forEach((it, i) => buf.set(it.img, i * 784));
  const labels = order.map((it) => it.label);
  const x = tf.tensor4d(buf, [order.length, 28, 28, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), pools.length).toFloat() as tfTypes.Tensor2D);
  return { x, y, labels };
}

/** MNIST digits as RGB images at `size`×`size`, 0..255 — what an ImageNet backbone's preprocess expects. */
export function toRgb(tf: typeof tfTypes, x28: tfTypes.Tensor4D, size: number): tfTypes.Tensor4D {
  return tf.tidy(() => {
    const up = tf.image.resizeBilinear(x28, [size, size]);
    return tf.tile(up, [1, 1, 1, 3]).mul(255) as tfTypes.Tensor4D;
  });
}

/** Accuracy of a model's argmax on (x, labels), predicted in batches so memory stays flat. */
export function accuracy(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  x: tfTypes.Tensor,
  labels: readonly number[],
  batchSize = 64,
): number {
  let correct = 0;
  const n = x.shape[0] as number;
  for (let i = 0; i < n; i += batchSize) {
    const size = Math.min(batchSize, n - i);
    const pred = tf.tidy(() => {
      const xb = x.slice(i, size);
      const out = model.predict(xb) as tfTypes.Tensor;
      return out.argMax(-1);
    });
    const p = pred.dataSync();
    pred.dispose();
    for (let j = 0; j < size; j++) if (p[j] === labels[i + j]) correct++;
  }
  return correct / n;
}
