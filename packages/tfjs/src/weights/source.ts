import { FrostlineTfjsError, type FrostlineTfjsErrorCode } from '../errors';
import { nodeFs } from '../node';

/**
 * Random access to the bytes of a checkpoint: a file on disk (read on demand through one file handle)
 * or bytes already in memory (a browser `fetch`, a test). Every read is bounds-checked here, so no reader
 * can read outside the source, whatever offsets a file claims.
 */
export interface ByteSource {
  /** File path, or `<memory>` for bytes. Used in every error message. */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes from `offset`; a range outside the source is a WEIGHTS_OUT_OF_RANGE error. */
  read(offset: number, length: number, key?: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Throw a checkpoint error that names the file (`file`) and the tensor/entry (`path`, `details.key`). */
export function weightsError(
  code: FrostlineTfjsErrorCode,
  source: { name: string } | string,
  key: string | undefined,
  what: string,
  hint: string,
): FrostlineTfjsError {
  const file = typeof source === 'string' ? source : source.name;
  const where = key === undefined ? file : `${file}, key '${key}'`;
  return new FrostlineTfjsError(code, `${where}: ${what}. ${hint}`, {
    file,
    hint,
    ...(key === undefined ? {} : { path: key }),
    details: { file, ...(key === undefined ? {} : { key }) },
  });
}

/** A key the checkpoint does not hold (one reader or a sharded set of `count` tensors). */
export function unknownKeyError(
  source: { name: string } | string,
  key: string,
  count: number,
): FrostlineTfjsError {
  return weightsError(
    'WEIGHTS_UNKNOWN_KEY',
    source,
    key,
    'no such tensor in the checkpoint',
    `reader.keys() lists the ${count} tensors it has.`,
  );
}

function checkRange(src: { name: string; size: number }, offset: number, length: number, key?: string) {
  const ok = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0;
  if (!ok || offset + length > src.size) {
    throw weightsError(
      'WEIGHTS_OUT_OF_RANGE',
      src,
      key,
      `bytes ${offset}..${offset + length} lie outside the file (${src.size} bytes)`,
      'The file is truncated or its index is corrupt; download or save it again.',
    );
  }
}

/** Bytes in memory as a source (no copy; reads return views). */
export function memorySource(bytes: Uint8Array, name = '<memory>'): ByteSource {
  const src: ByteSource = {
    name,
    size: bytes.byteLength,
    async read(offset, length, key) {
      checkRange(src, offset, length, key);
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
  return src;
}

/** A file opened once; each read is a positioned read of just the bytes asked for. */
export async function fileSource(path: string): Promise<ByteSource> {
  const fs = await nodeFs();
  let handle: import('node:fs').promises.FileHandle;
  try {
    handle = await fs.promises.open(path, 'r');
  } catch (e) {
    throw new FrostlineTfjsError(
      'MODEL_LOAD_FAILED',
      `cannot open checkpoint '${path}': ${(e as Error).message}`,
      {
        file: path,
        cause: e,
      },
    );
  }
  const { size } = await handle.stat();
  let closed = false;
  const src: ByteSource = {
    name: path,
    size,
    async read(offset, length, key) {
      checkRange(src, offset, length, key);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw weightsError(
            'WEIGHTS_TRUNCATED',
            src,
            key,
            'the file ended while reading',
            'Was it changed while being read?',
          );
        }
        done += bytesRead;
      }
      return out;
    },
    async close() {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    },
  };
  return src;
}

/** Open `source` (a path, or bytes) as a ByteSource. */
export async function openSource(source: string | Uint8Array, name?: string): Promise<ByteSource> {
  return typeof source === 'string' ? fileSource(source) : memorySource(source, name);
}

/** Open `source` and run `read` on it; the file handle is closed when `read` fails. */
export async function withSource<T>(
  source: string | Uint8Array,
  name: string | undefined,
  read: (src: ByteSource) => Promise<T>,
): Promise<T> {
  const src = await openSource(source, name);
  try {
    return await read(src);
  } catch (e) {
    await src.close();
    throw e;
  }
}
