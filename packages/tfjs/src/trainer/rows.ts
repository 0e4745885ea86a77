import type * as tf from '@tensorflow/tfjs';
import { epochOrder, takeRows } from '../batching';
import type { XY } from '../data';
import type { CheckedStream } from '../feature-store/source';
import type { RunConfig } from './setup';

/**
 * Cached outputs of the frozen prefix for a fixed set of rows: in memory (`ActivationCache`) or in the
 * persistent feature store (`StoredFeatures`, which also holds the rows' labels, since a stream is not
 * read again once its features are stored).
 */
export interface CachedRows {
  readonly rows: number;
  readonly bytes: number;
  readonly onDisk: boolean;
  take(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor;
  takeLabels?(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor;
  dispose(): void;
}

/** One batch for a step or an evaluation: inputs (prefix features when `viaHead`), targets, row count. */
export interface RowBatch {
  input: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
  rows: number;
  viaHead: boolean;
}

/** Dispose what a batch holds (the batch sources below create every tensor they yield). */
export function disposeRowBatch(b: RowBatch): void {
  const xs = Array.isArray(b.input) ? b.input : [b.input];
  for (const t of xs) t.dispose();
  b.y.dispose();
}

/** Batches of cached features in `order` (labels from the cache, or from the tensors the rows came from). */
function* cachedBatches(
  cache: CachedRows,
  labels: tf.Tensor | undefined,
  order: Int32Array,
  batchSize: number,
  contiguous: boolean,
): Generator<RowBatch> {
  for (let start = 0; start < cache.rows; start += batchSize) {
    const end = Math.min(cache.rows, start + batchSize);
    const y = cache.takeLabels
      ? cache.takeLabels(order, start, end, contiguous)
      : takeRows(labels!, order, start, end, contiguous);
    yield { input: cache.take(order, start, end, contiguous), y, rows: end - start, viaHead: true };
  }
}

function* tensorBatches(
  set: XY,
  order: Int32Array,
  batchSize: number,
  contiguous: boolean,
  augment?: (x: tf.Tensor) => tf.Tensor,
): Generator<RowBatch> {
  const n = order.length;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const take = (t: tf.Tensor) => takeRows(t, order, start, end, contiguous);
    const input = Array.isArray(set.x) ? set.x.map(take) : withAugment(take(set.x), augment);
    yield { input, y: take(set.y), rows: end - start, viaHead: false };
  }
}

async function* streamBatches(
  stream: CheckedStream,
  epoch: number,
  augment?: (x: tf.Tensor) => tf.Tensor,
): AsyncGenerator<RowBatch> {
  for await (const b of stream.pass(epoch)) {
    const input = Array.isArray(b.x) ? b.x : withAugment(b.x, augment);
    yield { input, y: b.y, rows: b.rows, viaHead: false };
  }
}

function withAugment(x: tf.Tensor, augment?: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (!augment) return x;
  const out = augment(x);
  if (out !== x) x.dispose();
  return out;
}

/**
 * The training batches of `epoch`: cached features shuffled by (seed, epoch) when the prefix is cached,
 * else the tensors shuffled the same way, else the stream in its own order (a stream shuffles itself).
 */
export function trainingBatches(
  run: RunConfig,
  head: CachedRows | undefined,
  epoch: number,
): Iterable<RowBatch> | AsyncIterable<RowBatch> {
  const contiguous = !run.shuffle;
  if (head) {
    const order = epochOrder(head.rows, run.shuffle, run.seed, epoch);
    return cachedBatches(head, run.trainSet?.y, order, run.batchSize, contiguous);
  }
  if (run.trainSet) {
    const order = epochOrder(run.examples, run.shuffle, run.seed, epoch);
    return tensorBatches(run.trainSet, order, run.batchSize, contiguous, run.augment);
  }
  return streamBatches(run.stream!.train, epoch, run.augment);
}

/** The validation batches, in order, through the cached prefix when there is one. */
export function validationBatches(
  run: RunConfig,
  head: CachedRows | undefined,
  epoch: number,
): Iterable<RowBatch> | AsyncIterable<RowBatch> | undefined {
  if (head) {
    return cachedBatches(head, run.valSet?.y, epochOrder(head.rows, false, 0, 0), run.evalBatch, true);
  }
  if (run.valSet) {
    return tensorBatches(run.valSet, epochOrder(run.valSet.y.shape[0]!, false, 0, 0), run.evalBatch, true);
  }
  return run.stream?.validation ? streamBatches(run.stream.validation, epoch) : undefined;
}

/** Examples per epoch when known: cached rows, tensor rows, or a stream's size / counted first pass. */
export function epochRows(run: RunConfig, head: CachedRows | undefined): number | undefined {
  if (head) return head.rows;
  if (run.trainSet) return run.examples;
  return run.stream!.train.rows;
}
