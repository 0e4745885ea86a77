/**
 * Part 2 — transfer learning on real digits, the measured version of the seed's two claims.
 * The CNN @frostline/vision ships pretrained on MNIST 0–4 is transferred to digits 5–9 under three
 * regimes at two label budgets: conv layers frozen + new head trained, full fine-tuning, and training
 * from scratch (same architecture, fresh seeded init). Test accuracy on held-out 5–9 digits and time.
 */
import type { PolicySpec } from '@frostline/core';
import * as ftf from '@frostline/tfjs';
import * as vision from '@frostline/vision';
import * as tf from '@tensorflow/tfjs';
import type { DemoContext } from './context.js';
import { accuracy } from './data.js';
import { formatTable, heading, ms, pct } from './print.js';
import { liveBar } from './progress.js';

export type Regime = 'frozen-conv' | 'fine-tune' | 'scratch';
export const REGIMES: readonly Regime[] = ['frozen-conv', 'fine-tune', 'scratch'];

export interface Part2Row {
  budget: string;
  perClass: number;
  regime: Regime;
  trainable: number;
  total: number;
  epochs: number;
  /** Accuracy on the training examples after training (inference mode): the gap to testAcc is the overfitting. */
  trainAcc: number;
  testAcc: number;
  trainMs: number;
  msPerEpoch: number;
  backend: string;
  cache?: string;
}

export interface Part2Result {
  rows: Part2Row[];
  testSize: number;
}

/** The Keras transfer example: the convolutional feature extractor frozen, the new dense head trained. */
export const FROZEN_CONV_POLICY: PolicySpec = {
  rules: [{ freeze: 'type:Conv2D', note: 'keep the 0–4 features' }],
};
export const FULL_POLICY: PolicySpec = {};
/** The Keras example's classification layers, new each time: dense 64 → dropout 0.5 → 5-way softmax. */
const HEAD = { numClasses: 5, hidden: 64, dropout: 0.5 } as const;

export async function runPart2(ctx: DemoContext): Promise<Part2Result> {
  const { log, sizes, opts } = ctx;

  log(heading('Part 2 — transfer learning on real digits: MNIST 0–4 CNN → digits 5–9'));
  const digits = [5, 6, 7, 8, 9];
  const probe = await vision.loadPretrained('mnist-cnn');
  // `backbone` makes the dataset apply the network's own preprocessing (pixels / 255, as in pretraining).
  const test = await vision.mnistDataset({
    digits,
    split: 'test',
    perClass: sizes.p2TestPerClass,
    seed: opts.seed,
    backbone: probe,
  });
  log(
    `source: vision's mnist-cnn pretrained on digits 0–4 (${probe.model.countParams().toLocaleString('en-US')} params, stages ${probe.stages.map((s) => s.name).join(', ')}); new head dense 64 → dropout 0.5 → 5; test: ${test.train.labels.length} held-out digits 5–9`,
  );

  const rows: Part2Row[] = [];
  try {
    for (const budget of sizes.p2Budgets) {
      // Same seed for both budgets: the 10/class sample is a prefix of the 200/class one.
      const data = await vision.mnistDataset({
        digits,
        split: 'train',
        perClass: budget.perClass,
        seed: opts.seed,
        backbone: probe,
      });
      try {
        for (const regime of REGIMES) {
          const row = await runRegime(ctx, regime, budget, data.train, test.train);
          rows.push(row);
          log(
            `  ${budget.label.padEnd(17)} ${regime.padEnd(12)} train acc ${pct(row.trainAcc).padStart(6)}  test acc ${pct(row.testAcc).padStart(6)}  train ${ms(row.trainMs).padStart(8)}  ${row.trainable.toLocaleString('en-US')}/${row.total.toLocaleString('en-US')} trainable  [${row.backend}${row.cache ? `, cache ${row.cache}` : ''}]`,
          );
        }
      } finally {
        data.dispose();
      }
    }
  } finally {
    test.dispose();
    probe.model.dispose();
  }

  const table = {
    title: 'MNIST 0–4 → 5–9: test accuracy and training time per regime',
    columns: [
      'labels',
      'regime',
      'trainable params',
      'epochs',
      'train acc',
      'test acc',
      'train time',
      'ms/epoch',
      'backend',
    ],
    rows: rows.map((r) => [
      r.budget,
      r.regime,
      r.trainable,
      r.epochs,
      pct(r.trainAcc),
      pct(r.testAcc),
      ms(r.trainMs),
      Math.round(r.msPerEpoch),
      r.backend,
    ]),
  };
  log('');
  log(formatTable(table));
  const concl = conclusions(rows);
  for (const line of concl) log(line);
  ctx.report.addSection({
    title: 'Part 2 — MNIST 0–4 → 5–9 transfer (three regimes, two label budgets)',
    description: `Test accuracy on ${rows.length ? test.train.labels.length : 0} held-out digits 5–9; frozen-conv freezes type:Conv2D and trains a new head.`,
    table,
    text: concl.join('\n'),
  });
  return { rows, testSize: test.train.labels.length };
}

/** The seed's two claims, checked against the measured rows (stated, not assumed). */
export function conclusions(rows: Part2Row[]): string[] {
  const out: string[] = [];
  for (const b of [...new Set(rows.map((r) => r.budget))]) {
    const get = (g: Regime) => rows.find((r) => r.budget === b && r.regime === g);
    const fz = get('frozen-conv');
    const ft = get('fine-tune');
    const sc = get('scratch');
    if (!fz || !ft || !sc) continue;
    const best = [fz, ft, sc].sort((a, c) => c.testAcc - a.testAcc)[0] as Part2Row;
    out.push(
      `${b}: best test accuracy ${best.regime} (${pct(best.testAcc)}); frozen-conv ${pct(fz.testAcc)}, fine-tune ${pct(ft.testAcc)}, scratch ${pct(sc.testAcc)} (train ${pct(sc.trainAcc)}: gap ${pct(sc.trainAcc - sc.testAcc)}); frozen-conv ${(ft.msPerEpoch / fz.msPerEpoch).toFixed(1)}× faster per epoch than fine-tune`,
    );
  }
  return out;
}

async function runRegime(
  ctx: DemoContext,
  regime: Regime,
  budget: { label: string; perClass: number; epochs: number },
  train: { x: tf.Tensor; y: tf.Tensor; labels: ArrayLike<number> },
  test: { x: tf.Tensor; labels: ArrayLike<number> },
): Promise<Part2Row> {
  // A fresh copy per regime: withHead shares the backbone's layers, and fine-tuning changes them.
  const source =
    regime === 'scratch'
      ? vision.mnistCnn({ includeTop: false, seed: ctx.opts.seed })
      : await vision.loadPretrained('mnist-cnn', { includeTop: false });
  const model = vision.withHead(source, { ...HEAD, seed: ctx.opts.seed }).model;
  const backend = ctx.backend.name;
  let cache: string | undefined;
  const bar = liveBar(ctx);
  const t0 = performance.now();
  const result = await ftf.train(
    model,
    { x: train.x, y: train.y },
    {
      policy: regime === 'frozen-conv' ? FROZEN_CONV_POLICY : FULL_POLICY,
      epochs: budget.epochs,
      batchSize: ctx.sizes.p2BatchSize,
      optimizer: 'adam',
      learningRate: 1e-3,
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      seed: ctx.opts.seed,
      verifyFrozen: 'end',
      onEvent: (e) => {
        bar.onEvent(e);
        if (e.type === 'cache' && !cache) cache = e.status;
      },
    },
  );
  const trainMs = performance.now() - t0;
  bar.clear();
  const plan = result.plans[result.plans.length - 1];
  const testAcc = accuracy(tf, model, test.x, Array.from(test.labels));
  const trainAcc = accuracy(tf, model, train.x, Array.from(train.labels));
  model.dispose();
  return {
    budget: budget.label,
    perClass: budget.perClass,
    regime,
    trainable: plan?.summary.trainableParams ?? 0,
    total: plan?.summary.totalParams ?? 0,
    epochs: result.history.length,
    trainAcc,
    testAcc,
    trainMs,
    msPerEpoch: trainMs / Math.max(1, result.history.length),
    backend,
    ...(cache ? { cache } : {}),
  };
}
