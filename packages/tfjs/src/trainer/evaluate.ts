import * as tf from '@tensorflow/tfjs';
import { accuracy } from '../losses';
import { headForward } from './cache-controller';
import { disposeRowBatch, validationBatches } from './rows';
import type { RunConfig } from './setup';
import type { TrainState } from './state';

/**
 * Mean loss (and accuracy) of the model over the validation data in inference mode, through the cached
 * prefix when there is one. Undefined when the run has no validation data.
 */
export async function evaluate(
  run: RunConfig,
  state: TrainState,
  epoch: number,
): Promise<{ loss: number; acc?: number } | undefined> {
  const head = state.head?.validation ? state.head : undefined;
  const batches = validationBatches(run, head?.validation, epoch);
  if (!batches) return undefined;
  let lossSum = 0;
  let accSum = 0;
  let m = 0;
  for await (const b of batches) {
    try {
      const [l, a] = tf.tidy(() => {
        const pred =
          b.viaHead && head
            ? headForward(run, head, b.input as tf.Tensor, false)
            : (run.model.apply(b.input, { training: false }) as tf.Tensor);
        const lv = tf.mean(run.lossFn(b.y, pred)).dataSync()[0]!;
        const av = run.wantAcc ? accuracy(run.loss, b.y, pred).dataSync()[0]! : 0;
        return [lv, av];
      });
      lossSum += l * b.rows;
      accSum += a * b.rows;
      m += b.rows;
    } finally {
      disposeRowBatch(b);
    }
  }
  return run.wantAcc ? { loss: lossSum / m, acc: accSum / m } : { loss: lossSum / m };
}
