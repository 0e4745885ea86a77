import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { accuracy } from '../losses';
import type { TrainBus } from './bus';
import { headForward } from './cache-controller';
import { nanLossError } from './divergence';
import { disposeRowBatch, epochRows, type RowBatch, trainingBatches } from './rows';
import type { RunConfig } from './setup';
import { now, type TrainState, yieldSometimes } from './state';

export function abortError(signal: AbortSignal, where: string): FrostlineTfjsError {
  return new FrostlineTfjsError('ABORTED', `Training was aborted ${where}.`, { cause: signal.reason });
}

/**
 * One optimizer step: forward (through the cached head when the batch holds prefix features), loss plus
 * regularizers, gradients of the trainable variables, update. Returns the batch loss (and accuracy) as
 * kept tensors.
 */
function trainStep(run: RunConfig, state: TrainState, b: RowBatch): [tf.Scalar, tf.Scalar?] {
  const head = state.head;
  const { params, vars } = state.plan;
  return tf.tidy(() => {
    let acc: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const pred =
        b.viaHead && head
          ? headForward(run, head, b.input as tf.Tensor, true)
          : (run.model.apply(b.input, { training: true }) as tf.Tensor);
      let l = tf.mean(run.lossFn(b.y, pred));
      for (const r of run.regularizers?.() ?? []) l = tf.add(l, r);
      if (run.wantAcc) acc = tf.keep(accuracy(run.loss, b.y, pred));
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

/**
 * One epoch of batches (see `trainingBatches`: cached features or tensors shuffled by (seed, epoch), or a
 * stream in its own order): step, emit `batchEnd`, check the loss is finite.
 */
export async function runBatches(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
): Promise<{ loss: number; acc?: number; trainableMs: number }> {
  const total = epochRows(run, state.head?.train);
  const batches = total !== undefined ? Math.ceil(total / run.batchSize) : 0;
  const sums = new EpochSums();
  const tt = now();
  let tb = tt;
  let seen = 0;
  let b = 0;
  try {
    for await (const batch of trainingBatches(run, state.head?.train, epoch)) {
      try {
        if (run.signal?.aborted) throw abortError(run.signal, `at epoch ${epoch + 1}, batch ${b + 1}`);
        const [lossT, accT] = trainStep(run, state, batch);
        try {
          const value = run.batchLoss ? lossT.dataSync()[0]! : Number.NaN;
          if (run.batchLoss && !Number.isFinite(value)) {
            throw nanLossError(epoch, b, batches, value, run.optimizer.config.learningRate);
          }
          sums.add(lossT, accT, batch.rows);
          seen += batch.rows;
          if (run.listening && run.batchLoss) {
            const tn = now();
            await bus.emit({
              type: 'batchEnd',
              epoch,
              batch: b,
              batches: Math.max(batches, b + 1),
              loss: value,
              metrics: accT ? { acc: accT.dataSync()[0]! } : {},
              examplesPerSec: (batch.rows * 1000) / Math.max(1e-3, tn - tb),
              examplesSeen: seen,
              ...(total !== undefined ? { examplesTotal: total } : {}),
            });
            tb = tn;
          }
        } finally {
          lossT.dispose();
          accT?.dispose();
        }
      } finally {
        disposeRowBatch(batch);
      }
      b++;
      const pause = yieldSometimes(state);
      if (pause) await pause;
    }
    const trainableMs = now() - tt;
    const { loss, acc } = sums.read(seen);
    if (!Number.isFinite(loss)) throw nanLossError(epoch, -1, b, loss, run.optimizer.config.learningRate);
    return acc === undefined ? { loss, trainableMs } : { loss, acc, trainableMs };
  } finally {
    sums.dispose();
  }
}
