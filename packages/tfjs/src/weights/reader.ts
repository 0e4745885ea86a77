import * as tf from '@tensorflow/tfjs';
import { decodeElements, tfDTypeOf, type WeightDType } from './dtypes';
import { type ByteSource, unknownKeyError, weightsError } from './source';

/** What a checkpoint says about one tensor, known without reading its data. */
export interface WeightEntry {
  key: string;
  /** Element type in the file (`F32`, `BF16`, `I64`, …). */
  dtype: WeightDType;
  shape: number[];
}

/** One tensor read from a checkpoint, converted to a TF.js dtype (floats → float32, integers → int32). */
export interface WeightData {
  key: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
  /** The element type in the file. */
  sourceDType: WeightDType;
}

/**
 * A checkpoint opened for reading: the index (keys, dtypes, shapes) is parsed and validated on open; tensor
 * data is read from the file only when asked for, one tensor at a time. Call `close()` when done.
 */
export interface CheckpointReader {
  /** The file path (or the name given to in-memory bytes). */
  readonly file: string;
  readonly format: 'safetensors' | 'torch';
  /** safetensors `__metadata__` (string → string); empty for torch archives. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor keys in file order, e.g. `layer1.0.conv1.weight`. */
  keys(): string[];
  has(key: string): boolean;
  /** dtype and shape of a tensor (WEIGHTS_UNKNOWN_KEY when absent). */
  entry(key: string): WeightEntry;
  /** Read and convert one tensor. */
  read(key: string): Promise<WeightData>;
  /** Read one tensor as a TF.js tensor (the caller disposes it). */
  readTensor(key: string): Promise<tf.Tensor>;
  close(): Promise<void>;
}

/** How a format finds the bytes of one tensor: contiguous little-endian elements in row-major order. */
export interface IndexedEntry extends WeightEntry {
  readBytes(): Promise<Uint8Array>;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The shared reader over a format's index (safetensors and torch differ only in how they find bytes). */
export function createReader(
  source: ByteSource,
  format: CheckpointReader['format'],
  entries: IndexedEntry[],
  metadata: Record<string, string> = {},
): CheckpointReader {
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const get = (key: string): IndexedEntry => {
    const e = byKey.get(key);
    if (!e) throw unknownKeyError(source, key, byKey.size);
    return e;
  };
  const read = async (key: string): Promise<WeightData> => {
    const e = get(key);
    const bytes = await e.readBytes();
    const data = decodeElements(bytes, e.dtype, elementCount(e.shape));
    if (!data) {
      throw weightsError(
        'WEIGHTS_DTYPE',
        source,
        key,
        'an I64 value does not fit in int32 (TF.js has no int64)',
        'Convert the tensor to int32 or float before saving.',
      );
    }
    return { key, shape: [...e.shape], dtype: tfDTypeOf(e.dtype), data, sourceDType: e.dtype };
  };
  return {
    file: source.name,
    format,
    metadata: Object.freeze({ ...metadata }),
    keys: () => entries.map((e) => e.key),
    has: (key) => byKey.has(key),
    entry: (key) => {
      const e = get(key);
      return { key: e.key, dtype: e.dtype, shape: [...e.shape] };
    },
    read,
    async readTensor(key) {
      const w = await read(key);
      return tf.tensor(w.data, w.shape, w.dtype);
    },
    close: () => source.close(),
  };
}
