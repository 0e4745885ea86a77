import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import type { EpochLogs } from '../events';
import type { TrainCallback } from './bus';
import type { EarlyStoppingConfig, RunConfig } from './setup';
import type { TrainState } from './state';

/**
 * Early stopping as a listener: on `epochEnd` it compares the monitored value with the best so far,
 * snapshots the best weights (with `restoreBest`) and asks the loop to stop after `patience` epochs
 * without improvement; on `end` it puts the best weights back.
 */
export function earlyStoppingCallback(
  run: RunConfig,
  es: EarlyStoppingConfig,
  state: TrainState,
): TrainCallback {
  return (e) => {
    if (e.type === 'epochEnd') onEpochEnd(run, es, state, e.logs);
    else if (e.type === 'end') restoreBest(run, state);
  };
}

function onEpochEnd(run: RunConfig, es: EarlyStoppingConfig, state: TrainState, logs: EpochLogs): void {
  const value = logs[es.monitor];
  if (typeof value !== 'number') {
    const available = Object.keys(logs).filter((k) => k !== 'epoch' && typeof logs[k] === 'number');
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `earlyStopping.monitor '${es.monitor}' is not logged. Available: ${available.join(', ')}.`,
    );
  }
  const s = state.earlyStopping;
  const improved = es.maximize ? value > s.best + es.minDelta : value < s.best - es.minDelta;
  if (improved) {
    s.best = value;
    s.bestEpoch = logs.epoch;
    s.wait = 0;
    if (es.restoreBest) {
      for (const t of s.bestWeights ?? []) t.dispose();
      s.bestWeights = tf.tidy(() => run.refs.map((r) => r.variable.read().clone()));
    }
  } else if (++s.wait >= es.patience) {
    state.stopRequested = true;
    state.stoppedEarly = true;
  }
}

function restoreBest(run: RunConfig, state: TrainState): void {
  const best = state.earlyStopping.bestWeights;
  if (!best) return;
  run.refs.forEach((r, i) => {
    r.variable.write(best[i]!);
  });
}

/** Free the best-weights snapshot (at the end of the run, whether it succeeded or failed). */
export function disposeBestWeights(state: TrainState): void {
  for (const t of state.earlyStopping.bestWeights ?? []) t.dispose();
  delete state.earlyStopping.bestWeights;
}
