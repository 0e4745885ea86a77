// A minimal PNG encoder (RGB, 8 bit, no filter) for generating test images without any image library.
import { deflateSync } from 'node:zlib';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width, height) {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = 8; // bit depth
  d[9] = 2; // RGB
  return chunk('IHDR', d);
}

/** Encode `rgb` (width*height*3 bytes) as a PNG file. */
export function encodePng(width, height, rgb) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++)
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A header-only PNG that claims a huge canvas (what a decompression bomb looks like to a decoder). */
export function hugePngHeader(width, height) {
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * Two visually distinct classes, varied per image: `circles` (a warm disc on a light background at a
 * random place and size) and `stripes` (cool diagonal stripes with random period and phase).
 */
export function patternImage(kind, index, size = 64) {
  const r = rng(1000 * (kind === 'circles' ? 1 : 2) + index);
  const rgb = new Uint8Array(size * size * 3);
  const cx = size * (0.3 + 0.4 * r());
  const cy = size * (0.3 + 0.4 * r());
  const rad = size * (0.15 + 0.15 * r());
  const period = 6 + Math.floor(r() * 8);
  const phase = Math.floor(r() * period);
  const jitter = () => Math.floor(r() * 40) - 20;
  const warm = [220 + jitter() / 2, 60 + jitter(), 40 + jitter()];
  const cool = [40 + jitter(), 90 + jitter(), 200 + jitter() / 2];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let c;
      if (kind === 'circles') c = (x - cx) ** 2 + (y - cy) ** 2 < rad * rad ? warm : [235, 230, 220];
      else c = Math.floor((x + y + phase) / (period / 2)) % 2 === 0 ? cool : [20, 30, 60];
      rgb.set(
        c.map((v) => Math.max(0, Math.min(255, Math.round(v)))),
        (y * size + x) * 3,
      );
    }
  }
  return encodePng(size, size, rgb);
}
