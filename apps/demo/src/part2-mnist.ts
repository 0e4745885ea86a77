/**
 * Part 2 — transfer learning on real digits, the measured version of the seed's two claims.
 * The shipped CNN pretrained on MNIST 0–4 is transferred to digits 5–9 under three regimes at two
 * label budgets: conv layers frozen + head trained, full fine-tuning, and training from scratch
 * (same architecture, fresh random init). Test accuracy on held-out 5–9 digits and training time.
 */
import type { PolicySpec } from '@frostline/core';
import type * as tfTypes from '@tensorflow/tfjs';
import type { DemoContext } from './context.js';
import { need } from './context.js';
import { accuracy, splitDigits, toTensors } from './data.js';
import { formatTable, heading, ms, pct } from './print.js';
import { useBackendFor } from './backend.js';

export type Regime = 'frozen-conv' | 'fine-tune' | 'scratch';

export interface Part2Row {
  budget: string;
  perClass: number;
  regime: Regime;
  trainable: number;
  total: number;
  epochs: number;
  testAcc: number;
  trainMs: number;
  msPerEpoch: number;
  backend: string;
  cache?: string;
}

export interface Part2Result {
  rows: Part2Row[];
  sourceAcc?: number;
}

/** Classic Keras transfer example: the convolutional feature extractor frozen, dense layers retrained. */
export const FROZEN_CONV_POLICY: PolicySpec = { rules: [{ freeze: 'type:Conv2D', note: 'keep the 0–4 features' }] };
export const FULL_POLICY: PolicySpec = { default: 'trainable' };

export async function runPart2(ctx: DemoContext): Promise<Part2Result> {
  const { log, sizes, opts } = ctx;
  const vision = await need('@frostline/vision', () => import('@frostline/vision'), ['loadPretrained', 'withHead']);
  const ftf = await need('@frostline/tfjs', () => import('@frostline/tfjs'), ['train', 'listParams']);
  const core = await import('@frostline/core');
  const tf = await import('@tensorflow/tfjs');

  log(heading('Part 2 — transfer learning on real digits: MNIST 0–4 CNN → digits 5–9'));

  const split = splitDigits([5, 6, 7, 8, 9], sizes.p2TestPerClass, opts.seed);
  const test = toTensors(tf, split.test, sizes.p2TestPerClass, opts.seed + 1);
  const pretrained = await vision.loadPretrained('mnist-cnn');
  log(`source model: ${pretrained.name}, ${pretrained.model.countParams().toLocaleString('en-US')} params; test set: ${test.labels.length} held-out digits 5–9`);

  const rows: Part2Row[] = [];
  try {
    for (const budget of sizes.p2Budgets) {
      const data = toTensors(tf, split.train, budget.perClass, opts.seed + budget.perClass);
      try {
        for (const regime of ['frozen-conv', 'fine-tune', 'scratch'] as const) {
          const row = await runRegime(ctx, { vision, ftf, core, tf }, regime, budget, data, test);
          rows.push(row);
          log(
            `  ${budget.label.padEnd(18)} ${regime.padEnd(12)} test acc ${pct(row.testAcc).padStart(6)}  train ${ms(row.trainMs).padStart(8)}  (${row.trainable.toLocaleString('en-US')}/${row.total.toLocaleString('en-US')} trainable, ${row.backend}${row.cache ? `, cache ${row.cache}` : ''})`,
          );
        }
      } finally {
        data.x.dispose();
        data.y.dispose();
      }
    }
  } finally {
    test.x.dispose();
    test.y.dispose();
  }

  const table = {
    title: 'MNIST 0–4 → 5–9: test accuracy and training time per regime',
    columns: ['labels', 'regime', 'trainable params', 'epochs', 'test acc', 'train time', 'ms/epoch', 'backend'],
    rows: rows.map((r) => [r.budget, r.regime, r.trainable, r.epochs, pct(r.testAcc), ms(r.trainMs), Math.round(r.msPerEpoch), r.backend]),
  };
  log('');
  log(formatTable(table));
  for (const line of conclusions(rows)) log(line);
  ctx.report.addSection({ title: 'Part 2 — MNIST 0–4 → 5–9 transfer', table, text: conclusions(rows).join('\n') });
  return { rows };
}

/** The seed's two claims, checked against the measured rows (stated, not assumed). */
export function conclusions(rows: Part2Row[]): string[] {
  const out: string[] = [];
  const budgets = [...new Set(rows.map((r) => r.budget))];
  for (const b of budgets) {
    const get = (g: Regime) => rows.find((r) => r.budget === b && r.regime === g);
    const fz = get('frozen-conv');
    const ft = get('fine-tune');
    const sc = get('scratch');
    if (!fz || !ft || !sc) continue;
    const best = [fz, ft, sc].sort((a, b2) => b2.testAcc - a.testAcc)[0] as Part2Row;
    out.push(
      `${b}: best test accuracy ${best.regime} (${pct(best.testAcc)}); frozen-conv ${pct(fz.testAcc)} vs fine-tune ${pct(ft.testAcc)} vs scratch ${pct(sc.testAcc)}; frozen-conv trained ${(ft.msPerEpoch / fz.msPerEpoch).toFixed(1)}× faster per epoch than fine-tune`,
    );
  }
  return out;
}

interface Libs {
  vision: typeof import('@frostline/vision');
  ftf: typeof import('@frostline/tfjs');
  core: typeof import('@frostline/core');
  tf: typeof tfTypes;
}

async function runRegime(
  ctx: DemoContext,
  { vision, ftf, tf }: Libs,
  regime: Regime,
  budget: { label: string; perClass: number; epochs: number },
  data: { x: tfTypes.Tensor4D; y: tfTypes.Tensor2D },
  test: { x: tfTypes.Tensor4D; labels: number[] },
): Promise<Part2Row> {
  // A fresh 5-class head on the 0–4 network each time, so every regime starts from the same weights.
  // A fresh copy per regime: withHead may share layers with its backbone, and fine-tuning changes them.
  const source = await vision.loadPretrained('mnist-cnn');
  const withNewHead = vision.withHead(source, { numClasses: 5 });
  let model = withNewHead.model;
  if (regime === 'scratch') {
    // Same architecture, fresh random init: rebuild from the topology JSON (initialisers run again).
    model = await tf.models.modelFromJSON(JSON.parse(JSON.stringify(model.toJSON(null, false))));
    withNewHead.model.dispose();
  }
  const policy = regime === 'frozen-conv' ? FROZEN_CONV_POLICY : FULL_POLICY;
  // Conv gradients need the wasm grad kernels (or the cpu backend); a frozen conv prefix needs none.
  const backend = await useBackendFor(ctx, regime === 'frozen-conv' ? 'inference-convs' : 'train-convs');
  let cache: string | undefined;
  const t0 = performance.now();
  const result = await ftf.train(model, { x: data.x, y: data.y }, {
    policy,
    epochs: budget.epochs,
    batchSize: ctx.sizes.p2BatchSize,
    optimizer: 'adam',
    learningRate: 1e-3,
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
    seed: ctx.opts.seed,
    verifyFrozen: 'end',
    onEvent: (e) => {
      if (e.type === 'cache') cache = (e as { status?: string }).status;
    },
  });
  const trainMs = performance.now() - t0;
  const plan = result.plans[result.plans.length - 1];
  const testAcc = accuracy(tf, model, test.x, test.labels);
  model.dispose();
  source.model.dispose();
  return {
    budget: budget.label,
    perClass: budget.perClass,
    regime,
    trainable: plan?.summary.trainableParams ?? 0,
    total: plan?.summary.totalParams ?? 0,
    epochs: result.history.length,
    testAcc,
    trainMs,
    msPerEpoch: trainMs / Math.max(1, result.history.length),
    backend: backend,
    cache,
  };
}
