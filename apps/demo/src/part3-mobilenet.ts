/**
 * Part 3 — the real pretrained MobileNetV2 (nsfwjs-shipped weights) with a new head, and the
 * activation cache. Two policies:
 *   (a) head only: the whole backbone is a frozen prefix, so the cache holds pooled backbone features;
 *   (b) last stage + head: the cache can hold activations only up to the last stage's input.
 * Per-epoch times: the first epoch builds the cache, later epochs hit it; an uncached run of the same
 * policy (cache: 'off') shows what every epoch would cost without it.
 */
import { RunRecorder } from '@frostline/cli';
import type { PolicySpec } from '@frostline/core';
import * as ftf from '@frostline/tfjs';
import * as vision from '@frostline/vision';
import * as tf from '@tensorflow/tfjs';
import type { DemoContext } from './context.js';
import { accuracy, disposeAll } from './data.js';
import { formatTable, heading, ms, pct } from './print.js';
import { liveBar } from './progress.js';

export interface Part3Run {
  name: string;
  policy: 'head' | 'last-stage+head';
  cache: 'auto' | 'off';
  epochMs: number[];
  cacheStatus: string[];
  /** The activation cache's state in each epoch (built, hit, invalidated, disabled; none when off). */
  epochCache: Array<string | undefined>;
  /** How often the frozen prefix's activations were computed (cache builds). */
  cacheBuilds: number;
  /** Layers of the frozen prefix the cache serves: work later epochs skip. */
  prefixLayers: number;
  /** Layers of the whole model. */
  totalLayers: number;
  testAcc: number;
  trainable: number;
  total: number;
  backend: string;
}

export interface Part3Result {
  lastStage: string;
  runs: Part3Run[];
}

type Policy = Part3Run['policy'];
interface RunSpec {
  policy: Policy;
  cache: Part3Run['cache'];
  epochs: number;
}

/** MNIST digits as RGB images preprocessed for MobileNetV2, and the backbone's last stage. */
interface Part3Data {
  digits: number[];
  lastStage: string;
  train: vision.MnistDataset;
  test: vision.MnistDataset;
  testLabels: number[];
}

export async function runPart3(ctx: DemoContext): Promise<Part3Result> {
  const { log, sizes } = ctx;
  log(heading('Part 3 — pretrained MobileNetV2 (nsfwjs weights) + new head: the activation cache'));
  const data = await loadData(ctx);
  const policies = policiesFor(data.lastStage);
  const specs: RunSpec[] = [
    // Uncached first: any one-time warm-up of the process is paid by the baseline, not by the cache.
    { policy: 'head', cache: 'off', epochs: Math.min(2, sizes.p3Epochs) },
    { policy: 'head', cache: 'auto', epochs: sizes.p3Epochs },
    { policy: 'last-stage+head', cache: 'off', epochs: Math.min(2, sizes.p3Epochs) },
    { policy: 'last-stage+head', cache: 'auto', epochs: sizes.p3Epochs },
  ];
  const runs: Part3Run[] = [];
  try {
    for (const spec of specs) runs.push(await runOne(ctx, data, spec, policies[spec.policy]));
  } finally {
    data.train.dispose();
    data.test.dispose();
  }
  const table = cacheTable(runs);
  log('');
  log(formatTable(table));
  ctx.report.addSection({ title: 'Part 3 — MobileNetV2 activation cache', table });
  return { lastStage: data.lastStage, runs };
}

async function loadData(ctx: DemoContext): Promise<Part3Data> {
  const { log, sizes, opts } = ctx;
  const digits = Array.from({ length: sizes.p3Classes }, (_, i) => i);
  const size = sizes.p3InputSize;
  const backbone = await vision.loadPretrained('mobilenet_v2', { inputSize: size });
  const stages = backbone.stages.map((s) => s.name);
  const lastStage =
    [...stages].reverse().find((s) => /^stage\d+$/.test(s)) ?? (stages[stages.length - 1] as string);
  // MNIST digits as 3-channel size×size images, preprocessed the backbone's way ([-1, 1]).
  const common = { digits, backbone, seed: opts.seed };
  const train = await vision.mnistDataset({ ...common, perClass: sizes.p3TrainPerClass });
  const test = await vision.mnistDataset({ ...common, split: 'test', perClass: sizes.p3TestPerClass });
  const testLabels = Array.from(test.train.labels);
  log(
    `backbone ${backbone.name} at ${size}×${size}: ${backbone.model.countParams().toLocaleString('en-US')} params; stages ${stages.join(', ')}; last stage ${lastStage} = ${backbone.stages.find((s) => s.name === lastStage)?.layers.length ?? '?'} layers`,
  );
  log(
    `task: MNIST digits ${digits.join('/')} as RGB ${size}×${size}: ${train.train.labels.length} train / ${testLabels.length} test images`,
  );
  // Warm-up: the first call of each wasm kernel is slow; without this, run (a)'s epoch 1 would pay it.
  const x = train.train.x;
  tf.tidy(() => backbone.model.predict(x.slice(0, Math.min(sizes.p3BatchSize, x.shape[0] as number))));
  backbone.model.dispose();
  return { digits, lastStage, train, test, testLabels };
}

function policiesFor(lastStage: string): Record<Policy, PolicySpec> {
  return {
    head: { default: 'frozen', rules: [{ unfreeze: 'head', note: 'new head only' }] },
    'last-stage+head': {
      default: 'frozen',
      rules: [
        { unfreeze: [lastStage, 'head'], note: 'last stage + head' },
        // Keras fine-tuning advice: BN stays in inference mode, or its batch statistics on 16 images
        // and its stale moving averages disagree between training and evaluation.
        { freeze: 'type:BatchNormalization', note: 'BN in inference mode' },
      ],
      // Pretrained weights move 10× slower than the new head (MMEngine lr_mult): fewer images than params.
      lr: { mult: [{ select: lastStage, factor: 0.1 }] },
    },
  };
}

/** `onnxruntime: 812 images/s, 4.9× TF.js on the first batch` — which engine ran the frozen prefix, and how fast. */
function engineLine(e: Extract<ftf.TrainEvent, { type: 'cache' }>): string {
  const rate = e.examplesPerSec !== undefined ? `: ${Math.round(e.examplesPerSec)} images/s` : '';
  const speed =
    e.engineSpeedup !== undefined && e.engine !== 'tfjs'
      ? `, ${e.engineSpeedup.toFixed(1)}× TF.js on the first batch`
      : '';
  return `${e.engine}${rate}${speed}`;
}

/** Per-epoch log lines and the cache's story for the table, from the run's events. */
function epochLogger(ctx: DemoContext, bar: ReturnType<typeof liveBar>) {
  const epochMs: number[] = [];
  const cacheStatus: string[] = [];
  const cacheByEpoch = new Map<number, string>();
  let t = performance.now();
  const onEvent = (e: ftf.TrainEvent) => {
    bar.onEvent(e);
    if (e.type === 'cache') {
      if (e.status !== 'hit') {
        cacheStatus.push(
          `${e.status} ${ms(e.ms)}: ${e.prefixLayers} layers${e.cutLayer ? ` up to ${e.cutLayer}` : ''}`,
        );
        if (e.engine) ctx.log(`  frozen part on ${engineLine(e)}`);
      } else if (!cacheStatus.some((c) => c.startsWith('hit'))) cacheStatus.push('hit in later epochs');
      cacheByEpoch.set(e.epoch, e.status);
    }
    if (e.type === 'epochEnd') {
      const now = performance.now();
      bar.clear();
      epochMs.push(now - t);
      const l = e.logs;
      const cache = cacheByEpoch.has(e.epoch) ? `  cache ${cacheByEpoch.get(e.epoch)}` : '';
      ctx.log(
        `  epoch ${e.epoch + 1}: ${ms(now - t).padStart(8)}  loss ${Number(l.loss).toFixed(4)}  acc ${pct(Number(l.acc))}  val_acc ${pct(Number(l.val_acc))}${cache}`,
      );
      t = now;
    }
  };
  return { onEvent, epochMs, cacheStatus };
}

async function runOne(
  ctx: DemoContext,
  data: Part3Data,
  spec: RunSpec,
  policy: PolicySpec,
): Promise<Part3Run> {
  const { sizes, opts } = ctx;
  // A fresh copy per run: withHead may share layers with its backbone, and (b) trains the last stage.
  const fresh = await vision.loadPretrained('mobilenet_v2', { inputSize: sizes.p3InputSize });
  const headed = vision.withHead(fresh, { numClasses: sizes.p3Classes });
  const backend = ctx.backend.name;
  const recorder = new RunRecorder({ withEntries: false });
  const name = `MobileNetV2 ${spec.policy}, cache ${spec.cache}`;
  ctx.log(`\n${name} (${backend})`);
  const epochs = epochLogger(ctx, liveBar(ctx));
  const config = {
    policy,
    epochs: spec.epochs,
    batchSize: sizes.p3BatchSize,
    learningRate: 1e-3,
    cache: spec.cache,
  };
  const result = await ftf.train(
    headed.model,
    {
      train: { x: data.train.train.x, y: data.train.train.y },
      validation: { x: data.test.train.x, y: data.test.train.y },
    },
    {
      ...config,
      aliases: headed.aliases,
      optimizer: 'adam',
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      seed: opts.seed,
      verifyFrozen: 'end',
      onEvent: (e) => {
        recorder.onEvent(e);
        epochs.onEvent(e);
      },
    },
  );
  const planLast = result.plans[result.plans.length - 1];
  const testAcc = accuracy(tf, headed.model, data.test.train.x, data.testLabels, sizes.p3BatchSize);
  const builds = recorder.cache().filter((c) => c.status === 'built');
  if (spec.cache === 'auto') {
    ctx.report.addRecorded(name, recorder, {
      backend: result.backend,
      totalMs: result.timing.totalMs,
      model: `mobilenet_v2 ${sizes.p3InputSize}×${sizes.p3InputSize} + head (${sizes.p3Classes} classes)`,
      task: 'image-classification',
      stages: headed.stages,
      test: { acc: testAcc, examples: data.testLabels.length },
      dataset: {
        train: data.train.train.labels.length,
        test: data.testLabels.length,
        classes: data.digits.map(String),
      },
      config: { ...config, backend },
    });
  }
  const totalLayers = headed.model.layers.length;
  disposeAll(headed.model, fresh.model);
  return {
    name,
    policy: spec.policy,
    cache: spec.cache,
    epochMs: epochs.epochMs,
    cacheStatus: epochs.cacheStatus,
    epochCache: recorder.epochs().map((e) => e.cache),
    cacheBuilds: builds.length,
    prefixLayers: builds[0]?.prefixLayers ?? 0,
    totalLayers,
    testAcc,
    trainable: planLast?.summary.trainableParams ?? 0,
    total: planLast?.summary.totalParams ?? 0,
    backend,
  };
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** Epoch 1, later epochs and the speed-up over a steady uncached epoch, per run. */
function cacheTable(runs: readonly Part3Run[]) {
  return {
    title: 'MobileNetV2: per-epoch time with and without the activation cache',
    columns: [
      'policy',
      'cache',
      'trainable',
      'epoch 1',
      'later epochs (mean)',
      'speed-up vs uncached epoch',
      'test acc',
      'cache events',
    ],
    rows: runs.map((r) => {
      const laterMean = mean(r.epochMs.slice(1));
      const uncached = runs.find((u) => u.policy === r.policy && u.cache === 'off');
      // Baseline: a steady uncached epoch (epoch 2 on; epoch 1 also pays process warm-up).
      const base = uncached
        ? uncached.epochMs.length > 1
          ? uncached.epochMs.slice(1)
          : uncached.epochMs
        : [];
      const speedup =
        r.cache === 'auto' && Number.isFinite(laterMean) ? `${(mean(base) / laterMean).toFixed(1)}×` : '–';
      return [
        r.policy,
        r.cache,
        r.trainable,
        ms(r.epochMs[0] ?? Number.NaN),
        Number.isFinite(laterMean) ? ms(laterMean) : '–',
        speedup,
        pct(r.testAcc),
        r.cacheStatus.join('; ') || '–',
      ];
    }),
  };
}
