import {
  diffPlans,
  type Fingerprint,
  fingerprint,
  type ParamInfo,
  type Plan,
  type PolicySpec,
  planFreeze,
  verifyFrozen,
} from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { applyPlan, matchPlan } from './apply';
import { runsInInference } from './batchnorm';
import { ActivationCache, type CutDecision, findCut } from './cache';
import { type LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import {
  accuracy,
  checkData,
  epochOrder,
  inferLoss,
  isClassification,
  type LossName,
  lossFunction,
  parseLoss,
  rows,
  splitData,
  type TrainData,
  takeRows,
  type XY,
} from './data';
import { FrostlineTfjsError } from './errors';
import type { CacheStatus, EpochLogs, TrainContext, TrainEvent, TrainListener } from './events';
import { type FlatGraph, flattenModel, runFlat } from './graph';
import { type OptimizedParam, type OptimizerName, optimizerConfig, ParamOptimizer } from './optimizer';
import { type ParamRef, paramRefs } from './params';

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
  aliases?: (p: ParamInfo) => string[];
  /** Save a resumable checkpoint to `dir` every `every` epochs (default 1) and at the end. */
  checkpoint?: { dir: string; every?: number };
  /** Continue from a checkpoint folder (or a loaded checkpoint): weights, policy, epoch, optimizer state. */
  resumeFrom?: string | LoadedCheckpoint;
}

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

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Let timers, I/O and abort handlers run without slowing the loop (at most every ~50 ms). */
function makeYielder(): () => Promise<void> | undefined {
  let last = now();
  const tick: () => Promise<void> =
    typeof setImmediate === 'function'
      ? () => new Promise((r) => setImmediate(r))
      : () => new Promise((r) => setTimeout(r, 0));
  return () => {
    const t = now();
    if (t - last < 50) return undefined;
    last = t;
    return tick();
  };
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A policy that reproduces the model's current trainable flags (used when no policy is given). */
export function policyFromModel(params: readonly ParamInfo[]): PolicySpec {
  const frozen = params.filter((p) => p.kind !== 'buffer' && p.trainable === false).map((p) => p.name);
  return {
    default: 'trainable',
    batchNorm: 'frozen',
    rules: frozen.length > 0 ? [{ freeze: frozen.map((n) => ({ regex: `^${escapeRegex(n)}$` })) }] : [],
  };
}

function abortError(signal: AbortSignal, where: string): FrostlineTfjsError {
  return new FrostlineTfjsError('ABORTED', `Training was aborted ${where}.`, { cause: signal.reason });
}

interface HeadRunner {
  cut: CutDecision;
  train: ActivationCache;
  validation?: ActivationCache;
}

/**
 * Train `model` under a freeze policy with frostline's loop: per-parameter LR factors, schedules applied at
 * epoch boundaries with optimizer state kept by parameter name, frozen BatchNorm in inference mode, the
 * activation cache for a frozen prefix, frozen-weight verification, early stopping, checkpoints.
 */
export async function train(
  model: tf.LayersModel,
  data: TrainData,
  options: TrainOptions,
): Promise<TrainResult> {
  const t0 = now();
  const emitRaw = options.onEvent;
  const refs = paramRefs(model, options.aliases ? { aliases: options.aliases } : {});
  const infos = refs.map((r) => r.info);
  const byName = new Map(refs.map((r) => [r.info.name, r]));

  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new FrostlineTfjsError('BAD_OPTION', `epochs must be a positive integer, got ${options.epochs}.`);
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new FrostlineTfjsError('BAD_OPTION', `batchSize must be a positive integer, got ${batchSize}.`);
  }
  if (model.outputs.length !== 1) {
    throw new FrostlineTfjsError(
      'UNSUPPORTED_MODEL',
      `train() supports single-output models; this one has ${model.outputs.length}. Wrap it in a model with one output or use model.fit.`,
    );
  }

  // Resume: weights by parameter name, then policy / epoch / optimizer state from the checkpoint.
  let ckpt: LoadedCheckpoint | undefined;
  let ownCkpt = false;
  if (options.resumeFrom !== undefined) {
    if (typeof options.resumeFrom === 'string') {
      ckpt = await loadCheckpoint(options.resumeFrom);
      ownCkpt = true;
    } else ckpt = options.resumeFrom;
    if (ckpt.model !== model) copyWeightsByName(ckpt.model, model, options.aliases);
  }
  const policy: PolicySpec = options.policy ?? ckpt?.meta.policy ?? policyFromModel(infos);
  const seed = options.seed ?? ckpt?.meta.seed ?? 42;
  const shuffle = options.shuffle ?? true;
  const initialEpoch = ckpt?.meta.epoch ?? 0;

  const split = splitData(data, options.validationSplit);
  const owned: tf.Tensor[] = [...split.owned];
  const trainSet = split.train;
  const valSet = split.validation;
  const lossName = options.loss ? parseLoss(options.loss) : inferLoss(model, trainSet.y);
  checkData(model, trainSet, lossName, 'training data');
  if (valSet) checkData(model, valSet, lossName, 'validation data');
  const lossFn = lossFunction(lossName);
  const metrics = options.metrics ?? (isClassification(lossName) ? ['acc'] : []);
  const wantAcc = metrics.some((m) => m === 'acc' || m === 'accuracy');
  const unknownMetric = metrics.find((m) => m !== 'acc' && m !== 'accuracy');
  if (unknownMetric) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `Unknown metric '${unknownMetric}'. Supported: 'acc' (alias 'accuracy').`,
    );
  }

  const savedOpt = ckpt?.meta.optimizer?.config;
  const opt = new ParamOptimizer(
    optimizerConfig(
      options.optimizer ?? savedOpt?.name,
      options.learningRate ?? savedOpt?.learningRate,
      options.weightDecay ?? savedOpt?.weightDecay,
    ),
  );
  if (ckpt?.optimizer) opt.setState(ckpt.optimizer);
  const backend = tf.getBackend();
  const batchLoss = options.batchLoss ?? (emitRaw !== undefined || !['webgl', 'webgpu'].includes(backend));
  const verifyMode = options.verifyFrozen ?? 'epoch';
  const cacheOpt = options.cache ?? 'auto';
  const cacheDir = typeof cacheOpt === 'object' ? cacheOpt.dir : undefined;
  const graph: FlatGraph = flattenModel(model);
  const n = rows(trainSet.x);
  const batches = Math.ceil(n / batchSize);
  // Prefix / evaluation passes run at the training batch size: larger batches barely help on cpu/wasm and
  // their activations (e.g. 128×48×48×96 floats in a MobileNet) grow the wasm heap by gigabytes.
  const evalBatch = batchSize;

  const ctx: TrainContext = { model, optimizer: opt };
  const emit = (e: TrainEvent) => {
    if (emitRaw) emitRaw(e, ctx);
  };
  const yieldNow = makeYielder();

  const history: EpochLogs[] = ckpt ? ckpt.meta.history.map((h) => ({ ...h })) : [];
  const plans: Plan[] = [];
  const timing: TrainResult['timing'] = {
    totalMs: 0,
    cacheMs: 0,
    trainMs: 0,
    validationMs: 0,
    verifyMs: 0,
    checkpointMs: 0,
    epochMs: [],
  };
  const cacheInfo: TrainResult['cache'] = {
    status: cacheOpt === 'off' ? 'off' : 'disabled',
    reason: cacheOpt === 'off' ? "cache: 'off'" : '',
    prefixLayers: 0,
    builds: 0,
    ms: 0,
  };

  // Early stopping state (restored on resume).
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? (valSet ? 'val_loss' : 'loss');
  const maximize = /acc/.test(monitor);
  let best = ckpt?.meta.earlyStopping?.best ?? (maximize ? -Infinity : Infinity);
  let bestEpoch: number | undefined = ckpt?.meta.earlyStopping?.bestEpoch;
  let wait = ckpt?.meta.earlyStopping?.wait ?? 0;
  let bestWeights: tf.Tensor[] | undefined;
  let stoppedEarly = false;

  let plan: Plan | undefined;
  let params: OptimizedParam[] = [];
  let vars: tf.Variable[] = [];
  let frozenBefore: Fingerprint | undefined;
  let head: HeadRunner | undefined;

  const frozenValues = (p: Plan) => {
    const values = new Map<string, ArrayBufferView>();
    for (const e of p.entries) {
      const r = byName.get(e.name)!;
      const check = e.kind === 'buffer' ? runsInInference(r.layer) : !e.trainable;
      if (check) values.set(e.name, r.variable.read().dataSync() as Float32Array);
    }
    return values;
  };
  const verify = (epoch: number) => {
    if (!plan || !frozenBefore) return;
    const tv = now();
    const after = fingerprint(frozenValues(plan));
    const res = verifyFrozen(plan, frozenBefore, after);
    const ms = now() - tv;
    timing.verifyMs += ms;
    emit({ type: 'verify', epoch, ok: res.ok, checked: res.checked, changed: [...res.changed], ms });
    if (!res.ok) {
      const names = [...res.changed, ...res.missing];
      throw new FrostlineTfjsError(
        'FROZEN_CHANGED',
        `Frozen parameters changed during epoch ${epoch + 1}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` … (${names.length})` : ''}. ` +
          'Something outside the plan updated them (a constraint, a custom layer that writes its weights, or a BatchNorm not in inference mode). ' +
          "Freeze them with a policy rule, or use batchNorm: 'train' if BN statistics should adapt.",
        { details: { changed: [...res.changed], missing: [...res.missing], epoch } },
      );
    }
  };

  const disposeHead = () => {
    head?.train.dispose();
    head?.validation?.dispose();
    head = undefined;
  };

  const setupCache = async (epoch: number, changed: boolean) => {
    if (cacheOpt === 'off' || !plan) return;
    if (options.augment) {
      if (!changed) return;
      cacheInfo.reason =
        'augment is set: every epoch sees different inputs, so prefix outputs cannot be reused';
      emit({ type: 'cache', epoch, status: 'disabled', reason: cacheInfo.reason, prefixLayers: 0, ms: 0 });
      return;
    }
    if (!changed && head) {
      emit({
        type: 'cache',
        epoch,
        status: 'hit',
        reason: 'plan unchanged',
        prefixLayers: head.cut.prefixLayers.length,
        cutLayer: head.cut.prefixLayers.at(-1),
        ms: 0,
      });
      return;
    }
    if (!changed) return;
    const cut = findCut(graph, plan, refs);
    if (head && head.cut.index === cut.index && head.cut.key === cut.key) {
      emit({
        type: 'cache',
        epoch,
        status: 'hit',
        reason: 'plan changed but the frozen prefix did not',
        prefixLayers: cut.prefixLayers.length,
        cutLayer: cut.prefixLayers.at(-1),
        ms: 0,
      });
      return;
    }
    if (head) {
      const status: CacheStatus = 'invalidated';
      emit({
        type: 'cache',
        epoch,
        status,
        reason: `the frozen prefix changed (${head.cut.prefixLayers.length} → ${cut.prefixLayers.length} layers)`,
        prefixLayers: cut.prefixLayers.length,
        ms: 0,
      });
      disposeHead();
    }
    if (cut.index < 0) {
      cacheInfo.status = cacheInfo.builds > 0 ? 'used' : 'disabled';
      cacheInfo.reason = cacheInfo.builds > 0 ? `used until epoch ${epoch}; then ${cut.reason}` : cut.reason;
      emit({ type: 'cache', epoch, status: 'disabled', reason: cut.reason, prefixLayers: 0, ms: 0 });
      return;
    }
    const tc = now();
    const trainCache = await ActivationCache.build(graph, cut, trainSet.x, evalBatch, cacheDir);
    const valCache = valSet
      ? await ActivationCache.build(graph, cut, valSet.x, evalBatch, cacheDir)
      : undefined;
    head = { cut, train: trainCache, ...(valCache ? { validation: valCache } : {}) };
    const ms = now() - tc;
    cacheInfo.status = 'used';
    cacheInfo.reason = `frozen prefix of ${cut.prefixLayers.length} layers up to '${cut.prefixLayers.at(-1)}'`;
    cacheInfo.prefixLayers = cut.prefixLayers.length;
    cacheInfo.builds++;
    cacheInfo.ms += ms;
    timing.cacheMs += ms;
    emit({
      type: 'cache',
      epoch,
      status: 'built',
      reason: cacheInfo.reason,
      prefixLayers: cut.prefixLayers.length,
      cutLayer: cut.prefixLayers.at(-1),
      ms,
      bytes: trainCache.bytes + (valCache?.bytes ?? 0),
      onDisk: trainCache.onDisk,
    });
    return ms;
  };

  const outKey = graph.outputs[0]!;
  const headForward = (h: HeadRunner, feats: tf.Tensor, training: boolean): tf.Tensor =>
    runFlat(graph, h.cut.index + 1, graph.nodes.length, new Map([[h.cut.key!, feats]]), training).get(
      outKey,
    )!;

  const evaluate = (set: XY, cache: ActivationCache | undefined): { loss: number; acc?: number } => {
    const m = rows(set.x);
    const order = epochOrder(m, false, 0, 0);
    let lossSum = 0;
    let accSum = 0;
    for (let s = 0; s < m; s += evalBatch) {
      const e = Math.min(m, s + evalBatch);
      const [l, a] = tf.tidy(() => {
        const pred =
          cache && head
            ? headForward(head, cache.take(order, s, e, true), false)
            : (model.apply(
                Array.isArray(set.x) ? set.x.map((t) => t.slice(s, e - s)) : set.x.slice(s, e - s),
                { training: false },
              ) as tf.Tensor);
        const yb = set.y.slice(s, e - s);
        const lv = tf.mean(lossFn(yb, pred)).dataSync()[0]!;
        const av = wantAcc ? accuracy(lossName, yb, pred).dataSync()[0]! : 0;
        return [lv, av];
      });
      lossSum += l * (e - s);
      accSum += a * (e - s);
    }
    return wantAcc ? { loss: lossSum / m, acc: accSum / m } : { loss: lossSum / m };
  };

  const calcRegularization = (model as unknown as { calculateLosses?: () => tf.Scalar[] }).calculateLosses;
  const hasRegularizers = refs.some((r) => (r.layer as unknown as { losses?: unknown[] }).losses?.length);

  try {
    emit({
      type: 'start',
      epochs: options.epochs,
      initialEpoch,
      examples: n,
      validationExamples: valSet ? rows(valSet.x) : 0,
      batchSize,
      batches,
      backend,
      loss: lossName,
      optimizer: opt.config.name,
    });

    for (let epoch = initialEpoch; epoch < options.epochs; epoch++) {
      if (options.signal?.aborted) throw abortError(options.signal, `before epoch ${epoch + 1}`);
      const te = now();
      // Plan for this epoch; re-apply only when it changed (schedules).
      const next = planFreeze(infos, policy, { epoch });
      const diff = plan ? diffPlans(plan, next) : undefined;
      const changed = !plan || !diff!.empty;
      if (changed) {
        if (plan && verifyMode !== 'off') verify(epoch - 1);
        matchPlan(refs, next);
        applyPlan(model, next, options.aliases ? { aliases: options.aliases } : {});
        plan = next;
        ctx.plan = plan;
        params = refs
          .filter((r) => r.info.kind !== 'buffer' && plan!.get(r.info.name)?.trainable)
          .map(
            (r): OptimizedParam => ({
              name: r.info.name,
              variable: r.variable.read() as tf.Variable,
              lrFactor: plan!.get(r.info.name)!.lrFactor,
              decay: r.variable.shape.length >= 2,
            }),
          );
        vars = params.map((p) => p.variable);
        if (params.length === 0) {
          throw new FrostlineTfjsError(
            'BAD_OPTION',
            `The plan for epoch ${epoch + 1} freezes every parameter, so there is nothing to train. ` +
              "Unfreeze a head (e.g. rules: [{ unfreeze: 'last:1' }]) or fix the policy's default.",
          );
        }
        frozenBefore = verifyMode !== 'off' ? fingerprint(frozenValues(plan)) : undefined;
        emit({ type: 'plan', epoch, plan, ...(diff ? { diff } : {}), summary: plan.summary });
      } else {
        plan = next;
        ctx.plan = plan;
      }
      plans.push(plan!);
      const cacheMs = (await setupCache(epoch, changed)) ?? 0;

      emit({ type: 'epochStart', epoch, epochs: options.epochs });
      const order = epochOrder(n, shuffle, seed, epoch);
      const contiguous = !shuffle;
      let lossSum: tf.Tensor | undefined;
      let accSum: tf.Tensor | undefined;
      const tt = now();
      let tb = tt;
      for (let b = 0; b < batches; b++) {
        if (options.signal?.aborted)
          throw abortError(options.signal, `at epoch ${epoch + 1}, batch ${b + 1}`);
        const start = b * batchSize;
        const end = Math.min(n, start + batchSize);
        const size = end - start;
        const h = head;
        const [lossT, accT] = tf.tidy(() => {
          const yb = takeRows(trainSet.y, order, start, end, contiguous);
          let input: tf.Tensor | tf.Tensor[];
          if (h) input = h.train.take(order, start, end, contiguous);
          else {
            const xs = trainSet.x;
            input = Array.isArray(xs)
              ? xs.map((t) => takeRows(t, order, start, end, contiguous))
              : takeRows(xs, order, start, end, contiguous);
            if (options.augment) input = Array.isArray(input) ? input : options.augment(input);
          }
          let acc: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const pred = h
              ? headForward(h, input as tf.Tensor, true)
              : (model.apply(input, { training: true }) as tf.Tensor);
            let l = tf.mean(lossFn(yb, pred));
            if (hasRegularizers && calcRegularization) {
              for (const r of calcRegularization.call(model)) l = tf.add(l, r);
            }
            if (wantAcc) acc = tf.keep(accuracy(lossName, yb, pred));
            return l as tf.Scalar;
          }, vars);
          opt.apply(params, grads);
          return acc ? [value, acc] : [value];
        });
        let batchLossValue = Number.NaN;
        if (batchLoss) {
          batchLossValue = lossT!.dataSync()[0]!;
          if (!Number.isFinite(batchLossValue)) {
            lossT!.dispose();
            accT?.dispose();
            throw nanError(epoch, b, batches, batchLossValue, opt.config.learningRate);
          }
        }
        const prevL = lossSum;
        const prevA = accSum;
        lossSum = tf.tidy(() => (prevL ? tf.add(prevL, tf.mul(lossT!, size)) : tf.mul(lossT!, size)));
        if (accT) accSum = tf.tidy(() => (prevA ? tf.add(prevA, tf.mul(accT, size)) : tf.mul(accT, size)));
        prevL?.dispose();
        prevA?.dispose();
        lossT!.dispose();
        if (emitRaw && batchLoss) {
          const tn = now();
          const metricsNow: Record<string, number> = {};
          if (accT) metricsNow.acc = accT.dataSync()[0]!;
          emit({
            type: 'batchEnd',
            epoch,
            batch: b,
            batches,
            loss: batchLossValue,
            metrics: metricsNow,
            examplesPerSec: (size * 1000) / Math.max(1e-3, tn - tb),
          });
          tb = tn;
        }
        accT?.dispose();
        const y = yieldNow();
        if (y) await y;
      }
      const trainableMs = now() - tt;
      timing.trainMs += trainableMs;
      const epochLoss = lossSum!.dataSync()[0]! / n;
      const epochAcc = accSum ? accSum.dataSync()[0]! / n : undefined;
      lossSum?.dispose();
      accSum?.dispose();
      if (!Number.isFinite(epochLoss)) throw nanError(epoch, -1, batches, epochLoss, opt.config.learningRate);

      const logs: EpochLogs = { epoch, loss: epochLoss };
      if (epochAcc !== undefined) logs.acc = epochAcc;
      if (valSet) {
        const tv = now();
        const v = evaluate(valSet, head?.validation);
        logs.val_loss = v.loss;
        if (v.acc !== undefined) logs.val_acc = v.acc;
        timing.validationMs += now() - tv;
      }
      if (verifyMode === 'epoch') verify(epoch);
      history.push(logs);

      // Early stopping.
      let stopNow = false;
      if (es) {
        const value = logs[monitor];
        if (value === undefined) {
          throw new FrostlineTfjsError(
            'BAD_OPTION',
            `earlyStopping.monitor '${monitor}' is not logged. Available: ${Object.keys(logs)
              .filter((k) => k !== 'epoch')
              .join(', ')}.`,
          );
        }
        const delta = es.minDelta ?? 0;
        const improved = maximize ? value > best + delta : value < best - delta;
        if (improved) {
          best = value;
          bestEpoch = epoch;
          wait = 0;
          if (es.restoreBest) {
            for (const t of bestWeights ?? []) t.dispose();
            bestWeights = tf.tidy(() => refs.map((r) => r.variable.read().clone()));
          }
        } else if (++wait >= es.patience) {
          stopNow = true;
          stoppedEarly = true;
        }
      }

      const ms = now() - te;
      timing.epochMs.push(ms);
      emit({ type: 'epochEnd', epoch, epochs: options.epochs, logs, ms, frozenMs: cacheMs, trainableMs });

      const last = stopNow || epoch === options.epochs - 1;
      if (options.checkpoint && (last || (epoch + 1) % (options.checkpoint.every ?? 1) === 0)) {
        const tc = now();
        await saveCheckpoint(options.checkpoint.dir, {
          model,
          policy,
          epoch: epoch + 1,
          optimizer: opt,
          seed,
          history,
          earlyStopping: es ? { best, bestEpoch, wait } : undefined,
          trainable: plan!.trainableNames(),
          aliases: options.aliases,
        });
        const cms = now() - tc;
        timing.checkpointMs += cms;
        emit({ type: 'checkpoint', epoch, dir: options.checkpoint.dir, ms: cms });
      }
      if (stopNow) break;
    }
    if (verifyMode === 'end') verify(history.length - 1);
    if (es?.restoreBest && bestWeights) {
      refs.forEach((r, i) => {
        r.variable.write(bestWeights![i]!);
      });
    }
    timing.totalMs = now() - t0;
    emit({ type: 'end', epochs: history.length, stoppedEarly, ms: timing.totalMs });
    return {
      history,
      plans,
      stoppedEarly,
      ...(bestEpoch !== undefined ? { bestEpoch } : {}),
      timing,
      cache: cacheInfo,
      backend,
      loss: lossName,
    };
  } finally {
    disposeHead();
    opt.dispose();
    for (const t of owned) t.dispose();
    for (const t of bestWeights ?? []) t.dispose();
    if (ownCkpt && ckpt && ckpt.model !== model) ckpt.model.dispose();
    if (ownCkpt) ckpt?.dispose();
  }
}

function nanError(
  epoch: number,
  batch: number,
  batches: number,
  value: number,
  lr: number,
): FrostlineTfjsError {
  const where = batch >= 0 ? `epoch ${epoch + 1}, batch ${batch + 1}/${batches}` : `epoch ${epoch + 1}`;
  return new FrostlineTfjsError(
    'NAN_LOSS',
    `The loss became ${value} at ${where}. Lower the learning rate (now ${lr}; try ${lr / 10}), ` +
      'check the inputs for NaN/Infinity and scale them (e.g. pixels to [0, 1]), and make sure labels match the loss.',
    { details: { epoch, batch, learningRate: lr } },
  );
}

/** Copy weights from `src` into `dst` by parameter name (shapes must agree). */
export function copyWeightsByName(
  src: tf.LayersModel,
  dst: tf.LayersModel,
  aliases?: (p: ParamInfo) => string[],
): void {
  const a = new Map(paramRefs(src, aliases ? { aliases } : {}).map((r) => [r.info.name, r] as const));
  const b: ParamRef[] = paramRefs(dst, aliases ? { aliases } : {});
  const missing = b.filter((r) => !a.has(r.info.name)).map((r) => r.info.name);
  if (missing.length > 0) {
    throw new FrostlineTfjsError(
      'CHECKPOINT_INVALID',
      `The checkpoint's model lacks parameters of this model: ${missing.slice(0, 5).join(', ')}. Resume with the same architecture (or call resume(dir, data) to use the saved model).`,
    );
  }
  for (const r of b) {
    const s = a.get(r.info.name)!;
    if (s.variable.shape.join('x') !== r.variable.shape.join('x')) {
      throw new FrostlineTfjsError(
        'CHECKPOINT_INVALID',
        `Shape mismatch for '${r.info.name}': checkpoint [${s.variable.shape}] vs model [${r.variable.shape}].`,
      );
    }
    r.variable.write(s.variable.read());
  }
}

/** Load a checkpoint folder (model, policy, optimizer state) and continue training it. */
export async function resume(
  dir: string,
  data: TrainData,
  options: Omit<TrainOptions, 'resumeFrom'>,
): Promise<{ model: tf.LayersModel; result: TrainResult }> {
  const ckpt = await loadCheckpoint(dir);
  try {
    const result = await train(ckpt.model, data, { ...options, resumeFrom: ckpt });
    return { model: ckpt.model, result };
  } finally {
    ckpt.dispose();
  }
}
