import * as tf from '@tensorflow/tfjs';
import { StudioError } from './errors';
import { imageTensor } from './images';
import type { ClassRecord, ImageRecord } from './project';

export interface Split {
  train: Array<{ image: ImageRecord; label: number }>;
  heldOut: Array<{ image: ImageRecord; label: number }>;
}

/** What must hold before training: ≥ 2 named, distinct classes, each with ≥ 2 images (1 held out). */
export function checkClasses(classes: readonly ClassRecord[]): void {
  const named = classes.map((c, i) => ({ c, i, name: c.name.trim() }));
  for (const { c, i, name } of named) {
    if (!name && c.images.length > 0) {
      throw new StudioError('UNNAMED_CLASS', `class ${i + 1} has images but no name`, 'type a name for it');
    }
  }
  const used = named.filter((x) => x.name || x.c.images.length > 0);
  if (used.length < 2) {
    throw new StudioError(
      'TOO_FEW_CLASSES',
      `training needs at least 2 classes; this project has ${used.length}`,
      'name a second class and add images to it (use "Add class")',
    );
  }
  const seen = new Map<string, number>();
  for (const { name, i } of used) {
    const key = name.toLowerCase();
    if (seen.has(key)) {
      throw new StudioError(
        'DUPLICATE_CLASS',
        `classes ${seen.get(key)! + 1} and ${i + 1} are both named "${name}"`,
        'give every class its own name',
      );
    }
    seen.set(key, i);
  }
  const empty = used.find((x) => x.c.images.length === 0);
  if (empty) {
    throw new StudioError(
      'EMPTY_CLASS',
      `class "${empty.name}" has no images`,
      'add images to it, or remove the class',
    );
  }
  for (const { c, name } of used) {
    if (c.images.length < 2) {
      throw new StudioError(
        'TOO_FEW_IMAGES',
        `class "${name}" has 1 image; each class needs at least 2 (one is held out for evaluation)`,
        'add more images (10 or more per class work well)',
      );
    }
  }
}

/** The classes that take part (named or holding images), in order. */
export const activeClasses = (classes: readonly ClassRecord[]) =>
  classes.filter((c) => c.name.trim() || c.images.length > 0);

/** Stratified, seeded split: `fraction` of each class (at least one image) is held out. */
export function splitClasses(classes: readonly ClassRecord[], fraction: number, seed: number): Split {
  let s = seed >>> 0 || 1;
  const rand = () => {
    // xorshift32: a fixed, dependency-free shuffle so a project splits the same way every time.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const out: Split = { train: [], heldOut: [] };
  classes.forEach((c, label) => {
    const order = c.images.map((image) => ({ image, label }));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const k = Math.min(order.length - 1, Math.max(1, Math.round(order.length * fraction)));
    out.heldOut.push(...order.slice(0, k));
    out.train.push(...order.slice(k));
  });
  return out;
}

/** Decode images into one [n, size, size, 3] batch (0..255). */
export async function decodeBatch(
  items: ReadonlyArray<{ image: ImageRecord }>,
  size: number,
  onProgress?: (done: number) => void,
): Promise<tf.Tensor4D> {
  const parts: tf.Tensor3D[] = [];
  try {
    for (const it of items) {
      parts.push(await imageTensor(it.image, size));
      onProgress?.(parts.length);
    }
    return tf.stack(parts) as tf.Tensor4D;
  } finally {
    for (const p of parts) p.dispose();
  }
}

/** One-hot labels of `items`. */
export const oneHotLabels = (items: ReadonlyArray<{ label: number }>, numClasses: number): tf.Tensor2D =>
  tf.tidy(
    () =>
      tf.oneHot(
        tf.tensor1d(
          items.map((i) => i.label),
          'int32',
        ),
        numClasses,
      ) as tf.Tensor2D,
  );

/** Decoded images and their one-hot labels. */
export async function toTensors(
  items: ReadonlyArray<{ image: ImageRecord; label: number }>,
  size: number,
  numClasses: number,
  onProgress?: (done: number) => void,
): Promise<{ x: tf.Tensor4D; y: tf.Tensor2D }> {
  const x = await decodeBatch(items, size, onProgress);
  return { x, y: oneHotLabels(items, numClasses) };
}
