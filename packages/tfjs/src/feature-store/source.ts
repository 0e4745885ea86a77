import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';

/** One batch of a stream: inputs (one tensor per model input) and targets, with the same number of rows. */
export interface Batch {
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
}

/**
 * A source of batches that can be read more than once (once per epoch when nothing is cached). `size` is the
 * number of examples per pass when known (for progress); `identity` names the content (e.g. a folder's files,
 * sizes and modification times plus the preprocessing), which lets the persistent feature cache recognise
 * the same data in a later run. Without an identity the cache lives for one run only.
 */
export interface StreamSource {
  batches(epoch: number): AsyncIterable<Batch> | Iterable<Batch>;
  size?: number;
  identity?: string;
}

/** What `train` accepts as a stream: TF.js' `{xs, ys}` datasets (as `fitDataset` takes), iterables of `{x, y}`, or a factory. */
export type BatchSource =
  | StreamSource
  | tf.data.Dataset<tf.TensorContainer>
  | AsyncIterable<Batch>
  | Iterable<Batch>
  | (() => AsyncIterable<Batch> | Iterable<Batch>);

/** Streams for training and (optionally) validation. */
export interface StreamData {
  train: BatchSource;
  validation?: BatchSource;
}

const isObj = (v: unknown): v is Record<string | symbol, unknown> => typeof v === 'object' && v !== null;

function isTfDataset(v: unknown): v is tf.data.Dataset<tf.TensorContainer> {
  return (
    isObj(v) &&
    typeof v.iterator === 'function' &&
    typeof v.batch === 'function' &&
    typeof v.map === 'function'
  );
}

function isStreamSource(v: unknown): v is StreamSource {
  return isObj(v) && typeof v.batches === 'function';
}

/** True when `data` is a stream (or a `{ train: stream }` pair) rather than tensors. */
export function isStreamInput(data: unknown): boolean {
  if (isBatchSource(data)) return true;
  return isObj(data) && 'train' in data && isBatchSource(data.train);
}

function isBatchSource(v: unknown): v is BatchSource {
  if (typeof v === 'function') return true;
  if (!isObj(v)) return false;
  if (v instanceof tf.Tensor || Array.isArray(v)) return false;
  return (
    isTfDataset(v) ||
    isStreamSource(v) ||
    typeof v[Symbol.asyncIterator] === 'function' ||
    typeof v[Symbol.iterator] === 'function'
  );
}

/** Split stream input into train / validation sources. */
export function streamData(data: unknown): StreamData {
  if (isObj(data) && 'train' in data && isBatchSource(data.train)) {
    const validation = (data as { validation?: unknown }).validation;
    if (validation !== undefined && !isBatchSource(validation)) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        'data.validation must be a stream like data.train (or be left out).',
        {
          hint: 'Pass { train: stream, validation: stream } with two tf.data.Datasets or iterables of { x, y } batches.',
        },
      );
    }
    return validation === undefined ? { train: data.train } : { train: data.train, validation };
  }
  return { train: data as BatchSource };
}

/** The shape that every batch of one stream must keep: rank and size of each non-batch dimension, dtype. */
interface BatchSignature {
  x: Array<{ shape: number[]; dtype: string }>;
  y: { shape: number[]; dtype: string };
}

const describeShape = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * A stream whose batches are checked as they arrive: every batch has tensors that are alive, as many target
 * rows as input rows, and the same per-example shapes and dtypes as the first batch. A source that throws
 * becomes a typed error that says at which batch.
 */
export class CheckedStream {
  readonly identity: string | undefined;
  private signature?: BatchSignature;
  private passes = 0;
  private lastRows?: number;
  private lastBatches?: number;
  private peeked?: { it: AsyncIterator<unknown> | Iterator<unknown>; first: Batch & { rows: number } };

  constructor(
    private readonly source: BatchSource,
    readonly what: string,
  ) {
    this.identity = isStreamSource(source) ? source.identity : undefined;
    if (!isBatchSource(source)) {
      throw new FrostlineTfjsError('BAD_DATA', `${what} is not a stream: got ${describe(source)}.`, {
        hint: STREAM_HINT,
      });
    }
  }

  /** Examples in one pass, known after the first complete pass (or from `size`). */
  get rows(): number | undefined {
    return this.lastRows ?? this.declaredSize();
  }

  /**
   * The first batch of the first pass, for checks before training (loss inference, shapes). It stays owned
   * by the stream: the first pass yields it again, so nothing is lost even from a one-shot iterable.
   */
  async peek(): Promise<Batch & { rows: number }> {
    if (this.peeked) return this.peeked.first;
    const it = this.open(0);
    const step = await this.next(it, 0, 0);
    if (step.done) {
      await it.return?.(undefined);
      throw this.emptyError(0);
    }
    const first = this.check(step.value, 0, 0);
    this.peeked = { it, first };
    return first;
  }

  /** Iterate one pass. The caller owns (and must dispose) each yielded batch's tensors. */
  async *pass(epoch: number): AsyncGenerator<Batch & { index: number; rows: number }> {
    const pass = this.passes++;
    let index = 0;
    let rows = 0;
    const resumed = pass === 0 ? this.peeked : undefined;
    this.peeked = undefined;
    const it = resumed?.it ?? this.open(epoch);
    try {
      if (resumed) {
        rows += resumed.first.rows;
        yield { ...resumed.first, index: index++ };
      }
      for (;;) {
        const step = await this.next(it, index, epoch);
        if (step.done) break;
        const batch = this.check(step.value, index, epoch);
        rows += batch.rows;
        yield { ...batch, index };
        index++;
      }
    } finally {
      await it.return?.(undefined);
    }
    if (index === 0) throw this.emptyError(pass, epoch);
    const size = this.declaredSize();
    if (size !== undefined && rows !== size) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `${this.what} declared size ${size} but yielded ${rows} examples in epoch ${epoch + 1}.`,
        { hint: "Fix the source's size, or leave it out." },
      );
    }
    this.lastRows = rows;
    this.lastBatches = index;
  }

  private async next(it: AsyncIterator<unknown> | Iterator<unknown>, index: number, epoch: number) {
    try {
      return await it.next();
    } catch (e) {
      if (e instanceof FrostlineTfjsError) throw e;
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `${this.what} threw at batch ${index + 1} of epoch ${epoch + 1}: ${(e as Error)?.message ?? String(e)}`,
        { cause: e, hint: 'Fix the data source; nothing was trained on the failed batch.' },
      );
    }
  }

  private emptyError(pass: number, epoch = 0): FrostlineTfjsError {
    return new FrostlineTfjsError(
      'BAD_DATA',
      pass === 0
        ? `${this.what} is empty: it yielded no batch.`
        : `${this.what} yielded no batch in epoch ${epoch + 1}, although it did before: it can be read only once.`,
      {
        hint:
          pass === 0
            ? 'Check the data source (an empty folder or file, a filter that drops everything).'
            : 'Pass a tf.data.Dataset, a function that returns a fresh iterable, or an object whose [Symbol.asyncIterator]() starts over — not a generator object.',
      },
    );
  }

  /** The source's declared size now (a folder stream's size shrinks as unreadable files are found). */
  private declaredSize(): number | undefined {
    const src = this.source;
    return isStreamSource(src) && Number.isInteger(src.size) ? src.size : undefined;
  }

  /** Batches in one pass, once a pass has completed. */
  get batchesPerPass(): number | undefined {
    return this.lastBatches;
  }

  /** Dispose a peeked batch that no pass consumed (a run that failed before training). */
  async close(): Promise<void> {
    const p = this.peeked;
    this.peeked = undefined;
    if (!p) return;
    disposeBatch(p.first);
    await p.it.return?.(undefined);
  }

  private open(epoch: number): AsyncIterator<unknown> | Iterator<unknown> {
    const src = this.source;
    if (isTfDataset(src)) {
      // tf.data iterators are created asynchronously; wrap them in a plain async iterator.
      let inner: Promise<{ next(): Promise<IteratorResult<tf.TensorContainer>> }> | undefined;
      return {
        next: async () => {
          inner ??= src.iterator();
          const r = await (await inner).next();
          return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
        },
      };
    }
    const iterable = isStreamSource(src) ? src.batches(epoch) : typeof src === 'function' ? src() : src;
    const obj = iterable as unknown as Record<symbol, () => AsyncIterator<unknown> | Iterator<unknown>>;
    if (isObj(iterable) && typeof obj[Symbol.asyncIterator] === 'function')
      return obj[Symbol.asyncIterator]!.call(iterable);
    if (isObj(iterable) && typeof obj[Symbol.iterator] === 'function')
      return obj[Symbol.iterator]!.call(iterable);
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `${this.what}: the factory returned ${describe(iterable)}, not an iterable.`,
      {
        hint: STREAM_HINT,
      },
    );
  }

  private check(value: unknown, index: number, epoch: number): Batch & { rows: number } {
    const at = `${this.what}, batch ${index + 1} of epoch ${epoch + 1}`;
    if (!isObj(value)) throw badBatch(at, `got ${describe(value)}`);
    const x = 'x' in value ? value.x : value.xs;
    const y = 'y' in value ? value.y : value.ys;
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length === 0 || !xs.every(isLiveTensor) || !isLiveTensor(y)) {
      disposeLoose(value);
      throw badBatch(at, `got ${describeBatch(x, y)}`);
    }
    const rows = xs[0]!.shape[0] ?? 0;
    const sig: BatchSignature = {
      x: xs.map((t) => ({ shape: t.shape.slice(1), dtype: t.dtype })),
      y: { shape: (y as tf.Tensor).shape.slice(1), dtype: (y as tf.Tensor).dtype },
    };
    const problem =
      xs.some((t) => t.rank === 0 || t.shape[0] !== rows) || (y as tf.Tensor).shape[0] !== rows
        ? `inputs and targets have different numbers of rows (${xs.map((t) => describeShape(t.shape)).join(', ')} vs ${describeShape((y as tf.Tensor).shape)})`
        : rows === 0
          ? 'the batch has no rows'
          : this.signature
            ? differs(this.signature, sig)
            : undefined;
    if (problem) {
      disposeLoose(value);
      throw new FrostlineTfjsError('BAD_DATA', `${at}: ${problem}.`, {
        hint: 'Every batch of a stream must have the same per-example shapes and dtypes as the first.',
      });
    }
    this.signature ??= sig;
    return { x: Array.isArray(x) ? (xs as tf.Tensor[]) : xs[0]!, y: y as tf.Tensor, rows };
  }
}

const STREAM_HINT =
  'Pass tensors { x, y }, or a stream: a tf.data.Dataset of { xs, ys } batches, an (async) iterable of { x, y } batches, or a function returning one.';

function isLiveTensor(t: unknown): t is tf.Tensor {
  return t instanceof tf.Tensor && !t.isDisposed;
}

function differs(a: BatchSignature, b: BatchSignature): string | undefined {
  if (a.x.length !== b.x.length) return `it has ${b.x.length} inputs, the first batch had ${a.x.length}`;
  for (let i = 0; i < a.x.length; i++) {
    const p = a.x[i]!;
    const q = b.x[i]!;
    if (p.dtype !== q.dtype) return `input ${i} has dtype ${q.dtype}, the first batch had ${p.dtype}`;
    if (p.shape.join() !== q.shape.join()) {
      return `input ${i} has per-example shape ${describeShape(q.shape)}, the first batch had ${describeShape(p.shape)}`;
    }
  }
  if (a.y.dtype !== b.y.dtype) return `targets have dtype ${b.y.dtype}, the first batch had ${a.y.dtype}`;
  if (a.y.shape.join() !== b.y.shape.join()) {
    return `targets have per-example shape ${describeShape(b.y.shape)}, the first batch had ${describeShape(a.y.shape)}`;
  }
  return undefined;
}

function badBatch(at: string, got: string): FrostlineTfjsError {
  return new FrostlineTfjsError(
    'BAD_DATA',
    `${at}: expected { x: Tensor | Tensor[], y: Tensor } (or { xs, ys }), ${got}.`,
    {
      hint: 'Yield live (not disposed) tensors; train() disposes each batch after using it.',
    },
  );
}

function describeBatch(x: unknown, y: unknown): string {
  const d = (t: unknown) =>
    t instanceof tf.Tensor
      ? t.isDisposed
        ? 'a disposed tensor'
        : `a tensor ${describeShape(t.shape)}`
      : describe(t);
  return `x: ${Array.isArray(x) ? `[${x.map(d).join(', ')}]` : d(x)}, y: ${d(y)}`;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof tf.Tensor) return `a tensor ${describeShape(v.shape)}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    return keys.length ? `an object with keys ${keys.slice(0, 5).join(', ')}` : 'an empty object';
  }
  return `${typeof v} ${String(v).slice(0, 40)}`;
}

function disposeLoose(v: unknown): void {
  const seen: tf.Tensor[] = [];
  const walk = (u: unknown) => {
    if (u instanceof tf.Tensor) {
      if (!u.isDisposed) seen.push(u);
    } else if (Array.isArray(u)) u.forEach(walk);
    else if (isObj(u)) Object.values(u).forEach(walk);
  };
  walk(v);
  tf.dispose(seen);
}

/** Dispose a batch's tensors (the trainer owns what a stream yields). */
export function disposeBatch(b: Batch): void {
  tf.dispose([...(Array.isArray(b.x) ? b.x : [b.x]), b.y]);
}
