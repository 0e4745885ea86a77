import type { Plan } from '@frostline/core';
import type { TrainEvent } from '@frostline/tfjs';
import {
  type CacheRecord,
  type EpochRecord,
  type PlanSnapshot,
  type RunRecord,
  snapshotPlan,
} from './run-record';

export interface RunRecorderOptions {
  /** Epochs and plans of an earlier run this one resumes (from its metrics.json / plans.json). */
  prior?: { epochs?: readonly EpochRecord[]; plans?: readonly PlanSnapshot[] };
  /**
   * One plan for every epoch instead of the trainer's `plan` events: a text head trains alone, and the
   * plan that covers encoder + head is made once, by @frostline/nlp.
   */
  plan?: Plan | PlanSnapshot;
  /** Keep each parameter's entry in the plan snapshots (plans.json does; the demo's report need not). */
  withEntries?: boolean;
}

/**
 * Builds a `RunRecord` from the `TrainEvent` stream of @frostline/tfjs `train` (pass `onEvent` as a
 * listener): one epoch record per `epochEnd`, one plan per epoch (the last one carried forward when
 * the plan did not change), the activation cache's status per epoch and its non-hit events. The CLI's
 * `train` and the demo both build their reports with it.
 */
export class RunRecorder {
  private readonly epochMap = new Map<number, EpochRecord>();
  private readonly planMap = new Map<number, PlanSnapshot>();
  private readonly cacheEvents: CacheRecord[] = [];
  private readonly cacheByEpoch = new Map<number, string>();
  private fixedPlan: PlanSnapshot | undefined;
  private readonly withEntries: boolean;
  private examples = 0;
  /** True once an `end` event said early stopping ended the run. */
  stoppedEarly = false;

  constructor(opts: RunRecorderOptions = {}) {
    this.withEntries = opts.withEntries ?? true;
    for (const e of opts.prior?.epochs ?? []) this.epochMap.set(e.epoch, e);
    for (const p of opts.prior?.plans ?? []) this.planMap.set(p.epoch, p);
    this.fixedPlan = opts.plan ? snapshotPlan(opts.plan, this.withEntries) : undefined;
  }

  /** The listener: hand it every event (`train(model, data, { onEvent: recorder.onEvent })`). */
  readonly onEvent = (e: TrainEvent): void => {
    switch (e.type) {
      case 'start':
        this.examples = e.examples;
        break;
      case 'plan':
        if (!this.fixedPlan) this.planMap.set(e.epoch, snapshotPlan(e.plan, this.withEntries));
        break;
      case 'cache':
        // tfjs reports the cache once per epoch (hit / built / invalidated / disabled); the last word wins.
        this.cacheByEpoch.set(e.epoch, e.status);
        if (e.status !== 'hit') {
          this.cacheEvents.push({
            epoch: e.epoch,
            status: e.status,
            reason: e.reason,
            ms: e.ms,
            prefixLayers: e.prefixLayers,
            ...(e.engine ? { engine: e.engine } : {}),
            ...(e.examplesPerSec !== undefined ? { examplesPerSec: e.examplesPerSec } : {}),
            ...(e.engineSpeedup !== undefined ? { engineSpeedup: e.engineSpeedup } : {}),
          });
        }
        break;
      case 'epochEnd':
        this.epochMap.set(e.epoch, this.epochRecord(e));
        this.carryPlan(e.epoch);
        break;
      case 'end':
        this.stoppedEarly = e.stoppedEarly;
        break;
      default:
        break;
    }
  };

  private epochRecord(e: Extract<TrainEvent, { type: 'epochEnd' }>): EpochRecord {
    const logs = e.logs;
    const cache = this.cacheStatus(e.epoch);
    return {
      epoch: e.epoch,
      loss: logs.loss,
      ...(logs.acc !== undefined ? { acc: logs.acc } : {}),
      ...(logs.val_loss !== undefined ? { valLoss: logs.val_loss } : {}),
      ...(logs.val_acc !== undefined ? { valAcc: logs.val_acc } : {}),
      ms: e.ms,
      frozenMs: e.frozenMs,
      trainableMs: e.trainableMs,
      examplesPerSec: e.ms > 0 ? (this.examples / e.ms) * 1000 : 0,
      ...(cache ? { cache } : {}),
    };
  }

  /** An epoch without a cache event keeps the previous state: a built cache is hit, a disabled one stays off. */
  private cacheStatus(epoch: number): string | undefined {
    const own = this.cacheByEpoch.get(epoch);
    if (own !== undefined) return own;
    const earlier = [...this.cacheByEpoch.keys()].filter((k) => k < epoch);
    if (earlier.length === 0) return undefined;
    const prev = this.cacheByEpoch.get(Math.max(...earlier));
    const status = prev === 'disabled' ? 'disabled' : 'hit';
    this.cacheByEpoch.set(epoch, status);
    return status;
  }

  /** tfjs reports a plan when it changes; the record keeps one per epoch. */
  private carryPlan(epoch: number): void {
    if (this.fixedPlan) {
      this.planMap.set(epoch, { ...this.fixedPlan, epoch });
      return;
    }
    if (this.planMap.has(epoch)) return;
    const before = [...this.planMap.values()]
      .filter((p) => p.epoch < epoch)
      .sort((a, b) => b.epoch - a.epoch)[0];
    if (before) this.planMap.set(epoch, { ...before, epoch });
  }

  /**
   * From now on, one plan for every epoch (also those already recorded): a run whose trainer saw only
   * part of the model (a text head) learns the plan over all of it when training returns.
   */
  usePlan(plan: Plan | PlanSnapshot): void {
    this.fixedPlan = snapshotPlan(plan, this.withEntries);
    this.planMap.clear();
    for (const epoch of this.epochMap.keys()) this.carryPlan(epoch);
  }

  /** Epoch records so far, in epoch order. */
  epochs(): EpochRecord[] {
    return [...this.epochMap.values()].sort((a, b) => a.epoch - b.epoch);
  }

  /** One plan snapshot per epoch so far, in epoch order. */
  plans(): PlanSnapshot[] {
    return [...this.planMap.values()].sort((a, b) => a.epoch - b.epoch);
  }

  /** The cache's non-hit events (built, invalidated, disabled), in order. */
  cache(): CacheRecord[] {
    return [...this.cacheEvents];
  }

  /** The record so far, with what only the caller knows (title, model, dataset, config, …). */
  record(extra: Omit<RunRecord, 'epochs' | 'plans'> = {}): RunRecord {
    return {
      ...extra,
      epochs: this.epochs(),
      plans: this.plans(),
      ...(extra.cache === undefined ? { cache: this.cache() } : {}),
    };
  }
}
