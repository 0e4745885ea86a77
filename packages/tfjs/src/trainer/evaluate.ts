import * as tf from '@tensorflow/tfjs';
import { epochOrder, rows } from '../batching';
import type { ActivationCache } from '../cache';
import type { XY } from '../data';
import { accuracy } from '../losses';
import { headForward } from './cache-controller';
import type { RunConfig } from './setup';
import type { TrainState } from './state';

/** Mean loss (and accuracy) of the model over `set` in inference mode, through the cached prefix if any. */
export function evaluate(
  run: RunConfig,
  state: TrainState,
  set: XY,
  cache: ActivationCache | undefined,
): { loss: number; acc?: number } {
  const m = rows(set.x);
  const order = epochOrder(m, false, 0, 0);
  const head = cache ? state.head : undefined;
  let lossSum = 0;
  let accSum = 0;
  for (let s = 0; s < m; s += run.evalBatch) {
    const e = Math.min(m, s + run.evalBatch);
    const [l, a] = tf.tidy(() => {
      const pred =
        cache && head
          ? headForward(run, head, cache.take(order, s, e, true), false)
          : (run.model.apply(
              Array.isArray(set.x) ? set.x.map((t) => t.slice(s, e - s)) : set.x.slice(s, e - s),
              { training: false },
            ) as tf.Tensor);
      const yb = set.y.slice(s, e - s);
      const lv = tf.mean(run.lossFn(yb, pred)).dataSync()[0]!;
      const av = run.wantAcc ? accuracy(run.loss, yb, pred).dataSync()[0]! : 0;
      return [lv, av];
    });
    lossSum += l * (e - s);
    accSum += a * (e - s);
  }
  return run.wantAcc ? { loss: lossSum / m, acc: accSum / m } : { loss: lossSum / m };
}
