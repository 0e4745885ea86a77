import * as tf from '@tensorflow/tfjs';
import { epochOrder, takeRows } from '../batching';
import { FrostlineTfjsError } from '../errors';
import { accuracy } from '../losses';
import type { TrainBus } from './bus';
import { headForward } from './cache-controller';
import { nanLossError } from './divergence';
import type { RunConfig } from './setup';
import { now, type TrainState, yieldSometimes } from './state';

export function abortError(signal: AbortSignal, where: string): FrostlineTfjsError {
  return new FrostlineTfjsError('ABORTED', `Training was aborted ${where}.`, { cause: signal.reason });
}

/** Rows `[start, end)` of this epoch's order. */
interface Batch {
  order: Int32Array;
  start: number;
  end: number;
  contiguous: boolean;
}

/**
 * One optimizer step: forward (through the cached head when there is one), loss plus regularizers,
 * gradients of the trainable variables, update. Returns the batch loss (and accuracy) as kept tensors.
 */
function trainStep(run: RunConfig, state: TrainState, b: Batch): [tf.Scalar, tf.Scalar?] {
  const head = state.head;
  const { params, vars } = state.plan;
  return tf.tidy(() => {
    const yb = takeRows(run.trainSet.y, b.order, b.start, b.end, b.contiguous);
    let input: tf.Tensor | tf.Tensor[];
    if (head) input = head.train.take(b.order, b.start, b.end, b.contiguous);
    else {
      const xs = run.trainSet.x;
      input = Array.isArray(xs)
        ? xs.map((t) => takeRows(t, b.order, b.start, b.end, b.contiguous))
        : takeRows(xs, b.order, b.start, b.end, b.contiguous);
      if (run.augment) input = Array.isArray(input) ? input : run.augment(input);
    }
    let acc: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const pred = head
        ? headForward(run, head, input as tf.Tensor, true)
        : (run.model.apply(input, { training: true }) as tf.Tensor);
      let l = tf.mean(run.lossFn(yb, pred));
      for (const r of run.regularizers?.() ?? []) l = tf.add(l, r);
      if (run.wantAcc) acc = tf.keep(accuracy(run.loss, yb, pred));
      return l as tf.Scalar;
    }, vars);
    run.optimizer.apply(params, grads);
    return acc ? [value, acc] : [value];
  }) as [tf.Scalar, tf.Scalar?];
}

/** Example-weighted sums of batch loss and accuracy, kept on the device and read once per epoch. */
class EpochSums {
  private loss?: tf.Tensor;
  private acc?: tf.Tensor;

  add(loss: tf.Scalar, acc: tf.Scalar | undefined, size: number): void {
    const [pl, pa] = [this.loss, this.acc];
    this.loss = tf.tidy(() => (pl ? tf.add(pl, tf.mul(loss, size)) : tf.mul(loss, size)));
    if (acc) this.acc = tf.tidy(() => (pa ? tf.add(pa, tf.mul(acc, size)) : tf.mul(acc, size)));
    pl?.dispose();
    if (acc) pa?.dispose();
  }

  read(n: number): { loss: number; acc?: number } {
    const loss = this.loss!.dataSync()[0]! / n;
    return this.acc ? { loss, acc: this.acc.dataSync()[0]! / n } : { loss };
  }

  dispose(): void {
    this.loss?.dispose();
    this.acc?.dispose();
  }
}

/** One epoch of batches: shuffle by (seed, epoch), step, emit `batchEnd`, check the loss is finite. */
export async function runBatches(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
): Promise<{ loss: number; acc?: number; trainableMs: number }> {
  const order = epochOrder(run.examples, run.shuffle, run.seed, epoch);
  const sums = new EpochSums();
  const tt = now();
  let tb = tt;
  try {
    for (let b = 0; b < run.batches; b++) {
      if (run.signal?.aborted) throw abortError(run.signal, `at epoch ${epoch + 1}, batch ${b + 1}`);
      const start = b * run.batchSize;
      const end = Math.min(run.examples, start + run.batchSize);
      const [lossT, accT] = trainStep(run, state, { order, start, end, contiguous: !run.shuffle });
      try {
        const value = run.batchLoss ? lossT.dataSync()[0]! : Number.NaN;
        if (run.batchLoss && !Number.isFinite(value)) {
          throw nanLossError(epoch, b, run.batches, value, run.optimizer.config.learningRate);
        }
        sums.add(lossT, accT, end - start);
        if (run.listening && run.batchLoss) {
          const tn = now();
          await bus.emit({
            type: 'batchEnd',
            epoch,
            batch: b,
            batches: run.batches,
            loss: value,
            metrics: accT ? { acc: accT.dataSync()[0]! } : {},
            examplesPerSec: ((end - start) * 1000) / Math.max(1e-3, tn - tb),
          });
          tb = tn;
        }
      } finally {
        lossT.dispose();
        accT?.dispose();
      }
      const pause = yieldSometimes(state);
      if (pause) await pause;
    }
    const trainableMs = now() - tt;
    const { loss, acc } = sums.read(run.examples);
    if (!Number.isFinite(loss))
      throw nanLossError(epoch, -1, run.batches, loss, run.optimizer.config.learningRate);
    return acc === undefined ? { loss, trainableMs } : { loss, acc, trainableMs };
  } finally {
    sums.dispose();
  }
}
