import { nodeZlib } from '../node';
import { type ByteSource, weightsError } from './source';

/** One member of a zip archive, located but not read. */
export interface ZipEntry {
  name: string;
  /** 0 = stored (what torch.save writes), 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  /** Where the member's (compressed) bytes start in the file. */
  dataOffset: number;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const FIX = 'The archive is truncated or not a zip written by torch.save; save it again.';

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (v: DataView, at: number) => Number(v.getBigUint64(at, true));

/** Locate the end-of-central-directory record (it may be followed by a comment of up to 64 KiB). */
async function findEnd(src: ByteSource): Promise<{ count: number; dirOffset: number; dirSize: number }> {
  const tail = Math.min(src.size, 22 + 0xffff + 20);
  const buf = await src.read(src.size - tail, tail);
  const v = view(buf);
  for (let i = buf.length - 22; i >= 0; i--) {
    if (v.getUint32(i, true) !== EOCD_SIG) continue;
    let count = v.getUint16(i + 10, true);
    let dirSize = v.getUint32(i + 12, true);
    let dirOffset = v.getUint32(i + 16, true);
    // Zip64 (archives over 4 GiB or 65535 members): the real values are in the zip64 record.
    if (i >= 20 && v.getUint32(i - 20, true) === EOCD64_LOCATOR_SIG) {
      const at = u64(v, i - 20 + 8);
      const rec = view(await src.read(at, 56));
      if (rec.getUint32(0, true) !== EOCD64_SIG)
        throw weightsError('WEIGHTS_CORRUPT', src, undefined, 'bad zip64 record', FIX);
      count = u64(rec, 32);
      dirSize = u64(rec, 40);
      dirOffset = u64(rec, 48);
    }
    return { count, dirOffset, dirSize };
  }
  throw weightsError('WEIGHTS_FORMAT', src, undefined, 'no zip end-of-central-directory record', FIX);
}

/** Zip64 extended sizes/offset for fields stored as 0xffffffff. */
function zip64Extra(extra: DataView, fields: { size: number; csize: number; offset: number }) {
  let p = 0;
  while (p + 4 <= extra.byteLength) {
    const id = extra.getUint16(p, true);
    const len = extra.getUint16(p + 2, true);
    if (id === 0x0001) {
      let q = p + 4;
      const take = () => {
        const x = u64(extra, q);
        q += 8;
        return x;
      };
      if (fields.size === 0xffffffff) fields.size = take();
      if (fields.csize === 0xffffffff) fields.csize = take();
      if (fields.offset === 0xffffffff) fields.offset = take();
    }
    p += 4 + len;
  }
}

/** List an archive's members from its central directory, each with the offset of its data. */
export async function readZipIndex(src: ByteSource): Promise<ZipEntry[]> {
  const { count, dirOffset, dirSize } = await findEnd(src);
  const dir = await src.read(dirOffset, dirSize);
  const v = view(dir);
  const out: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || v.getUint32(p, true) !== CDIR_SIG) {
      throw weightsError('WEIGHTS_CORRUPT', src, undefined, `central directory entry ${i} is damaged`, FIX);
    }
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen > dir.length) {
      throw weightsError('WEIGHTS_CORRUPT', src, undefined, `central directory entry ${i} is damaged`, FIX);
    }
    const name = new TextDecoder().decode(dir.subarray(p + 46, p + 46 + nameLen));
    const fields = {
      csize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      offset: v.getUint32(p + 42, true),
    };
    zip64Extra(new DataView(dir.buffer, dir.byteOffset + p + 46 + nameLen, extraLen), fields);
    const local = view(await src.read(fields.offset, 30, name));
    if (local.getUint32(0, true) !== LOCAL_SIG) {
      throw weightsError('WEIGHTS_CORRUPT', src, name, 'the local header of this member is damaged', FIX);
    }
    const dataOffset = fields.offset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    const method = v.getUint16(p + 10, true);
    if (dataOffset + fields.csize > src.size) {
      throw weightsError('WEIGHTS_TRUNCATED', src, name, 'this member extends past the end of the file', FIX);
    }
    out.push({ name, method, compressedSize: fields.csize, size: fields.size, dataOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** A member's bytes from `offset` (uncompressed coordinates); deflated members are inflated whole. */
export async function readZipRange(
  src: ByteSource,
  e: ZipEntry,
  offset: number,
  length: number,
  key: string,
): Promise<Uint8Array> {
  if (offset < 0 || length < 0 || offset + length > e.size) {
    throw weightsError(
      'WEIGHTS_OUT_OF_RANGE',
      src,
      key,
      `bytes ${offset}..${offset + length} lie outside '${e.name}' (${e.size} bytes)`,
      FIX,
    );
  }
  if (e.method === 0) return src.read(e.dataOffset + offset, length, key);
  if (e.method !== 8) {
    throw weightsError(
      'WEIGHTS_FORMAT',
      src,
      key,
      `zip member '${e.name}' uses compression method ${e.method}`,
      'Re-save with torch.save (it stores members uncompressed).',
    );
  }
  const { inflateRawSync } = await nodeZlib();
  const whole = inflateRawSync(await src.read(e.dataOffset, e.compressedSize, key));
  if (whole.length !== e.size)
    throw weightsError('WEIGHTS_CORRUPT', src, key, `'${e.name}' inflates to the wrong size`, FIX);
  return new Uint8Array(whole.buffer, whole.byteOffset + offset, length);
}
