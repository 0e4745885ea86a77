import type * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';
import { imageFromPixels, sizeOf } from './image';

export interface DecodeBlobOptions {
  /** Output size: a square side or [height, width]. Default: keep the image's size. */
  size?: number | [number, number];
  /** 1 (gray) or 3 (RGB, default). Alpha is dropped. */
  channels?: 1 | 3;
  /** Refuse images with more pixels than this before any tensor is made (default 50 megapixels). */
  maxPixels?: number;
}

const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Browser path of image decoding (no sharp): the browser decodes the file (`createImageBitmap`, which
 * also resizes), and `tf.browser.fromPixels` turns it into a float32 [height, width, channels]
 * tensor in 0..255. Corrupt or non-image data throws VisionError `UNREADABLE_IMAGE`; an image over
 * `maxPixels` throws `INVALID_OPTION` with its size.
 */
export async function decodeImageBlob(blob: Blob, opts: DecodeBlobOptions = {}): Promise<tf.Tensor3D> {
  if (typeof createImageBitmap !== 'function') {
    throw new VisionError(
      'UNSUPPORTED_ENVIRONMENT',
      'decodeImageBlob needs a browser (createImageBitmap)',
      'in Node, use decodeImage(path or bytes) (sharp)',
    );
  }
  const what = blob instanceof File ? `"${blob.name}"` : `a ${blob.size}-byte blob`;
  let probe: ImageBitmap;
  try {
    probe = await createImageBitmap(blob);
  } catch (err) {
    throw new VisionError(
      'UNREADABLE_IMAGE',
      `cannot decode ${what}: ${(err as Error).message || 'the browser could not read it'}`,
      'the file is corrupt, truncated or not an image (supported: png, jpg/jpeg, webp, gif, bmp)',
    );
  }
  const max = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (probe.width * probe.height > max) {
    const size = `${probe.width}×${probe.height}`;
    probe.close();
    throw new VisionError(
      'INVALID_OPTION',
      `${what} is ${size} pixels, over the limit of ${max.toLocaleString('en-US')} pixels`,
      'scale the image down before adding it',
    );
  }
  let bitmap = probe;
  if (opts.size != null) {
    // Let the browser resize (high quality) instead of a bilinear resize of the full-size tensor.
    const [height, width] = sizeOf(opts.size);
    bitmap = await createImageBitmap(probe, {
      resizeWidth: width,
      resizeHeight: height,
      resizeQuality: 'high',
    });
    probe.close();
  }
  try {
    return imageFromPixels(bitmap, { channels: opts.channels ?? 3 });
  } finally {
    bitmap.close();
  }
}
