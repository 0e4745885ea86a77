import * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';
import { loadSharp } from './peers';

export interface DecodeOptions {
  /** Output size: a square side or [height, width]. Default: keep the image's size. */
  size?: number | [number, number];
  /** 1 (gray) or 3 (RGB, default). Alpha is dropped. */
  channels?: 1 | 3;
  /** How to fit a different aspect ratio: `fill` (stretch, default), `cover` (center crop), `contain` (letterbox). */
  fit?: 'fill' | 'cover' | 'contain';
}

export function sizeOf(size: number | [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : size;
}

/** Raw pixels of one decoded image (0..255, HWC). */
export interface RawImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * Decode and resize an image file or buffer in Node with sharp (optional peer). Truncated or corrupt
 * files throw a VisionError `UNREADABLE_IMAGE`.
 */
export async function decodeImageRaw(
  input: string | Uint8Array,
  opts: DecodeOptions = {},
): Promise<RawImage> {
  const sharp = await loadSharp();
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new VisionError(
      'CHANNEL_MISMATCH',
      `channels must be 1 or 3, got ${channels}`,
      'use channels: 3 for RGB backbones',
    );
  }
  try {
    // failOn 'truncated' makes sharp reject cut-off PNG/JPEG data instead of returning gray padding.
    let img = sharp(input, { failOn: 'truncated' }).removeAlpha();
    if (opts.size != null) {
      const [h, w] = sizeOf(opts.size);
      img = img.resize(w, h, { fit: opts.fit ?? 'fill' });
    }
    img = channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    const { data, info } = (await img.raw().toBuffer({ resolveWithObject: true })) as {
      data: Buffer;
      info: { width: number; height: number; channels: number };
    };
    let pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels !== channels) pixels = convertChannels(pixels, info.channels, channels);
    return { data: pixels, height: info.height, width: info.width, channels };
  } catch (err) {
    if (err instanceof VisionError) throw err;
    const what = typeof input === 'string' ? input : `a ${input.byteLength}-byte buffer`;
    throw new VisionError(
      'UNREADABLE_IMAGE',
      `cannot decode ${what}: ${(err as Error).message}`,
      'the file is corrupt, truncated or not an image (supported: png, jpg/jpeg, webp, gif, tiff, avif)',
    );
  }
}

function convertChannels(src: Uint8Array, from: number, to: number): Uint8Array {
  const n = src.length / from;
  const out = new Uint8Array(n * to);
  for (let i = 0; i < n; i++) {
    if (to === 1) {
      out[i] =
        from >= 3
          ? Math.round(0.299 * src[i * from]! + 0.587 * src[i * from + 1]! + 0.114 * src[i * from + 2]!)
          : src[i * from]!;
    } else {
      for (let c = 0; c < to; c++) out[i * to + c] = src[i * from + (from >= 3 ? c : 0)]!;
    }
  }
  return out;
}

/** Decode one image to a float32 [height, width, channels] tensor in 0..255. */
export async function decodeImage(
  input: string | Uint8Array,
  opts: DecodeOptions = {},
): Promise<tf.Tensor3D> {
  const raw = await decodeImageRaw(input, opts);
  return tf.tensor3d(Float32Array.from(raw.data), [raw.height, raw.width, raw.channels]);
}

/**
 * Browser path: pixels of an <img>/<canvas>/ImageData/ImageBitmap via tf.browser.fromPixels, resized
 * bilinearly, float32 0..255.
 */
export function imageFromPixels(
  pixels: Parameters<typeof tf.browser.fromPixels>[0],
  opts: { size?: number | [number, number]; channels?: 1 | 3 } = {},
): tf.Tensor3D {
  return tf.tidy(() => {
    let x = tf.browser.fromPixels(pixels, opts.channels ?? 3).toFloat() as tf.Tensor3D;
    if (opts.size != null) x = tf.image.resizeBilinear(x, sizeOf(opts.size)) as tf.Tensor3D;
    return x;
  });
}
