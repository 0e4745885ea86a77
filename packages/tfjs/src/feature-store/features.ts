import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { nodeFs } from '../node';
import type { CheckedStream } from './source';
import { cacheIoError, type EntryManifest, type FeatureStore } from './store';

type NodeFs = typeof import('node:fs');

/** Progress of a feature extraction pass: rows done, of `total` when known. */
export interface ExtractProgress {
  rows: number;
  total?: number;
  ms: number;
}

/** Runs the frozen prefix on one input batch (inference mode) and returns its output. */
export type PrefixForward = (x: tf.Tensor | tf.Tensor[]) => tf.Tensor | Promise<tf.Tensor>;

/**
 * Run the frozen prefix once over a stream, batch by batch, writing features and labels into the store entry
 * `key` (unless it exists). Memory holds one batch at a time. Returns the entry and whether it was built here.
 */
export async function extractToStore(
  store: FeatureStore,
  key: string,
  stream: CheckedStream,
  forward: PrefixForward,
  opts: {
    describe?: Record<string, unknown>;
    onProgress?: (p: ExtractProgress) => void | Promise<void>;
    onWait?: (pid: number) => void;
  } = {},
): Promise<{ manifest: EntryManifest; built: boolean }> {
  return store.build(
    key,
    async (w) => {
      if (opts.describe) w.describe(opts.describe);
      const t0 = performance.now();
      let rows = 0;
      for await (const b of stream.pass(0)) {
        let feats: tf.Tensor | undefined;
        try {
          feats = await forward(b.x);
          const [f, l] = await Promise.all([
            feats.data(),
            b.y.dtype === 'float32' ? b.y.data() : b.y.toFloat().data(),
          ]);
          w.append(b.rows, toF32(f), feats.shape.slice(1), toF32(l), b.y.shape.slice(1));
        } finally {
          feats?.dispose();
          tf.dispose([...(Array.isArray(b.x) ? b.x : [b.x]), b.y]);
        }
        rows += b.rows;
        await opts.onProgress?.({
          rows,
          ...(stream.rows !== undefined ? { total: stream.rows } : {}),
          ms: performance.now() - t0,
        });
      }
    },
    opts.onWait,
  );
}

const toF32 = (a: ArrayLike<number>): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a));

/**
 * Rows of a store entry, read on demand: features and labels of any set of rows, without loading the entry
 * into memory. Consecutive rows in one shard are read with one call.
 */
export class StoredFeatures {
  readonly rows: number;
  readonly featureShape: number[];
  readonly labelShape: number[];
  private fds: Array<{ feat: number; lab: number }> = [];
  private readonly featFloats: number;
  private readonly labFloats: number;

  private constructor(
    private readonly fs: NodeFs,
    readonly manifest: EntryManifest,
    private readonly onDispose?: () => void,
  ) {
    this.rows = manifest.rows;
    this.featureShape = manifest.featureShape;
    this.labelShape = manifest.labelShape;
    this.featFloats = manifest.featureShape.reduce((a, b) => a * b, 1);
    this.labFloats = manifest.labelShape.reduce((a, b) => a * b, 1);
  }

  /** Open an entry's shards for reading. `onDispose` runs when the reader is disposed (e.g. drop a one-run entry). */
  static async open(
    store: FeatureStore,
    manifest: EntryManifest,
    onDispose?: () => void,
  ): Promise<StoredFeatures> {
    const fs = await nodeFs();
    const r = new StoredFeatures(fs, manifest, onDispose);
    try {
      manifest.shards.forEach((_, i) => {
        r.fds.push({
          feat: fs.openSync(store.shardPath(manifest.key, 'features', i), 'r'),
          lab: fs.openSync(store.shardPath(manifest.key, 'labels', i), 'r'),
        });
      });
    } catch (e) {
      r.dispose();
      throw cacheIoError('open the entry', store.root, e);
    }
    return r;
  }

  get bytes(): number {
    return this.manifest.bytes;
  }

  get onDisk(): boolean {
    return true;
  }

  /** Features of rows `order[start..end)` (or rows start..end when `contiguous`). */
  take(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor {
    const out = this.read('feat', this.featFloats, order, start, end, contiguous);
    return tf.tensor(out, [end - start, ...this.featureShape]);
  }

  /** Labels (as float32, like the targets the stream yielded) of the same rows. */
  takeLabels(
    order: Int32Array,
    start: number,
    end: number,
    contiguous: boolean,
    dtype: tf.DataType = 'float32',
  ): tf.Tensor {
    const out = this.read('lab', this.labFloats, order, start, end, contiguous);
    const t = tf.tensor(out, [end - start, ...this.labelShape]);
    if (dtype === 'float32') return t;
    const c = tf.cast(t, dtype);
    t.dispose();
    return c;
  }

  private read(
    kind: 'feat' | 'lab',
    rowFloats: number,
    order: Int32Array,
    start: number,
    end: number,
    contiguous: boolean,
  ): Float32Array {
    const count = end - start;
    const out = new Float32Array(count * rowFloats);
    const view = new Uint8Array(out.buffer);
    const rowBytes = rowFloats * 4;
    const per = this.manifest.rowsPerShard;
    const rowAt = (i: number) => (contiguous ? start + i : order[start + i]!);
    let i = 0;
    while (i < count) {
      const r0 = rowAt(i);
      if (!(r0 >= 0 && r0 < this.rows)) {
        throw new FrostlineTfjsError(
          'BAD_DATA',
          `Feature cache: row ${r0} is outside the ${this.rows} cached rows.`,
        );
      }
      const shard = Math.floor(r0 / per);
      let j = i + 1;
      while (j < count && rowAt(j) === rowAt(j - 1) + 1 && Math.floor(rowAt(j) / per) === shard) j++;
      const fd = this.fds[shard]![kind];
      this.fs.readSync(fd, view, i * rowBytes, (j - i) * rowBytes, (r0 - shard * per) * rowBytes);
      i = j;
    }
    return out;
  }

  dispose(): void {
    for (const f of this.fds) {
      for (const fd of [f.feat, f.lab]) {
        try {
          this.fs.closeSync(fd);
        } catch {
          // already closed
        }
      }
    }
    this.fds = [];
    this.onDispose?.();
  }
}
