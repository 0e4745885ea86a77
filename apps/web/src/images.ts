import { decodeImageBlob } from '@frostline/vision';
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from './errors';
import { type ImageRecord, newId } from './project';

export const MAX_FILE_BYTES = 30 * 1024 * 1024;
export const MAX_PIXELS = 40_000_000;

type Kind = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

/** The image format by its magic bytes (file names and MIME types lie). */
export function sniffImageType(b: Uint8Array): Kind | undefined {
  const at = (i: number, ...xs: number[]) => xs.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  return undefined;
}

/**
 * Width and height from the file header, read before decoding so that a decompression bomb (a small
 * file claiming a huge canvas) is refused without allocating it. Undefined when the header is unusual.
 */
export function headerSize(b: Uint8Array, kind: Kind): { width: number; height: number } | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ok = (n: number) => b.byteLength >= n;
  if (kind === 'png' && ok(24) && String.fromCharCode(...b.subarray(12, 16)) === 'IHDR') {
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (kind === 'gif' && ok(10)) return { width: v.getUint16(6, true), height: v.getUint16(8, true) };
  if (kind === 'bmp' && ok(26))
    return { width: v.getInt32(18, true), height: Math.abs(v.getInt32(22, true)) };
  if (kind === 'jpeg') {
    // Walk the segments up to the first start-of-frame marker (SOF0..SOF15 except DHT/JPG/DAC).
    let i = 2;
    while (ok(i + 9) && b[i] === 0xff) {
      const m = b[i + 1]!;
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        return { height: v.getUint16(i + 5), width: v.getUint16(i + 7) };
      }
      i += 2 + v.getUint16(i + 2);
    }
  }
  return undefined;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Check one user file and keep its bytes: a clear StudioError for non-images, corrupt or huge files. */
export async function readImageFile(file: File): Promise<ImageRecord> {
  if (file.size > MAX_FILE_BYTES) {
    throw new StudioError(
      'IMAGE_TOO_LARGE',
      `"${file.name}" is ${mb(file.size)}, over the ${mb(MAX_FILE_BYTES)} limit`,
      'scale the image down or save it as JPEG',
    );
  }
  const bytes = await file.arrayBuffer();
  const kind = sniffImageType(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 64)));
  if (!kind) {
    throw new StudioError(
      'NOT_AN_IMAGE',
      `"${file.name}" is not an image`,
      'add PNG, JPEG, GIF, WebP or BMP files',
    );
  }
  const head = headerSize(new Uint8Array(bytes), kind);
  if (head && head.width * head.height > MAX_PIXELS) {
    throw new StudioError(
      'IMAGE_TOO_LARGE',
      `"${file.name}" is ${head.width}×${head.height} pixels, over the limit of ${MAX_PIXELS / 1e6} megapixels`,
      'scale the image down before adding it',
    );
  }
  // Decode once now, so that a corrupt file is refused here and not in the middle of training.
  const probe = await decodeImageBlob(new Blob([bytes], { type: `image/${kind}` }), {
    size: 8,
    maxPixels: MAX_PIXELS,
  }).catch(() => {
    throw new StudioError(
      'UNREADABLE_IMAGE',
      `"${file.name}" could not be decoded: it looks like a ${kind.toUpperCase()} but is corrupt or truncated`,
      'open it in an image viewer; re-export or remove it',
    );
  });
  probe.dispose();
  const bitmapSize = head ?? { width: 0, height: 0 };
  return { id: newId(), name: file.name, type: `image/${kind}`, bytes, ...bitmapSize };
}

/** The image as a float32 [size, size, 3] tensor in 0..255, decoded and resized by the browser. */
export function imageTensor(img: ImageRecord, size: number): Promise<tf.Tensor3D> {
  return decodeImageBlob(new Blob([img.bytes], { type: img.type }), { size, maxPixels: MAX_PIXELS });
}
