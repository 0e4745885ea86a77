import { DTYPE_BYTES, isWeightDType, type WeightDType } from './dtypes';
import { type CheckpointReader, createReader, elementCount, type IndexedEntry } from './reader';
import { type ByteSource, weightsError, withSource } from './source';

/** The safetensors reference implementation refuses headers over 100 MB; so do we (a corrupt length). */
const MAX_HEADER = 100_000_000;
const FIX = 'Download or save the file again; a valid safetensors file starts with an 8-byte header length.';

interface RawEntry {
  key: string;
  dtype: WeightDType;
  shape: number[];
  begin: number;
  end: number;
}

function isShape(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function parseEntry(src: ByteSource, key: string, v: unknown, dataSize: number): RawEntry {
  const o = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof v !== 'object' || v === null || !isShape(o.shape)) {
    throw weightsError('WEIGHTS_CORRUPT', src, key, 'header entry has no valid "shape"', FIX);
  }
  if (!isWeightDType(o.dtype)) {
    throw weightsError(
      'WEIGHTS_DTYPE',
      src,
      key,
      `unsupported dtype ${JSON.stringify(o.dtype)}`,
      `Supported: ${Object.keys(DTYPE_BYTES).join(', ')}. Convert the tensor (e.g. to float32) before saving.`,
    );
  }
  const off = o.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    throw weightsError(
      'WEIGHTS_CORRUPT',
      src,
      key,
      'header entry has no valid "data_offsets" [begin, end]',
      FIX,
    );
  }
  const [begin, end] = off as [number, number];
  if (end < begin || end > dataSize) {
    throw weightsError(
      'WEIGHTS_OUT_OF_RANGE',
      src,
      key,
      `data_offsets [${begin}, ${end}] lie outside the data area (${dataSize} bytes)`,
      'The file is truncated or its header is corrupt; download or save it again.',
    );
  }
  const want = elementCount(o.shape) * DTYPE_BYTES[o.dtype];
  if (end - begin !== want) {
    throw weightsError(
      'WEIGHTS_CORRUPT',
      src,
      key,
      `data_offsets span ${end - begin} bytes but ${o.dtype}[${o.shape.join(', ')}] needs ${want}`,
      FIX,
    );
  }
  return { key, dtype: o.dtype, shape: o.shape, begin, end };
}

function checkOverlaps(src: ByteSource, entries: RawEntry[]): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.begin < a.end) {
      throw weightsError(
        'WEIGHTS_OVERLAP',
        src,
        b.key,
        `its bytes [${b.begin}, ${b.end}) overlap those of '${a.key}' [${a.begin}, ${a.end})`,
        'Each tensor must own its own bytes; the header is corrupt. Save the file again.',
      );
    }
  }
}

async function readHeader(src: ByteSource): Promise<{ json: Record<string, unknown>; dataStart: number }> {
  if (src.size < 8) {
    throw weightsError(
      'WEIGHTS_TRUNCATED',
      src,
      undefined,
      `only ${src.size} bytes, shorter than the header length`,
      FIX,
    );
  }
  const lenBytes = await src.read(0, 8);
  const n = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (n > src.size - 8) {
    throw weightsError(
      'WEIGHTS_TRUNCATED',
      src,
      undefined,
      `the header length (${n} bytes) is larger than the rest of the file (${src.size - 8} bytes)`,
      FIX,
    );
  }
  if (n > MAX_HEADER) {
    throw weightsError(
      'WEIGHTS_CORRUPT',
      src,
      undefined,
      `header of ${n} bytes is over the 100 MB limit`,
      FIX,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await src.read(8, n)));
  } catch (e) {
    throw weightsError(
      'WEIGHTS_CORRUPT',
      src,
      undefined,
      `the header is not valid JSON (${(e as Error).message})`,
      FIX,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw weightsError('WEIGHTS_CORRUPT', src, undefined, 'the header is not a JSON object', FIX);
  }
  return { json: json as Record<string, unknown>, dataStart: 8 + n };
}

function parseMetadata(src: ByteSource, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  const ok = typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');
  if (!ok) throw weightsError('WEIGHTS_CORRUPT', src, '__metadata__', 'must map strings to strings', FIX);
  return { ...(v as Record<string, string>) };
}

/** Read a safetensors index from an open source (validated: ranges inside the file, no overlaps). */
export async function readSafetensors(src: ByteSource): Promise<CheckpointReader> {
  const { json, dataStart } = await readHeader(src);
  const dataSize = src.size - dataStart;
  const raw = Object.entries(json)
    .filter(([k]) => k !== '__metadata__')
    .map(([k, v]) => parseEntry(src, k, v, dataSize));
  checkOverlaps(src, raw);
  const entries: IndexedEntry[] = raw.map((e) => ({
    key: e.key,
    dtype: e.dtype,
    shape: e.shape,
    readBytes: () => src.read(dataStart + e.begin, e.end - e.begin, e.key),
  }));
  return createReader(src, 'safetensors', entries, parseMetadata(src, json.__metadata__));
}

/**
 * Open a `.safetensors` file (a path, read lazily through one file handle; or bytes). The header is
 * validated on open; tensors are read one at a time by `reader.read(key)`.
 */
export async function openSafetensors(source: string | Uint8Array, name?: string): Promise<CheckpointReader> {
  return withSource(source, name, readSafetensors);
}
