import type { Plan, PlanDiff, PlanSummary } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import type { EngineName } from './engines/types';
import type { ParamOptimizer } from './optimizer';

export type CacheStatus = 'built' | 'reused' | 'hit' | 'invalidated' | 'disabled';

/**
 * What the activation cache did for one epoch: `built` (built this epoch, also right after an
 * invalidation), `hit` (reused), `invalidated` (the frozen prefix changed and no new prefix can be
 * cached, so this epoch ran uncached), `disabled` (no usable frozen prefix, or `augment` is set),
 * `off` (`cache: 'off'`).
 */
export type EpochCacheStatus = CacheStatus | 'off';

/** Loss / metric values of one epoch (`val_` prefixed for the validation set) and its cache status. */
export interface EpochLogs {
  epoch: number;
  loss: number;
  acc?: number;
  val_loss?: number;
  val_acc?: number;
  /** Absent in histories written before 0.2 (checkpoints of older runs). */
  cache?: EpochCacheStatus;
  [metric: string]: number | EpochCacheStatus | undefined;
}

export type TrainEvent =
  | {
      type: 'start';
      epochs: number;
      initialEpoch: number;
      examples: number;
      validationExamples: number;
      batchSize: number;
      batches: number;
      backend: string;
      loss: string;
      optimizer: string;
    }
  | { type: 'plan'; epoch: number; plan: Plan; diff?: PlanDiff; summary: PlanSummary }
  | {
      type: 'cache';
      epoch: number;
      status: CacheStatus;
      reason: string;
      prefixLayers: number;
      cutLayer?: string;
      ms: number;
      bytes?: number;
      onDisk?: boolean;
      /** `built` only: the engine that ran the frozen prefix, and why it was chosen (or fell back). */
      engine?: EngineName;
      engineReason?: string;
      /** Rows through the frozen prefix per second in this build, and the engine's speed-up over TF.js on the first batch. */
      examplesPerSec?: number;
      engineSpeedup?: number;
    }
  | { type: 'epochStart'; epoch: number; epochs: number }
  | {
      type: 'batchEnd';
      epoch: number;
      batch: number;
      batches: number;
      loss: number;
      metrics: Record<string, number>;
      examplesPerSec: number;
      /** Examples trained on so far this epoch, and per epoch when known (a stream's first pass may not know). */
      examplesSeen?: number;
      examplesTotal?: number;
    }
  | {
      /** Progress of the frozen prefix's one pass over the data while the activation cache is built. */
      type: 'extract';
      epoch: number;
      split: 'train' | 'validation';
      rows: number;
      total?: number;
      ms: number;
      examplesPerSec: number;
    }
  | { type: 'verify'; epoch: number; ok: boolean; checked: number; changed: string[]; ms: number }
  | {
      type: 'epochEnd';
      epoch: number;
      epochs: number;
      logs: EpochLogs;
      ms: number;
      frozenMs: number;
      trainableMs: number;
    }
  | { type: 'checkpoint'; epoch: number; dir: string; ms: number }
  | { type: 'end'; epochs: number; stoppedEarly: boolean; ms: number };

/** Live objects handed to listeners (not serializable, valid only during the call). */
export interface TrainContext {
  model: tf.LayersModel;
  plan?: Plan;
  optimizer: ParamOptimizer;
}

export type TrainListener = (e: TrainEvent, ctx: TrainContext) => void;
