import {
  formatPlan,
  formatSummaryLine,
  type ParamInfo,
  type Plan,
  type PolicySpec,
  planFreeze,
} from '@frostline/core';
import {
  type EarlyStoppingOptions,
  listParams,
  type TrainEvent,
  type TrainOptions,
  type TrainResult,
  train,
} from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { EmbeddingCache } from './cache';
import type { TextDataset } from './data';
import type { EmbedOptions, TextEncoder } from './encoder';
import { NlpError } from './errors';
import { buildHead, type HeadSpec } from './head';

export interface Evaluation {
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  examples: number;
}

export interface Prediction {
  label: string;
  index: number;
  probabilities: number[];
}

export interface ClassifierTrainOptions {
  train: TextDataset;
  validation?: TextDataset;
  /** Evaluated once after training (kept apart from training and early stopping). */
  test?: TextDataset;
  /**
   * Policy over the combined parameter list (encoder `encoder/…` + head `classifier/…`, `hidden_1/…`).
   * Default `{}`: the head trains, the encoder stays frozen (it is fixed). A rule that unfreezes
   * encoder parameters is a PolicyError FIXED_PARAMETER.
   */
  policy?: PolicySpec;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: 'adam' | 'sgd' | 'momentum' | 'rmsprop';
  weightDecay?: number;
  seed?: number;
  earlyStopping?: EarlyStoppingOptions;
  onEvent?: (e: TrainEvent) => void;
  /** Options for the encoder when it has to run (batch size, progress). */
  embed?: EmbedOptions;
  signal?: AbortSignal;
  /** Save a resumable checkpoint of the head every `every` epochs (default 1) and at the end (`@frostline/tfjs`' `train`). */
  checkpoint?: { dir: string; every?: number };
  /** Continue from a checkpoint folder written by a run with the same encoder, head and labels. */
  resumeFrom?: string;
}

export interface ClassifierTrainResult {
  classifier: TextClassifier;
  /** Combined plan: encoder parameters frozen (fixed) + head parameters as the policy says. */
  plan: Plan;
  /** `formatPlan(plan, 'table', { by: 'layer' })` plus the summary line. */
  report: string;
  summary: string;
  history: TrainResult['history'];
  metrics: {
    train: { loss: number; accuracy?: number };
    validation?: { loss?: number; accuracy?: number };
    test?: Evaluation;
  };
  timing: { embedMs: number; trainMs: number; totalMs: number };
  /** Encoder calls and cache hits for this run (from the classifier's cache). */
  cache: { hits: number; misses: number; encoderCalls: number };
  backend: string;
}

export interface TextClassifierOptions {
  encoder: TextEncoder;
  /** Class names in label-index order (a dataset's `labelNames`). */
  labelNames: readonly string[];
  head?: HeadSpec;
  /** Where embeddings are kept. Default: a new in-memory cache; pass one with `dir` to reuse across runs. */
  cache?: EmbeddingCache;
}

/**
 * A frozen encoder plus a trainable TF.js head. The encoder runs through the embedding cache, so
 * training another head, another epoch or evaluating again never re-embeds a text.
 */
export class TextClassifier {
  readonly encoder: TextEncoder;
  readonly labelNames: string[];
  readonly head: tf.LayersModel;
  readonly cache: EmbeddingCache;
  readonly headSpec: HeadSpec;

  constructor(opts: TextClassifierOptions) {
    if (opts.labelNames.length < 2) {
      throw new NlpError(
        'DATA_SINGLE_CLASS',
        `a classifier needs at least 2 classes, got [${opts.labelNames}]`,
      );
    }
    this.encoder = opts.encoder;
    this.labelNames = [...opts.labelNames];
    this.headSpec = { ...opts.head };
    this.head = buildHead(opts.encoder.dim, this.labelNames.length, opts.head);
    this.cache = opts.cache ?? new EmbeddingCache();
  }

  /** Encoder parameters (fixed) followed by the head's. */
  params(): ParamInfo[] {
    return [...this.encoder.params(), ...listParams(this.head)];
  }

  /** The combined plan for a policy (default: everything trainable that can be, i.e. the head). */
  plan(policy: PolicySpec = {}): Plan {
    return planFreeze(this.params(), policy);
  }

  async embed(texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array[]> {
    return this.cache.embed(this.encoder, texts, opts);
  }

  private async tensor(texts: readonly string[], opts?: EmbedOptions): Promise<tf.Tensor2D> {
    const vecs = await this.embed(texts, opts);
    const dim = this.encoder.dim;
    const flat = new Float32Array(vecs.length * dim);
    for (let i = 0; i < vecs.length; i++) flat.set(vecs[i]!, i * dim);
    return tf.tensor2d(flat, [vecs.length, dim]);
  }

  private checkLabels(ds: TextDataset, what: string): void {
    if (
      ds.labelNames.length !== this.labelNames.length ||
      ds.labelNames.some((l, i) => l !== this.labelNames[i])
    ) {
      throw new NlpError(
        'DATA_UNKNOWN_LABEL',
        `${what} has labels [${ds.labelNames}] but the classifier was built for [${this.labelNames}]`,
        { hint: 'read every split with the same `labels` option (or use stratifiedSplit on one dataset)' },
      );
    }
  }

  /** Class probabilities per text. */
  async predictProba(texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const x = await this.tensor(texts, opts);
    try {
      const probs = tf.tidy(() => this.head.predict(x, { batchSize: 256 }) as tf.Tensor2D);
      const data = (await probs.data()) as Float32Array;
      probs.dispose();
      const k = this.labelNames.length;
      return texts.map((_, i) => data.slice(i * k, (i + 1) * k));
    } finally {
      x.dispose();
    }
  }

  async predict(texts: readonly string[], opts?: EmbedOptions): Promise<Prediction[]> {
    const probs = await this.predictProba(texts, opts);
    return probs.map((p) => {
      let best = 0;
      for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
      return { label: this.labelNames[best]!, index: best, probabilities: Array.from(p) };
    });
  }

  async evaluate(ds: TextDataset, opts?: EmbedOptions): Promise<Evaluation> {
    this.checkLabels(ds, 'the evaluation set');
    const probs = await this.predictProba(ds.texts, opts);
    const k = this.labelNames.length;
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    let correct = 0;
    let loss = 0;
    probs.forEach((p, i) => {
      const y = ds.labels[i]!;
      let best = 0;
      for (let c = 1; c < k; c++) if (p[c]! > p[best]!) best = c;
      confusion[y]![best]!++;
      if (best === y) correct++;
      loss -= Math.log(Math.max(p[y]!, 1e-7));
    });
    const n = Math.max(probs.length, 1);
    return { accuracy: correct / n, loss: loss / n, confusion, examples: probs.length };
  }

  /** Trains the head on cached embeddings with @frostline/tfjs `train`; the encoder never changes. */
  async train(opts: ClassifierTrainOptions): Promise<ClassifierTrainResult> {
    const t0 = performance.now();
    this.checkLabels(opts.train, 'the training set');
    if (opts.validation) this.checkLabels(opts.validation, 'the validation set');
    if (opts.test) this.checkLabels(opts.test, 'the test set');
    const policy = opts.policy ?? {};
    // Validates the policy against encoder + head: unfreezing a fixed encoder weight throws here.
    const plan = this.plan(policy);
    // Encoder parameters are fixed (never trainable), so an empty trainable set means a frozen head.
    if (plan.trainableNames().length === 0) {
      throw new NlpError(
        'BAD_OPTION',
        'the policy leaves nothing trainable: the encoder is fixed and the head is frozen',
        {
          hint: 'unfreeze the head (e.g. remove the rule that freezes `classifier`)',
        },
      );
    }
    const tEmbed = performance.now();
    const allTexts = [...opts.train.texts, ...(opts.validation?.texts ?? []), ...(opts.test?.texts ?? [])];
    const before = { ...this.cache.stats };
    // One encoder pass over every split (distinct texts only); later lookups are cache hits.
    await this.embed(allTexts, opts.embed);
    const embedMs = performance.now() - tEmbed;
    const k = this.labelNames.length;
    const x = await this.tensor(opts.train.texts);
    const oneHot = (labels: number[]) => tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), k).toFloat());
    const y = oneHot(opts.train.labels);
    const vx = opts.validation ? await this.tensor(opts.validation.texts) : undefined;
    const vy = opts.validation ? oneHot(opts.validation.labels) : undefined;
    let result: TrainResult;
    const tTrain = performance.now();
    try {
      result = await train(
        this.head,
        vx && vy ? { train: { x, y }, validation: { x: vx, y: vy } } : { x, y },
        { ...trainerOptions(opts, policy), externalParams: this.encoder.params() },
      );
    } finally {
      tf.dispose([x, y, ...(vx ? [vx] : []), ...(vy ? [vy] : [])]);
    }
    const trainMs = performance.now() - tTrain;
    const metrics = lastEpochMetrics(result.history, opts.validation !== undefined);
    if (opts.test) metrics.test = await this.evaluate(opts.test);
    const summary = formatSummaryLine(plan);
    return {
      classifier: this,
      plan,
      report: `${formatPlan(plan, 'table', { by: 'layer' })}\n${summary}`,
      summary,
      history: result.history,
      metrics,
      timing: { embedMs, trainMs, totalMs: performance.now() - t0 },
      cache: {
        hits: this.cache.stats.hits - before.hits,
        misses: this.cache.stats.misses - before.misses,
        encoderCalls: this.cache.stats.encoderCalls - before.encoderCalls,
      },
      backend: result.backend,
    };
  }

  dispose(): void {
    this.head.dispose();
  }
}

/**
 * The trainer's options for a head on cached embeddings. One plan covers encoder + head: the trainer plans
 * the same policy over the same parameters (the encoder's passed as external, fixed ones).
 */
function trainerOptions(opts: ClassifierTrainOptions, policy: PolicySpec): TrainOptions {
  return {
    policy,
    epochs: opts.epochs ?? 30,
    batchSize: opts.batchSize ?? 32,
    learningRate: opts.learningRate ?? 0.01,
    optimizer: opts.optimizer ?? 'adam',
    loss: 'categoricalCrossentropy',
    metrics: ['acc'],
    seed: opts.seed ?? 42,
    // The inputs already are the frozen encoder's output: there is no frozen prefix to cache.
    cache: 'off',
    ...(opts.weightDecay !== undefined ? { weightDecay: opts.weightDecay } : {}),
    ...(opts.earlyStopping ? { earlyStopping: opts.earlyStopping } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
    ...(opts.resumeFrom ? { resumeFrom: opts.resumeFrom } : {}),
  };
}

/** Loss and accuracy of the last epoch run (train and, when there is one, validation). */
function lastEpochMetrics(
  history: TrainResult['history'],
  hasValidation: boolean,
): ClassifierTrainResult['metrics'] {
  const last = history[history.length - 1];
  const metrics: ClassifierTrainResult['metrics'] = {
    train: { loss: last?.loss ?? Number.NaN, ...(last?.acc !== undefined ? { accuracy: last.acc } : {}) },
  };
  if (hasValidation && last) {
    metrics.validation = {
      ...(last.val_loss !== undefined ? { loss: last.val_loss } : {}),
      ...(last.val_acc !== undefined ? { accuracy: last.val_acc } : {}),
    };
  }
  return metrics;
}

/** A classifier with an untrained head; call `.train()` (or use `trainTextClassifier`). */
export function textClassifier(opts: TextClassifierOptions): TextClassifier {
  return new TextClassifier(opts);
}

/** Builds a head for the dataset's classes and trains it: the seed's `encoder frozen + Linear(hidden, 2)`. */
export async function trainTextClassifier(
  opts: ClassifierTrainOptions &
    Omit<TextClassifierOptions, 'labelNames'> & { labelNames?: readonly string[] },
): Promise<ClassifierTrainResult> {
  const classifier = textClassifier({
    encoder: opts.encoder,
    labelNames: opts.labelNames ?? opts.train.labelNames,
    ...(opts.head ? { head: opts.head } : {}),
    ...(opts.cache ? { cache: opts.cache } : {}),
  });
  try {
    return await classifier.train(opts);
  } catch (e) {
    classifier.dispose();
    throw e;
  }
}
