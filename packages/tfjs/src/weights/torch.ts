import { DTYPE_BYTES } from './dtypes';
import { PyGlobal, PyTuple, STORAGE_DTYPES, type StorageRef, type TensorRef, unpickle } from './pickle';
import { type CheckpointReader, createReader, elementCount, type IndexedEntry } from './reader';
import { type ByteSource, weightsError, withSource } from './source';
import { readZipIndex, readZipRange, type ZipEntry } from './zip';

const RESAVE = 'Re-save it in Python with torch.save(model.state_dict(), path) (the default zip format).';

/** `('storage', torch.FloatStorage, '0', 'cpu', numel)` → a StorageRef; anything else is refused. */
function storageFromPid(src: ByteSource, entry: string, pid: unknown, at: number): StorageRef {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [tag, type, key, , numel] = items;
  if (
    tag !== 'storage' ||
    !(type instanceof PyGlobal) ||
    !Object.hasOwn(STORAGE_DTYPES, type.name) ||
    (typeof key !== 'string' && typeof key !== 'number') ||
    !Number.isSafeInteger(numel)
  ) {
    throw weightsError('UNSAFE_PICKLE', src, entry, `unexpected persistent id at pickle byte ${at}`, RESAVE);
  }
  return { kind: 'storage', key: String(key), dtype: STORAGE_DTYPES[type.name]!, numel: numel as number };
}

const isTensor = (v: unknown): v is TensorRef =>
  typeof v === 'object' && (v as TensorRef | null)?.kind === 'tensor';

/** Tensors of a (possibly nested) state dict, keys joined with '.'; non-tensor leaves carry no weights. */
function collectTensors(v: unknown, prefix: string, out: Map<string, TensorRef>): void {
  if (isTensor(v)) {
    out.set(prefix, v);
    return;
  }
  const items: Array<[unknown, unknown]> =
    v instanceof Map ? [...v.entries()] : Array.isArray(v) ? v.map((x, i) => [i, x]) : [];
  for (const [k, x] of items) collectTensors(x, prefix ? `${prefix}.${String(k)}` : String(k), out);
}

function isContiguous(t: TensorRef): boolean {
  let expect = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i]! !== 1 && t.stride[i]! !== expect) return false;
    expect *= t.shape[i]!;
  }
  return true;
}

/** Elements a view reaches: [offset, last] inside the storage (checked against numel and the member size). */
function checkView(src: ByteSource, key: string, t: TensorRef, member: ZipEntry): void {
  const n = elementCount(t.shape);
  let last = t.offset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  const item = DTYPE_BYTES[t.storage.dtype];
  const bad =
    t.offset < 0 ||
    t.stride.some((s) => s < 0) ||
    (n > 0 && last >= t.storage.numel) ||
    t.storage.numel * item > member.size;
  if (bad) {
    throw weightsError(
      'WEIGHTS_OUT_OF_RANGE',
      src,
      key,
      `the tensor view (offset ${t.offset}, shape [${t.shape}], stride [${t.stride}]) or its storage (${t.storage.numel} elements) does not fit '${member.name}' (${member.size} bytes)`,
      RESAVE,
    );
  }
}

/** Bytes of a tensor in row-major order: one read when contiguous, else one read of its span + a gather. */
async function viewBytes(src: ByteSource, key: string, t: TensorRef, member: ZipEntry): Promise<Uint8Array> {
  const item = DTYPE_BYTES[t.storage.dtype];
  const n = elementCount(t.shape);
  if (n === 0) return new Uint8Array(0);
  if (isContiguous(t)) return readZipRange(src, member, t.offset * item, n * item, key);
  let last = t.offset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i]! - 1) * t.stride[i]!;
  const span = await readZipRange(src, member, t.offset * item, (last - t.offset + 1) * item, key);
  const out = new Uint8Array(n * item);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let at = 0;
    for (let d = 0; d < idx.length; d++) at += idx[d]! * t.stride[d]!;
    out.set(span.subarray(at * item, (at + 1) * item), k * item);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The `<root>/` prefix of a torch.save archive: the folder holding `data.pkl`. */
function findRoot(src: ByteSource, members: ZipEntry[]): { root: string; pkl: ZipEntry } {
  const pkl =
    members.find((m) => /^[^/]+\/data\.pkl$/.test(m.name)) ?? members.find((m) => m.name === 'data.pkl');
  if (!pkl) {
    throw weightsError(
      'WEIGHTS_NO_DATA_PKL',
      src,
      undefined,
      `this zip has no data.pkl (members: ${members
        .slice(0, 5)
        .map((m) => m.name)
        .join(', ')}${members.length > 5 ? ', …' : ''}), so it is not a torch.save archive`,
      RESAVE,
    );
  }
  return { root: pkl.name.slice(0, -'data.pkl'.length), pkl };
}

/** Read the index of a torch.save zip archive of a state_dict (the pickle is read; tensors are not). */
export async function readTorchArchive(src: ByteSource): Promise<CheckpointReader> {
  const members = await readZipIndex(src);
  const byName = new Map(members.map((m) => [m.name, m]));
  const { root, pkl } = findRoot(src, members);
  const order = byName.get(`${root}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(await readZipRange(src, order, 0, order.size, order.name)).trim();
    if (text !== 'little') {
      throw weightsError(
        'WEIGHTS_FORMAT',
        src,
        order.name,
        `byte order '${text}' is not supported`,
        'Save the checkpoint on a little-endian machine.',
      );
    }
  }
  const root0 = unpickle(await readZipRange(src, pkl, 0, pkl.size, pkl.name), {
    file: src.name,
    entry: pkl.name,
    persistentLoad: (pid, at) => storageFromPid(src, pkl.name, pid, at),
  });
  if (!(root0 instanceof Map)) {
    throw weightsError(
      'WEIGHTS_FORMAT',
      src,
      pkl.name,
      'the archive does not hold a dict of tensors',
      RESAVE,
    );
  }
  const tensors = new Map<string, TensorRef>();
  collectTensors(root0, '', tensors);
  const entries: IndexedEntry[] = [...tensors].map(([key, t]) => {
    const member = byName.get(`${root}data/${t.storage.key}`);
    if (!member) {
      throw weightsError(
        'WEIGHTS_CORRUPT',
        src,
        key,
        `its storage '${root}data/${t.storage.key}' is missing from the archive`,
        RESAVE,
      );
    }
    checkView(src, key, t, member);
    return { key, dtype: t.storage.dtype, shape: t.shape, readBytes: () => viewBytes(src, key, t, member) };
  });
  return createReader(src, 'torch', entries);
}

/**
 * Open a `torch.save` checkpoint (`.pth`, `.bin`, `.pt`; the zip format PyTorch has written since 1.6).
 * Nothing in the file is executed: the pickle is read by a restricted reader that only knows state_dicts.
 */
export async function openTorchCheckpoint(
  source: string | Uint8Array,
  name?: string,
): Promise<CheckpointReader> {
  return withSource(source, name, readTorchArchive);
}
