/**
 * Part 1 — the seed's first two cases in frostline terms.
 *  (a) freeze only `linear.weight` of a 10×10 linear layer;
 *  (b) freeze `fc1` of a 100→50→10 model, with an extra `fc10` layer: the seed's `'fc1' in name`
 *      test also freezes `fc10`, a whole-segment selector never does.
 * Then the same policy on a real TF.js model: train a few steps and show fc1 bit-identical, fc2 changed.
 */
import { RunRecorder } from '@frostline/cli';
import type { ParamInfo, Plan, PolicySpec } from '@frostline/core';
import * as core from '@frostline/core';
import * as ftf from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { DemoContext } from './context.js';
import { formatTable, heading } from './print.js';
import { weightValues } from './weights.js';

export interface Part1Result {
  linear: { plan: Plan; table: string; summary: string };
  mlp: { plan: Plan; table: string; summary: string; pytorch: string; naiveFrozen: string[] };
  tfjs?: {
    rows: Array<{ name: string; frozen: boolean; before: string; after: string; identical: boolean }>;
    verified: boolean;
    changedFrozen: string[];
    finalLoss: number;
  };
}

/** PyTorch-style parameter lists for the two seed models. */
export const LINEAR_PARAMS: ParamInfo[] = [
  { name: 'linear.weight', shape: [10, 10], layer: 'linear', layerType: 'Linear' },
  { name: 'linear.bias', shape: [10], layer: 'linear', layerType: 'Linear' },
];

export const MLP_PARAMS: ParamInfo[] = [
  { name: 'fc1.weight', shape: [50, 100], layer: 'fc1', layerType: 'Linear' },
  { name: 'fc1.bias', shape: [50], layer: 'fc1', layerType: 'Linear' },
  { name: 'fc2.weight', shape: [10, 50], layer: 'fc2', layerType: 'Linear' },
  { name: 'fc2.bias', shape: [10], layer: 'fc2', layerType: 'Linear' },
  { name: 'fc10.weight', shape: [10, 10], layer: 'fc10', layerType: 'Linear' },
  { name: 'fc10.bias', shape: [10], layer: 'fc10', layerType: 'Linear' },
];

export const LINEAR_POLICY: PolicySpec = { rules: [{ freeze: 'linear.weight', note: 'seed case 1' }] };
export const FC1_POLICY: PolicySpec = { rules: [{ freeze: 'fc1', note: 'seed case 2' }] };

export async function runPart1(ctx: DemoContext): Promise<Part1Result> {
  const { log } = ctx;

  log(heading('Part 1 — the seed’s first two cases as frostline plans'));

  // (a) one weight of one layer.
  const linearPlan = core.planFreeze(LINEAR_PARAMS, core.definePolicy(LINEAR_POLICY));
  const linearTable = core.formatPlan(linearPlan, 'table', { by: 'parameter' });
  const linearSummary = core.formatSummaryLine(linearPlan);
  log('\n(a) nn.Linear(10, 10), policy { rules: [{ freeze: "linear.weight" }] }');
  // formatPlan's table ends with the PEFT-style summary line.
  log(linearTable.trimEnd());

  // (b) fc1 of 100→50→10 (+ fc10).
  const mlpPlan = core.planFreeze(MLP_PARAMS, core.definePolicy(FC1_POLICY));
  const mlpTable = core.formatPlan(mlpPlan, 'table', { by: 'parameter' });
  const mlpSummary = core.formatSummaryLine(mlpPlan);
  const naiveFrozen = MLP_PARAMS.map((p) => p.name).filter((n) => n.includes('fc1'));
  log('\n(b) 100→50→10 model with an extra fc10 layer, policy { rules: [{ freeze: "fc1" }] }');
  log(mlpTable.trimEnd());
  log(`frostline freezes:            ${mlpPlan.frozenNames().join(', ')}`);
  log(`the seed's \`'fc1' in name\`:  ${naiveFrozen.join(', ')}   ← also catches fc10`);
  const pytorch = core.exportPlan(mlpPlan, 'pytorch', { modelVar: 'model', optimizer: 'SGD', lr: 0.01 });
  log('\nPyTorch export of (b):');
  log(pytorch.trimEnd());

  ctx.report.addSection({ title: 'Part 1a — freeze linear.weight of nn.Linear(10, 10)', text: linearTable });
  ctx.report.addSection({
    title: 'Part 1b — freeze fc1 of 100→50→10 (+ fc10)',
    text: `${mlpTable.trimEnd()}\n\nthe seed's 'fc1' in name would freeze: ${naiveFrozen.join(', ')}\n\n${pytorch}`,
  });

  const result: Part1Result = {
    linear: { plan: linearPlan, table: linearTable, summary: linearSummary },
    mlp: { plan: mlpPlan, table: mlpTable, summary: mlpSummary, pytorch, naiveFrozen },
  };
  result.tfjs = await tfjsCheck(ctx);
  return result;
}

/** The seed's 100→50→10 model plus `fc10`, as TF.js dense layers with seeded weights. */
function seedMlp(seed: number): tf.Sequential {
  const dense = (
    name: string,
    units: number,
    activation: 'relu' | 'softmax',
    k: number,
    inputShape?: number[],
  ) =>
    tf.layers.dense({
      name,
      units,
      activation,
      ...(inputShape ? { inputShape } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + k }),
    });
  return tf.sequential({
    layers: [
      dense('fc1', 50, 'relu', 0, [100]),
      dense('fc2', 10, 'relu', 1),
      dense('fc10', 10, 'softmax', 2),
    ],
  });
}

async function tfjsCheck(ctx: DemoContext): Promise<Part1Result['tfjs']> {
  const { log, sizes } = ctx;

  log(
    '\n(b) on a real TF.js model: dense fc1 100→50, fc2 50→10, fc10 10→10; train, then compare fingerprints',
  );
  const model = seedMlp(ctx.opts.seed);
  const n = 128;
  const x = tf.randomNormal([n, 100], 0, 1, 'float32', ctx.opts.seed);
  const labels = tf.randomUniform([n], 0, 10, 'int32', ctx.opts.seed + 3);
  const y = tf.oneHot(labels, 10).toFloat();
  labels.dispose();
  try {
    const before = core.fingerprint(weightValues(model));
    const recorder = new RunRecorder({ withEntries: false });
    const settings = {
      policy: FC1_POLICY,
      epochs: sizes.p1Epochs,
      batchSize: 32,
      optimizer: 'adam' as const,
      learningRate: 0.01,
    };
    const result = await ftf.train(
      model,
      { x, y },
      {
        ...settings,
        loss: 'categoricalCrossentropy',
        metrics: ['accuracy'],
        seed: ctx.opts.seed,
        verifyFrozen: 'epoch',
        onEvent: recorder.onEvent,
      },
    );
    const after = core.fingerprint(weightValues(model));
    const plan = result.plans[result.plans.length - 1] as Plan;
    const check = core.verifyFrozen(plan, before, after);
    const rows = Object.keys(before).map((name) => ({
      name,
      frozen: plan.get(name)?.trainable === false,
      before: short(before[name]),
      after: short(after[name]),
      identical: before[name] === after[name],
    }));
    const table = {
      columns: ['parameter', 'frozen', 'fingerprint before', 'fingerprint after', 'bit-identical'],
      rows: rows.map((r) => [r.name, r.frozen, r.before, r.after, r.identical]),
    };
    log(formatTable(table));
    const last = result.history[result.history.length - 1] as Record<string, number> | undefined;
    const finalLoss = Number(last?.loss ?? Number.NaN);
    log(
      `verifyFrozen: ${check.ok ? 'ok' : 'FAILED'} (${check.checked} frozen tensors checked${check.changed.length ? `, changed: ${check.changed.join(', ')}` : ''}); ${sizes.p1Epochs} epochs, final loss ${finalLoss.toFixed(4)}, backend ${result.backend}`,
    );
    ctx.report.addSection({ title: 'Part 1b on TF.js — fingerprints before/after training', table });
    const name = 'Part 1b on TF.js: fc1 frozen, fc2 + fc10 trained';
    ctx.report.addRecorded(name, recorder, {
      backend: result.backend,
      totalMs: result.timing.totalMs,
      model: 'dense fc1 100→50, fc2 50→10, fc10 10→10',
      task: 'classification (random data, to move the weights)',
      config: settings,
      notes: [
        `verifyFrozen: ${check.ok ? 'ok' : 'FAILED'}; fc1 fingerprints identical before and after training`,
      ],
    });
    return { rows, verified: check.ok, changedFrozen: check.changed, finalLoss };
  } finally {
    x.dispose();
    y.dispose();
    model.dispose();
  }
}

function short(h: string | undefined): string {
  return h === undefined ? '–' : h.slice(0, 12);
}
