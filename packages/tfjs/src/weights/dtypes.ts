/**
 * Element types of checkpoint tensors, named as in safetensors (`F32`, `BF16`, `I64`, …), and their
 * conversion to what TF.js holds: every float type becomes float32, every integer/bool type int32.
 */
export type WeightDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Readonly<Record<WeightDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isWeightDType(s: unknown): s is WeightDType {
  return typeof s === 'string' && Object.hasOwn(DTYPE_BYTES, s);
}

/** The TF.js dtype a checkpoint dtype is read as. */
export function tfDTypeOf(d: WeightDType): 'float32' | 'int32' {
  return d.startsWith('F') || d === 'BF16' ? 'float32' : 'int32';
}

/** True when `bytes` is a whole ArrayBuffer of exactly `n` bytes (a fresh read, safe to view as elements). */
function ownsBuffer(bytes: Uint8Array, n: number): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === n && bytes.buffer.byteLength === n;
}

/**
 * F32 / I32 elements. A buffer read for exactly this tensor is used in place (no second copy of a large
 * tensor); a view into shared bytes (in-memory sources, strided reads) is copied to an aligned buffer.
 */
function fourByteElements<T extends Float32Array | Int32Array>(
  bytes: Uint8Array,
  count: number,
  Kind: { new (b: ArrayBuffer, offset: number, n: number): T; new (n: number): T },
): T {
  if (ownsBuffer(bytes, count * 4)) return new Kind(bytes.buffer as ArrayBuffer, 0, count);
  const out = new Kind(count);
  new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
  return out;
}

/** IEEE half → float (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Little-endian bytes of `count` elements → Float32Array or Int32Array. Returns undefined for an I64 value
 * outside the int32 range (the caller names the tensor in its error).
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: WeightDType,
  count: number,
): Float32Array | Int32Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      return fourByteElements(bytes, count, Float32Array);
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) return undefined;
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32':
      return fourByteElements(bytes, count, Int32Array);
    case 'I16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    }
    default: {
      // U8, BOOL
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = bytes[i]!;
      return out;
    }
  }
}
