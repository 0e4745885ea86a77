import * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';
import { createRng, type Rng } from './random';

export interface AugmentOptions {
  /** Mirror left-right with probability 0.5. Default false (wrong for digits and text). */
  flip?: boolean;
  /** Random crop: zoom into up to this fraction (0.1 = keep 90–100% of the side), at a random place. Default 0. */
  crop?: number;
  /** Random rotation within ±degrees. Default 0. */
  rotation?: number;
  /** Seed of the per-sample draws. Default 0. */
  seed?: number;
  /** How pixels outside the source are filled. Default `nearest`. */
  fill?: 'nearest' | 'reflect' | 'constant';
}

function check(opts: AugmentOptions): void {
  const crop = opts.crop ?? 0;
  const rot = opts.rotation ?? 0;
  if (!(crop >= 0 && crop < 1))
    throw new VisionError('INVALID_OPTION', `augment: crop must be in [0, 1), got ${crop}`);
  if (!(rot >= 0 && rot <= 180))
    throw new VisionError('INVALID_OPTION', `augment: rotation must be 0..180 degrees, got ${rot}`);
}

/**
 * One projective-transform row per sample (tf.image.transform maps output (x, y) to input
 * coordinates): flip, zoom-crop and rotation composed about the image centre, whatever is enabled, each
 * sample costs one resampling.
 */
function transforms(n: number, h: number, w: number, opts: AugmentOptions, rng: Rng): number[] {
  const rows: number[] = [];
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const crop = opts.crop ?? 0;
  const maxRot = ((opts.rotation ?? 0) * Math.PI) / 180;
  for (let i = 0; i < n; i++) {
    const flip = opts.flip && rng.next() < 0.5 ? -1 : 1;
    const s = crop > 0 ? rng.uniform(1 - crop, 1) : 1;
    const tx = crop > 0 ? (rng.uniform(-1, 1) * ((1 - s) * w)) / 2 : 0;
    const ty = crop > 0 ? (rng.uniform(-1, 1) * ((1 - s) * h)) / 2 : 0;
    const t = maxRot > 0 ? rng.uniform(-maxRot, maxRot) : 0;
    const cos = Math.cos(t);
    const sin = Math.sin(t);
    // input = R(t) · diag(s·flip, s) · (out − c) + c + translation
    const a0 = cos * s * flip;
    const a1 = -sin * s;
    const b0 = sin * s * flip;
    const b1 = cos * s;
    rows.push(a0, a1, cx - a0 * cx - a1 * cy + tx, b0, b1, cy - b0 * cx - b1 * cy + ty, 0, 0);
  }
  return rows;
}

/** Augment one batch [n, h, w, c] (any value range). Returns a new tensor. */
export function augment(x: tf.Tensor4D, opts: AugmentOptions & { rng?: Rng } = {}): tf.Tensor4D {
  check(opts);
  const rng = opts.rng ?? createRng(opts.seed ?? 0);
  if (!opts.flip && !opts.crop && !opts.rotation) return x.clone();
  const [n, h, w] = x.shape;
  const rows = transforms(n, h, w, opts, rng);
  // One kernel call per sample: tfjs-backend-cpu 4.22's Transform leaves every sample after the
  // first at zero when given a batch (checked; the per-sample call is exact).
  return tf.tidy(() => {
    const samples = tf
      .split(x, n, 0)
      .map((xi, i) =>
        tf.image.transform(
          xi as tf.Tensor4D,
          tf.tensor2d(rows.slice(i * 8, i * 8 + 8), [1, 8]),
          'bilinear',
          opts.fill ?? 'nearest',
          0,
          [h, w],
        ),
      );
    return tf.concat(samples, 0) as tf.Tensor4D;
  });
}

/**
 * A stateful, seeded augmentation function for `train({ augment })`: each call draws new
 * transforms from the same stream, so a run is reproducible from its seed.
 */
export function augmentation(opts: AugmentOptions = {}): (x: tf.Tensor) => tf.Tensor {
  check(opts);
  const rng = createRng(opts.seed ?? 0);
  return (x: tf.Tensor) => {
    if (x.rank !== 4) {
      throw new VisionError(
        'SHAPE_MISMATCH',
        `augmentation expects image batches [n, h, w, c], got rank ${x.rank}`,
      );
    }
    return augment(x as tf.Tensor4D, { ...opts, rng });
  };
}
