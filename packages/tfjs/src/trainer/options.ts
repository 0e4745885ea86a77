import type { ParamInfo, PolicySpec } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import type { LoadedCheckpoint } from '../checkpoint';
import { FrostlineTfjsError } from '../errors';
import type { TrainListener } from '../events';
import type { AliasFn } from '../model-names';
import type { OptimizerName } from '../optimizer';

export interface EarlyStoppingOptions {
  /** Default `val_loss` when there is validation data, else `loss`. Names containing `acc` are maximised. */
  monitor?: string;
  patience: number;
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. */
  restoreBest?: boolean;
}

export interface TrainOptions {
  /** What to freeze (and schedules, LR factors). Default: the model's current trainable flags. */
  policy?: PolicySpec;
  epochs: number;
  batchSize?: number;
  validationSplit?: number;
  /** Default: inferred from the labels and the output layer. */
  loss?: string;
  /** `acc` / `accuracy` (default for classification losses). */
  metrics?: string[];
  optimizer?: OptimizerName;
  learningRate?: number;
  /** Decoupled weight decay on trainable kernels (rank ≥ 2) only. */
  weightDecay?: number;
  /** Default true: reshuffled each epoch with a generator seeded by (seed, epoch). */
  shuffle?: boolean;
  seed?: number;
  /** `auto` (default): cache the frozen prefix's outputs when possible; `{dir}` spills them to disk. */
  cache?: 'auto' | 'off' | { dir: string };
  /** Random augmentation applied to each input batch (disables the activation cache). */
  augment?: (x: tf.Tensor) => tf.Tensor;
  /** When frozen weights are fingerprinted and checked bit-identical. Default `epoch`. */
  verifyFrozen?: 'epoch' | 'end' | 'off';
  earlyStopping?: EarlyStoppingOptions;
  onEvent?: TrainListener;
  /**
   * Read the loss after every batch (for `batchEnd` events and an exact NaN position). Default: true on
   * CPU-memory backends (cpu, wasm, tensorflow) or when `onEvent` is set; false on GPU backends, where the
   * loss is read once per epoch.
   */
  batchLoss?: boolean;
  signal?: AbortSignal;
  /** Alias names for parameters. Default: the model's own (a `{ model, aliases }` or `attachAliases`). */
  aliases?: AliasFn;
  /**
   * Parameters the policy plans over that the model does not own, e.g. a fixed external encoder whose
   * outputs are the inputs: one plan then covers encoder + head. They must come out frozen.
   */
  externalParams?: readonly ParamInfo[];
  /** Save a resumable checkpoint to `dir` every `every` epochs (default 1) and at the end. */
  checkpoint?: { dir: string; every?: number };
  /** Continue from a checkpoint folder (or a loaded checkpoint): weights, policy, epoch, optimizer state. */
  resumeFrom?: string | LoadedCheckpoint;
}

const bad = (message: string) => new FrostlineTfjsError('BAD_OPTION', message);
const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.slice(0, 60)}'`;
  if (v !== null && typeof v === 'object') {
    try {
      return JSON.stringify(v).slice(0, 80);
    } catch {
      return 'an object';
    }
  }
  return String(v);
}

/** Options that need neither the model nor the data, checked before anything is loaded or allocated. */
export function checkOptions(options: TrainOptions): void {
  if (options === null || typeof options !== 'object') {
    throw bad(
      `train(model, data, options): options must be an object such as { epochs: 5 }, got ${show(options)}.`,
    );
  }
  if (!isPositiveInt(options.epochs)) {
    throw bad(`epochs must be a positive integer, got ${show(options.epochs)}.`);
  }
  const batchSize = options.batchSize ?? 32;
  if (!isPositiveInt(batchSize)) throw bad(`batchSize must be a positive integer, got ${show(batchSize)}.`);
  const lr = options.learningRate;
  if (lr !== undefined && !(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) {
    throw bad(`learningRate must be a positive finite number, got ${show(lr)}.`);
  }
  if (options.seed !== undefined && !(typeof options.seed === 'number' && Number.isFinite(options.seed))) {
    throw bad(`seed must be a finite number, got ${show(options.seed)}.`);
  }
  checkEarlyStopping(options.earlyStopping);
  checkCheckpoint(options.checkpoint);
  const cache = options.cache;
  if (
    cache !== undefined &&
    cache !== 'auto' &&
    cache !== 'off' &&
    !(typeof cache === 'object' && cache !== null && typeof cache.dir === 'string' && cache.dir !== '')
  ) {
    throw bad(`cache must be 'auto', 'off' or { dir: string }, got ${show(cache)}.`);
  }
  const verify = options.verifyFrozen;
  if (verify !== undefined && verify !== 'epoch' && verify !== 'end' && verify !== 'off') {
    throw bad(`verifyFrozen must be 'epoch', 'end' or 'off', got ${show(verify)}.`);
  }
  for (const key of ['augment', 'onEvent', 'aliases'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'function') throw bad(`${key} must be a function, got ${show(v)}.`);
  }
}

function checkEarlyStopping(es: EarlyStoppingOptions | undefined): void {
  if (es === undefined) return;
  if (es === null || typeof es !== 'object') throw bad(`earlyStopping must be an object, got ${show(es)}.`);
  if (!(typeof es.patience === 'number' && Number.isInteger(es.patience) && es.patience >= 0)) {
    throw bad(
      `earlyStopping.patience must be an integer ≥ 0 (epochs without improvement), got ${show(es.patience)}.`,
    );
  }
  const d = es.minDelta;
  if (d !== undefined && !(typeof d === 'number' && d >= 0 && Number.isFinite(d))) {
    throw bad(`earlyStopping.minDelta must be a finite number ≥ 0, got ${show(d)}.`);
  }
  if (es.monitor !== undefined && (typeof es.monitor !== 'string' || es.monitor === '')) {
    throw bad(`earlyStopping.monitor must be a metric name such as 'val_loss', got ${show(es.monitor)}.`);
  }
}

function checkCheckpoint(c: TrainOptions['checkpoint']): void {
  if (c === undefined) return;
  if (c === null || typeof c !== 'object' || typeof c.dir !== 'string' || c.dir === '') {
    throw bad(`checkpoint must be { dir: string, every?: number }, got ${show(c)}.`);
  }
  if (c.every !== undefined && !isPositiveInt(c.every)) {
    throw bad(`checkpoint.every must be a positive integer (save every N epochs), got ${show(c.every)}.`);
  }
}
