import type { Fingerprint, Plan } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import type { LoadedCheckpoint } from '../checkpoint';
import type { EpochCacheStatus, EpochLogs } from '../events';
import type { LossName } from '../losses';
import type { OptimizedParam } from '../optimizer';
import type { HeadRunner } from './cache-controller';
import type { RunConfig } from './setup';

export interface TrainResult {
  history: EpochLogs[];
  /** The plan in force at each epoch run (resumed runs start at the resumed epoch). */
  plans: Plan[];
  stoppedEarly: boolean;
  bestEpoch?: number;
  timing: {
    totalMs: number;
    cacheMs: number;
    trainMs: number;
    validationMs: number;
    verifyMs: number;
    checkpointMs: number;
    epochMs: number[];
  };
  cache: {
    status: 'used' | 'disabled' | 'off';
    reason: string;
    prefixLayers: number;
    builds: number;
    ms: number;
  };
  backend: string;
  loss: LossName;
}

/** The plan in force and what it implies for the optimizer and the frozen-weight check. */
export interface PlanState {
  current?: Plan;
  /** Trainable parameters the optimizer updates under `current`. */
  params: OptimizedParam[];
  vars: tf.Variable[];
  /** Fingerprint of the frozen weights when `current` was applied (absent with `verifyFrozen: 'off'`). */
  frozenBefore?: Fingerprint;
}

export interface EarlyStoppingState {
  best: number;
  bestEpoch?: number;
  /** Epochs since the last improvement. */
  wait: number;
  /** Weights of the best epoch (with `restoreBest`), in `refs` order. */
  bestWeights?: tf.Tensor[];
}

/**
 * Everything that changes while a run trains, in one object: the parts of the trainer (plan tracker,
 * cache controller, epoch runner, listeners) read and write it; nothing mutable hides in closures.
 */
export interface TrainState {
  history: EpochLogs[];
  plans: Plan[];
  plan: PlanState;
  /** The cached frozen prefix and the head that runs on it, while there is one. */
  head?: HeadRunner;
  /** Cache status of the epoch being run (goes into its `EpochLogs`). */
  epochCache: EpochCacheStatus;
  earlyStopping: EarlyStoppingState;
  /** Set by a listener (early stopping) to end the run after the current epoch. */
  stopRequested: boolean;
  stoppedEarly: boolean;
  timing: TrainResult['timing'];
  cache: TrainResult['cache'];
  /** When the loop last let timers and I/O run. */
  lastYield: number;
}

export const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** A fresh state, or the one a checkpoint continues (history, early-stopping counters). */
export function createState(run: RunConfig, resumed: LoadedCheckpoint | undefined): TrainState {
  const off = run.cache.mode === 'off';
  const es = resumed?.meta.earlyStopping;
  const maximize = run.earlyStopping?.maximize ?? false;
  return {
    history: resumed ? resumed.meta.history.map((h) => ({ ...h })) : [],
    plans: [],
    plan: { params: [], vars: [] },
    epochCache: off ? 'off' : 'disabled',
    earlyStopping: {
      best: es?.best ?? (maximize ? -Infinity : Infinity),
      ...(es?.bestEpoch !== undefined ? { bestEpoch: es.bestEpoch } : {}),
      wait: es?.wait ?? 0,
    },
    stopRequested: false,
    stoppedEarly: false,
    timing: {
      totalMs: 0,
      cacheMs: 0,
      trainMs: 0,
      validationMs: 0,
      verifyMs: 0,
      checkpointMs: 0,
      epochMs: [],
    },
    cache: {
      status: off ? 'off' : 'disabled',
      reason: off ? "cache: 'off'" : '',
      prefixLayers: 0,
      builds: 0,
      ms: 0,
    },
    lastYield: now(),
  };
}

/** Let timers, I/O and abort handlers run without slowing the loop (at most every ~50 ms). */
export function yieldSometimes(state: TrainState): Promise<void> | undefined {
  const t = now();
  if (t - state.lastYield < 50) return undefined;
  state.lastYield = t;
  return typeof setImmediate === 'function'
    ? new Promise((r) => setImmediate(r))
    : new Promise((r) => setTimeout(r, 0));
}

/** Things a run allocated (split tensors, optimizer slots, a loaded checkpoint): released in reverse. */
export class Disposer {
  private readonly items: Array<() => void> = [];
  add(dispose: () => void): void {
    this.items.push(dispose);
  }
  dispose(): void {
    while (this.items.length > 0) this.items.pop()!();
  }
}
