import * as tf from '@tensorflow/tfjs';
import type { Backbone } from './backbone';
import { VisionError } from './errors';

/** One split of an image dataset: inputs, one-hot targets and integer labels (indices into classNames). */
export interface ImageSplit {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  labels: Int32Array;
  /** Source of each row (file path, or `mnist/<digit>/<index>`). */
  files: string[];
}

export interface ImageDataset {
  classNames: string[];
  train: ImageSplit;
  validation: ImageSplit | undefined;
  /** True when x went through a backbone's preprocessing; false means raw 0..255 pixels. */
  preprocessed: boolean;
  /** [height, width, channels] of every image. */
  imageShape: [number, number, number];
  dispose(): void;
}

/** Pack rows of raw pixels into a split (one tensor per split, built from one buffer). */
export function makeSplit(
  rows: Array<{ pixels: ArrayLike<number>; label: number; file: string }>,
  shape: [number, number, number],
  numClasses: number,
  backbone: Backbone | undefined,
): ImageSplit {
  const [h, w, c] = shape;
  const per = h * w * c;
  const buf = new Float32Array(rows.length * per);
  for (const [i, r] of rows.entries()) buf.set(r.pixels, i * per);
  const labels = Int32Array.from(rows.map((r) => r.label));
  const raw = tf.tensor4d(buf, [rows.length, h, w, c]);
  const x = backbone ? backbone.preprocess(raw) : raw;
  if (backbone) raw.dispose();
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D);
  return { x, y, labels, files: rows.map((r) => r.file) };
}

/**
 * Check that a backbone (usually after withHead) can train on a dataset: same image shape and as
 * many output units as classes. Throws VisionError CLASS_MISMATCH / CHANNEL_MISMATCH / SHAPE_MISMATCH.
 */
export function checkCompatible(
  backbone: Backbone,
  data: { classNames: readonly string[]; imageShape?: readonly number[]; train?: { x: tf.Tensor } },
): void {
  const out = backbone.model.outputs[0]!.shape;
  const units = out.at(-1);
  const n = data.classNames.length;
  if (out.length !== 2 || units == null) {
    throw new VisionError(
      'CLASS_MISMATCH',
      `backbone "${backbone.name}" outputs a feature map [${out.join(', ')}], not class scores`,
      `add a classifier: withHead(backbone, { numClasses: ${n} })`,
    );
  }
  if (units !== n && !(units === 1 && n === 2)) {
    throw new VisionError(
      'CLASS_MISMATCH',
      `the head predicts ${units} classes but the dataset has ${n} (${data.classNames.slice(0, 6).join(', ')}${n > 6 ? ', …' : ''})`,
      `rebuild the head: withHead(backbone, { numClasses: ${n} })`,
    );
  }
  const shape = data.imageShape ?? data.train?.x.shape.slice(1);
  if (shape) {
    const [h, w, c] = backbone.inputShape;
    if (shape[2] !== c) {
      throw new VisionError(
        'CHANNEL_MISMATCH',
        `the backbone takes ${c}-channel images, the dataset has ${shape[2]}`,
        `load the dataset with channels: ${c} (or pass { backbone } to the loader)`,
      );
    }
    if (shape[0] !== h || shape[1] !== w) {
      throw new VisionError(
        'SHAPE_MISMATCH',
        `the backbone takes ${h}×${w} images, the dataset has ${shape[0]}×${shape[1]}`,
        `load the dataset with size: ${h === w ? h : `[${h}, ${w}]`} (or pass { backbone } to the loader)`,
      );
    }
  }
}
