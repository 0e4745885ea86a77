import { saveCheckpoint } from '../checkpoint';
import type { TrainBus, TrainCallback } from './bus';
import type { RunConfig } from './setup';
import { now, type TrainState } from './state';

/**
 * Checkpointing as a listener: after `epochEnd` (and after early stopping has decided), save a resumable
 * checkpoint every `every` epochs and after the last epoch run, then emit `checkpoint`.
 */
export function checkpointCallback(
  run: RunConfig,
  target: { dir: string; every: number },
  state: TrainState,
  bus: TrainBus,
): TrainCallback {
  return async (e) => {
    if (e.type !== 'epochEnd') return;
    const last = state.stopRequested || e.epoch === run.epochs - 1;
    if (!last && (e.epoch + 1) % target.every !== 0) return;
    const tc = now();
    const es = state.earlyStopping;
    await saveCheckpoint(target.dir, {
      model: run.model,
      policy: run.policy,
      epoch: e.epoch + 1,
      optimizer: run.optimizer,
      seed: run.seed,
      history: state.history,
      earlyStopping: run.earlyStopping
        ? { best: es.best, bestEpoch: es.bestEpoch, wait: es.wait }
        : undefined,
      trainable: state.plan.current!.trainableNames(),
      aliases: run.aliases,
    });
    const ms = now() - tc;
    state.timing.checkpointMs += ms;
    await bus.emit({ type: 'checkpoint', epoch: e.epoch, dir: target.dir, ms });
  };
}
