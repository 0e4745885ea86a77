import * as tf from '@tensorflow/tfjs';
import { nodeFs, nodePath } from '../node';
import type { WeightDType } from './dtypes';
import { weightsError } from './source';

/** A tensor to write: a TF.js tensor (float32 → F32, int32 → I32) or raw data with an explicit dtype. */
export type SafetensorsInput =
  | tf.Tensor
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I32' | 'I64'; shape: number[]; data: Int32Array };

export interface SaveSafetensorsOptions {
  /** Written as `__metadata__` (string → string), e.g. `{ format: 'pt' }` (what transformers expects). */
  metadata?: Record<string, string>;
  /** Replace an existing file. Default false: an existing file is a WEIGHTS_EXISTS error. */
  overwrite?: boolean;
}

interface Planned {
  key: string;
  dtype: WeightDType;
  shape: number[];
  bytes: () => Uint8Array;
}

function plan(key: string, t: SafetensorsInput): Planned {
  if (t instanceof tf.Tensor) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') {
      throw weightsError(
        'WEIGHTS_DTYPE',
        '<write>',
        key,
        `cannot write a ${t.dtype} tensor`,
        'Cast it to float32 or int32 first.',
      );
    }
    return {
      key,
      dtype: t.dtype === 'float32' ? 'F32' : 'I32',
      shape: [...t.shape],
      bytes: () => {
        const d = t.dataSync() as Float32Array | Int32Array;
        return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      },
    };
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) {
    throw weightsError(
      'WEIGHTS_CORRUPT',
      '<write>',
      key,
      `${t.data.length} values for shape [${t.shape}]`,
      'Pass exactly one value per element.',
    );
  }
  if (t.dtype === 'I64') {
    const src = t.data;
    return {
      key,
      dtype: 'I64',
      shape: [...t.shape],
      bytes: () => new Uint8Array(BigInt64Array.from(src, (v) => BigInt(v)).buffer),
    };
  }
  const d = t.data;
  return {
    key,
    dtype: t.dtype,
    shape: [...t.shape],
    bytes: () => new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

const ITEM: Partial<Record<WeightDType, number>> = { F32: 4, I32: 4, I64: 8 };

/** The header bytes (length prefix + JSON padded with spaces to 8 bytes) and the tensors in data order. */
function encodeHeader(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>) {
  const planned = Object.entries(tensors).map(([k, t]) => plan(k, t));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const p of planned) {
    const len = p.shape.reduce((a, b) => a * b, 1) * ITEM[p.dtype]!;
    header[p.key] = { dtype: p.dtype, shape: p.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + text.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(text.length), true);
  head.set(text, 8);
  return { head, planned, dataBytes: offset };
}

/** Encode tensors as safetensors bytes in memory (browser-friendly; files: saveSafetensors). */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const { head, planned, dataBytes } = encodeHeader(tensors, metadata);
  const out = new Uint8Array(head.length + dataBytes);
  out.set(head, 0);
  let at = head.length;
  for (const p of planned) {
    const b = p.bytes();
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * Write tensors to a `.safetensors` file atomically: a temporary file in the same folder, written tensor by
 * tensor (never the whole file in memory), fsynced, then renamed over `file`. Keys are written as given,
 * so PyTorch names (`layer4.0.conv1.weight`) load back with `model.load_state_dict(load_file(path))`.
 */
export async function saveSafetensors(
  file: string,
  tensors: Record<string, SafetensorsInput>,
  opts: SaveSafetensorsOptions = {},
): Promise<{ file: string; bytes: number }> {
  const fs = await nodeFs();
  const path = await nodePath();
  if (!opts.overwrite && fs.existsSync(file)) {
    throw weightsError(
      'WEIGHTS_EXISTS',
      file,
      undefined,
      'the file already exists',
      'Choose a new path, or pass { overwrite: true }.',
    );
  }
  const { head, planned, dataBytes } = encodeHeader(tensors, opts.metadata);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const handle = await fs.promises.open(tmp, 'wx');
  try {
    await handle.write(head, 0, head.length, 0);
    let at = head.length;
    for (const p of planned) {
      const b = p.bytes();
      await handle.write(b, 0, b.length, at);
      at += b.length;
    }
    await handle.sync();
    await handle.close();
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  return { file, bytes: head.length + dataBytes };
}
