import type { ParamInfo, PolicySpec } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { rows, splitData } from '../batching';
import type { LoadedCheckpoint } from '../checkpoint';
import { checkData, type TrainData, type XY } from '../data';
import { FrostlineTfjsError } from '../errors';
import { type FlatGraph, flattenModel } from '../graph';
import { inferLoss, isClassification, type LossFn, type LossName, lossFunction, parseLoss } from '../losses';
import type { AliasFn } from '../model-names';
import { optimizerConfig, ParamOptimizer } from '../optimizer';
import { type ParamRef, paramRefs } from '../params';
import type { TrainOptions } from './options';
import { loadResume, policyFromModel } from './resume';
import type { Disposer } from './state';

/** Early stopping with its defaults filled in. */
export interface EarlyStoppingConfig {
  monitor: string;
  /** Names containing `acc` are maximised. */
  maximize: boolean;
  patience: number;
  minDelta: number;
  restoreBest: boolean;
}

/** Everything a run needs, resolved once from the model, the data, the options and the checkpoint. */
export interface RunConfig {
  model: tf.LayersModel;
  refs: ParamRef[];
  byName: Map<string, ParamRef>;
  aliases?: AliasFn;
  /** What the policy plans over: external parameters (frozen encoder) first, then the model's. */
  plannedParams: ParamInfo[];
  externalNames: ReadonlySet<string>;
  policy: PolicySpec;
  seed: number;
  shuffle: boolean;
  initialEpoch: number;
  epochs: number;
  batchSize: number;
  /** Prefix / evaluation passes run at the training batch size (see `setupRun`). */
  evalBatch: number;
  trainSet: XY;
  valSet?: XY;
  examples: number;
  batches: number;
  loss: LossName;
  lossFn: LossFn;
  wantAcc: boolean;
  optimizer: ParamOptimizer;
  backend: string;
  batchLoss: boolean;
  /** A user listener is set (batchEnd events are worth building). */
  listening: boolean;
  verifyMode: 'epoch' | 'end' | 'off';
  cache: { mode: 'auto' | 'off'; dir?: string };
  graph: FlatGraph;
  augment?: (x: tf.Tensor) => tf.Tensor;
  signal?: AbortSignal;
  /** The model's regularization losses, when any layer has a regularizer. */
  regularizers?: () => tf.Scalar[];
  earlyStopping?: EarlyStoppingConfig;
  checkpoint?: { dir: string; every: number };
}

/**
 * Resolve a run: resume state, data split and checks, loss, metrics, optimizer (state restored), cache
 * and verification modes. Whatever it allocates is registered with `disposer` as soon as it exists.
 */
export async function setupRun(
  model: tf.LayersModel,
  aliases: AliasFn | undefined,
  data: TrainData,
  options: TrainOptions,
  disposer: Disposer,
): Promise<{ run: RunConfig; resumed?: LoadedCheckpoint }> {
  if (model.outputs.length !== 1) {
    throw new FrostlineTfjsError(
      'UNSUPPORTED_MODEL',
      `train() supports single-output models; this one has ${model.outputs.length}. Wrap it in a model with one output or use model.fit.`,
    );
  }
  const refs = paramRefs(model, aliases ? { aliases } : {});
  const infos = refs.map((r) => r.info);
  const external = options.externalParams ?? [];
  const resumed = await loadResume(model, options, aliases, disposer);
  const sets = resolveData(model, data, options, disposer);
  const optimizer = resolveOptimizer(options, resumed, disposer);
  const backend = tf.getBackend();
  const cacheOpt = options.cache ?? 'auto';
  const batchSize = options.batchSize ?? 32;
  const n = rows(sets.trainSet.x);
  const regularize = (model as unknown as { calculateLosses?: () => tf.Scalar[] }).calculateLosses;
  const hasRegularizers = refs.some((r) => (r.layer as unknown as { losses?: unknown[] }).losses?.length);
  const run: RunConfig = {
    model,
    refs,
    byName: new Map(refs.map((r) => [r.info.name, r])),
    plannedParams: [...external, ...infos],
    externalNames: new Set(external.map((p) => p.name)),
    policy: options.policy ?? resumed?.meta.policy ?? policyFromModel(infos),
    seed: options.seed ?? resumed?.meta.seed ?? 42,
    shuffle: options.shuffle ?? true,
    initialEpoch: resumed?.meta.epoch ?? 0,
    epochs: options.epochs,
    batchSize,
    // Larger batches barely help on cpu/wasm and their activations (e.g. 128×48×48×96 floats in a
    // MobileNet) grow the wasm heap by gigabytes.
    evalBatch: batchSize,
    ...sets,
    examples: n,
    batches: Math.ceil(n / batchSize),
    optimizer,
    backend,
    batchLoss: options.batchLoss ?? (options.onEvent !== undefined || !['webgl', 'webgpu'].includes(backend)),
    listening: options.onEvent !== undefined,
    verifyMode: options.verifyFrozen ?? 'epoch',
    cache: typeof cacheOpt === 'object' ? { mode: 'auto', dir: cacheOpt.dir } : { mode: cacheOpt },
    graph: flattenModel(model),
  };
  if (aliases) run.aliases = aliases;
  if (options.augment) run.augment = options.augment;
  if (options.signal) run.signal = options.signal;
  if (hasRegularizers && regularize) run.regularizers = () => regularize.call(model);
  if (options.earlyStopping) run.earlyStopping = earlyStoppingConfig(options, sets.valSet !== undefined);
  if (options.checkpoint)
    run.checkpoint = { dir: options.checkpoint.dir, every: options.checkpoint.every ?? 1 };
  return resumed ? { run, resumed } : { run };
}

type DataPart = Pick<RunConfig, 'trainSet' | 'valSet' | 'loss' | 'lossFn' | 'wantAcc'>;

/** Split train / validation, pick and check the loss against model and labels, check the metrics. */
function resolveData(
  model: tf.LayersModel,
  data: TrainData,
  options: TrainOptions,
  disposer: Disposer,
): DataPart {
  const split = splitData(data, options.validationSplit);
  disposer.add(() => {
    for (const t of split.owned) t.dispose();
  });
  const loss = options.loss ? parseLoss(options.loss) : inferLoss(model, split.train.y);
  checkData(model, split.train, loss, 'training data');
  if (split.validation) checkData(model, split.validation, loss, 'validation data');
  const metrics = options.metrics ?? (isClassification(loss) ? ['acc'] : []);
  if (!Array.isArray(metrics)) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `metrics must be an array such as ['acc'], got ${String(metrics)}.`,
    );
  }
  const unknownMetric = metrics.find((m) => m !== 'acc' && m !== 'accuracy');
  if (unknownMetric !== undefined) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `Unknown metric '${unknownMetric}'. Supported: 'acc' (alias 'accuracy').`,
    );
  }
  const part: DataPart = {
    trainSet: split.train,
    loss,
    lossFn: lossFunction(loss),
    wantAcc: metrics.some((m) => m === 'acc' || m === 'accuracy'),
  };
  if (split.validation) part.valSet = split.validation;
  return part;
}

/** The optimizer: options first, then the checkpoint's configuration; its slots restored by name. */
function resolveOptimizer(
  options: TrainOptions,
  resumed: LoadedCheckpoint | undefined,
  disposer: Disposer,
): ParamOptimizer {
  const saved = resumed?.meta.optimizer?.config;
  const opt = new ParamOptimizer(
    optimizerConfig(
      options.optimizer ?? saved?.name,
      options.learningRate ?? saved?.learningRate,
      options.weightDecay ?? saved?.weightDecay,
    ),
  );
  disposer.add(() => opt.dispose());
  if (resumed?.optimizer) opt.setState(resumed.optimizer);
  return opt;
}

function earlyStoppingConfig(options: TrainOptions, hasValidation: boolean): EarlyStoppingConfig {
  const es = options.earlyStopping!;
  const monitor = es.monitor ?? (hasValidation ? 'val_loss' : 'loss');
  return {
    monitor,
    maximize: /acc/.test(monitor),
    patience: es.patience,
    minDelta: es.minDelta ?? 0,
    restoreBest: es.restoreBest === true,
  };
}
