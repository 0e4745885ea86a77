import * as tf from '@tensorflow/tfjs';
import type { Backbone } from './backbone';
import { type ImageDataset, makeSplit } from './dataset';
import { VisionError } from './errors';
import { sizeOf } from './image';
import { nodeImport, resolvePeer } from './peers';
import { createRng, shuffleInPlace } from './random';

/**
 * The `mnist` package ships 1,000 real digits per class (28×28 floats in [0, 1]). We cut each class
 * into a fixed pool: the first 800 are `train`, the rest `test`, so test digits never leak into
 * training whatever the seed.
 */
export const MNIST_TRAIN_PER_DIGIT = 800;

export interface MnistOptions {
  /** Digits to include; labels are indices into this list (digits [5..9] → labels 0..4). Default 0–9. */
  digits?: readonly number[];
  /** Images per digit (seeded sample of the pool). Default: the whole pool (800 train, ~200 test). */
  perClass?: number;
  /** Which fixed pool to draw from. Default `train`. */
  split?: 'train' | 'test';
  /** Held-out fraction per digit for `validation` (stratified). Default 0. */
  valSplit?: number;
  /** Output size (square side or [h, w]); bilinear resize from 28×28. Default: the backbone's, else 28. */
  size?: number | [number, number];
  /** 1 (gray) or 3 (gray repeated to RGB). Default: the backbone's, else 1. */
  channels?: 1 | 3;
  seed?: number;
  /** Size/channels from this backbone, and x preprocessed with its `preprocess`. */
  backbone?: Backbone;
}

export interface MnistDataset extends ImageDataset {
  digits: number[];
}

const cache = new Map<number, Float32Array>();

async function digitPixels(d: number): Promise<Float32Array> {
  const hit = cache.get(d);
  if (hit) return hit;
  const file = await resolvePeer(`mnist/src/digits/${d}.json`, 'mnistDataset', '1.1.0');
  const { readFile } = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  const json = JSON.parse(await readFile(file, 'utf8')) as { data: number[] };
  const arr = Float32Array.from(json.data);
  cache.set(d, arr);
  return arr;
}

/** Real MNIST digits from the `mnist` package (optional peer), resized/repeated for a backbone. */
export async function mnistDataset(opts: MnistOptions = {}): Promise<MnistDataset> {
  const digits = [...(opts.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])];
  if (
    digits.length < 2 ||
    digits.some((d) => !Number.isInteger(d) || d < 0 || d > 9) ||
    new Set(digits).size !== digits.length
  ) {
    throw new VisionError(
      digits.length < 2 ? 'SINGLE_CLASS' : 'INVALID_OPTION',
      `mnistDataset: digits must be at least two distinct integers 0–9, got [${digits.join(', ')}]`,
      'e.g. digits: [0, 1, 2, 3, 4]',
    );
  }
  const valSplit = opts.valSplit ?? 0;
  if (!(valSplit >= 0 && valSplit < 1)) {
    throw new VisionError('INVALID_OPTION', `mnistDataset: valSplit must be in [0, 1), got ${valSplit}`);
  }
  const channels = opts.channels ?? (opts.backbone?.inputShape[2] as 1 | 3 | undefined) ?? 1;
  if (channels !== 1 && channels !== 3) {
    throw new VisionError('CHANNEL_MISMATCH', `mnistDataset: channels must be 1 or 3, got ${channels}`);
  }
  if (opts.backbone && opts.backbone.inputShape[2] !== channels) {
    throw new VisionError(
      'CHANNEL_MISMATCH',
      `mnistDataset: channels ${channels} but the backbone takes ${opts.backbone.inputShape[2]}-channel images`,
      `omit channels, or pass channels: ${opts.backbone.inputShape[2]}`,
    );
  }
  const [h, w] = sizeOf(
    opts.size ?? (opts.backbone ? [opts.backbone.inputShape[0], opts.backbone.inputShape[1]] : 28),
  );
  const rng = createRng(opts.seed ?? 0);
  const split = opts.split ?? 'train';
  const train: Array<{ pixels: Float32Array; label: number; file: string }> = [];
  const validation: typeof train = [];
  for (const [label, d] of digits.entries()) {
    const all = await digitPixels(d);
    const count = Math.floor(all.length / 784);
    const lo = split === 'train' ? 0 : MNIST_TRAIN_PER_DIGIT;
    const hi = split === 'train' ? MNIST_TRAIN_PER_DIGIT : count;
    const pool = shuffleInPlace(
      Array.from({ length: hi - lo }, (_, i) => lo + i),
      rng,
    );
    const n = Math.min(opts.perClass ?? pool.length, pool.length);
    const picked = pool.slice(0, n);
    const rows = picked.map((idx) => ({
      pixels: resize(all.subarray(idx * 784, idx * 784 + 784), h, w, channels),
      label,
      file: `mnist/${d}/${idx}`,
    }));
    let nVal = Math.round(n * valSplit);
    if (valSplit > 0 && n >= 2) nVal = Math.max(1, nVal);
    nVal = Math.min(nVal, Math.max(0, n - 1));
    validation.push(...rows.slice(0, nVal));
    train.push(...rows.slice(nVal));
  }
  shuffleInPlace(train, rng);
  shuffleInPlace(validation, rng);
  const shape: [number, number, number] = [h, w, channels];
  const trainSplit = makeSplit(train, shape, digits.length, opts.backbone);
  const valSplitData = validation.length
    ? makeSplit(validation, shape, digits.length, opts.backbone)
    : undefined;
  return {
    digits,
    classNames: digits.map(String),
    train: trainSplit,
    validation: valSplitData,
    preprocessed: opts.backbone != null,
    imageShape: shape,
    dispose() {
      for (const s of [trainSplit, valSplitData]) {
        s?.x.dispose();
        s?.y.dispose();
      }
    },
  };
}

/** One 28×28 [0,1] digit → h×w×channels in 0..255 (bilinear, like tf.image.resizeBilinear). */
function resize(src: Float32Array, h: number, w: number, channels: number): Float32Array {
  let pix: Float32Array;
  if (h === 28 && w === 28) {
    pix = src.map((v) => v * 255);
  } else {
    pix = tf.tidy(
      () =>
        tf.image
          .resizeBilinear(tf.tensor3d(src, [28, 28, 1]).mul(255) as tf.Tensor3D, [h, w])
          .dataSync() as Float32Array,
    );
  }
  if (channels === 1) return pix;
  const out = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    const v = pix[i]!;
    out[i * 3] = v;
    out[i * 3 + 1] = v;
    out[i * 3 + 2] = v;
  }
  return out;
}
