/**
 * The training loop. `train()` only sequences the parts in `trainer/`, each with one job:
 *
 * - `trainer/options.ts`     TrainOptions; checks of the options that need no model or data (BAD_OPTION)
 * - `trainer/setup.ts`       RunConfig: resolves data split, loss, metrics, optimizer, modes, once
 * - `trainer/resume.ts`      loads the checkpoint a run continues; policyFromModel; copyWeightsByName
 * - `trainer/state.ts`       TrainState, the one object holding everything that changes during a run
 * - `trainer/bus.ts`         the TrainEvent stream; the user's onEvent as one of its callbacks
 * - `trainer/plan-tracker.ts` plan per epoch, diff, apply, fingerprint, verify frozen weights
 * - `trainer/cache-controller.ts` activation cache: build, reuse, invalidate; the head runner
 * - `trainer/epoch.ts`       one epoch of batches (optimizer steps, batchEnd, NaN loss)
 * - `trainer/divergence.ts`  NAN_LOSS and NON_FINITE_WEIGHTS
 * - `trainer/evaluate.ts`    validation loss / accuracy
 * - `trainer/early-stopping.ts`, `trainer/checkpointing.ts`  callbacks on `epochEnd` / `end`
 */
import type * as tf from '@tensorflow/tfjs';
import { rows } from './batching';
import { loadCheckpoint } from './checkpoint';
import { checkTrainData, type TrainData } from './data';
import type { EpochLogs } from './events';
import { type ModelLike, resolveModel } from './model-names';
import { progressCallback, TrainBus } from './trainer/bus';
import { disposeHead, prepareCache } from './trainer/cache-controller';
import { checkpointCallback } from './trainer/checkpointing';
import { checkFiniteWeights } from './trainer/divergence';
import { disposeBestWeights, earlyStoppingCallback } from './trainer/early-stopping';
import { abortError, runBatches } from './trainer/epoch';
import { evaluate } from './trainer/evaluate';
import { checkOptions, type TrainOptions } from './trainer/options';
import { advancePlan, verifyFrozenWeights } from './trainer/plan-tracker';
import { type RunConfig, setupRun } from './trainer/setup';
import { createState, Disposer, now, type TrainResult, type TrainState } from './trainer/state';

export type { EarlyStoppingOptions, TrainOptions } from './trainer/options';
export { copyWeightsByName, policyFromModel } from './trainer/resume';
export type { TrainResult } from './trainer/state';

/**
 * Train `model` under a freeze policy with frostline's loop: per-parameter LR factors, schedules applied at
 * epoch boundaries with optimizer state kept by parameter name, frozen BatchNorm in inference mode, the
 * activation cache for a frozen prefix, frozen-weight verification, early stopping, checkpoints.
 *
 * `model` may be a `{ model, aliases }` (a vision backbone) or carry aliases from `attachAliases`.
 */
export async function train(
  modelLike: ModelLike,
  data: TrainData,
  options: TrainOptions,
): Promise<TrainResult> {
  const t0 = now();
  checkOptions(options);
  checkTrainData(data);
  const { model, aliases } = resolveModel(modelLike, options.aliases);
  const disposer = new Disposer();
  try {
    const { run, resumed } = await setupRun(model, aliases, data, options, disposer);
    const state = createState(run, resumed);
    disposer.add(() => {
      disposeHead(state);
      disposeBestWeights(state);
    });
    const bus = createBus(run, state, options);
    await bus.emit({
      type: 'start',
      epochs: run.epochs,
      initialEpoch: run.initialEpoch,
      examples: run.examples,
      validationExamples: run.valSet ? rows(run.valSet.x) : 0,
      batchSize: run.batchSize,
      batches: run.batches,
      backend: run.backend,
      loss: run.loss,
      optimizer: run.optimizer.config.name,
    });
    for (let epoch = run.initialEpoch; epoch < run.epochs && !state.stopRequested; epoch++) {
      await runEpoch(run, state, bus, epoch);
    }
    if (run.verifyMode === 'end') await verifyFrozenWeights(run, state, bus, state.history.length - 1);
    state.timing.totalMs = now() - t0;
    await bus.emit({
      type: 'end',
      epochs: state.history.length,
      stoppedEarly: state.stoppedEarly,
      ms: state.timing.totalMs,
    });
    return result(run, state);
  } finally {
    disposer.dispose();
  }
}

/** The event stream of a run: early stopping decides, the user's listener sees, checkpointing saves. */
function createBus(run: RunConfig, state: TrainState, options: TrainOptions): TrainBus {
  const bus = new TrainBus();
  if (run.earlyStopping) bus.on(earlyStoppingCallback(run, run.earlyStopping, state));
  if (options.onEvent) bus.on(progressCallback(options.onEvent, run, state));
  if (run.checkpoint) bus.on(checkpointCallback(run, run.checkpoint, state, bus));
  return bus;
}

/** One epoch: plan, cache, batches, finite-weight check, validation, frozen check, `epochEnd`. */
async function runEpoch(run: RunConfig, state: TrainState, bus: TrainBus, epoch: number): Promise<void> {
  if (run.signal?.aborted) throw abortError(run.signal, `before epoch ${epoch + 1}`);
  const te = now();
  const changed = await advancePlan(run, state, bus, epoch);
  state.plans.push(state.plan.current!);
  const frozenMs = await prepareCache(run, state, bus, epoch, changed);
  await bus.emit({ type: 'epochStart', epoch, epochs: run.epochs });
  const trained = await runBatches(run, state, bus, epoch);
  state.timing.trainMs += trained.trainableMs;
  checkFiniteWeights(run, state, epoch);
  const logs: EpochLogs = { epoch, loss: trained.loss };
  if (trained.acc !== undefined) logs.acc = trained.acc;
  if (run.valSet) {
    const tv = now();
    const v = evaluate(run, state, run.valSet, state.head?.validation);
    logs.val_loss = v.loss;
    if (v.acc !== undefined) logs.val_acc = v.acc;
    state.timing.validationMs += now() - tv;
  }
  logs.cache = state.epochCache;
  if (run.verifyMode === 'epoch') await verifyFrozenWeights(run, state, bus, epoch);
  state.history.push(logs);
  const ms = now() - te;
  state.timing.epochMs.push(ms);
  await bus.emit({
    type: 'epochEnd',
    epoch,
    epochs: run.epochs,
    logs,
    ms,
    frozenMs,
    trainableMs: trained.trainableMs,
  });
}

function result(run: RunConfig, state: TrainState): TrainResult {
  const bestEpoch = state.earlyStopping.bestEpoch;
  return {
    history: state.history,
    plans: state.plans,
    stoppedEarly: state.stoppedEarly,
    ...(bestEpoch !== undefined ? { bestEpoch } : {}),
    timing: state.timing,
    cache: state.cache,
    backend: run.backend,
    loss: run.loss,
  };
}

/** Load a checkpoint folder (model, policy, optimizer state) and continue training it. */
export async function resume(
  dir: string,
  data: TrainData,
  options: Omit<TrainOptions, 'resumeFrom'>,
): Promise<{ model: tf.LayersModel; result: TrainResult }> {
  const ckpt = await loadCheckpoint(dir);
  let ok = false;
  try {
    const trained = await train(ckpt.model, data, { ...options, resumeFrom: ckpt });
    ok = true;
    return { model: ckpt.model, result: trained };
  } finally {
    ckpt.dispose();
    // A failed resume hands no model back, so it must not keep the loaded one alive.
    if (!ok) ckpt.model.dispose();
  }
}
