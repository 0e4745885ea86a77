import type { AppliedRule, LayerSummary } from '@frostline/core';
import type { PlanSnapshot, RunRecord } from '../../src/run-record';

/**
 * A synthetic but realistic run (a small staged CNN, 4 epochs, `stage3` unfrozen at epoch 3), so the
 * report can be rendered and checked without training anything.
 */
const LAYERS: Array<[name: string, type: string, params: number, stage: string]> = [
  ['conv1', 'Conv2D', 864, 'stem'],
  ['bn1', 'BatchNormalization', 64, 'stem'],
  ['block1_conv', 'Conv2D', 9_216, 'stage1'],
  ['block1_bn', 'BatchNormalization', 128, 'stage1'],
  ['block2_conv', 'Conv2D', 18_432, 'stage2'],
  ['block2_bn', 'BatchNormalization', 256, 'stage2'],
  ['block3_conv', 'Conv2D', 73_728, 'stage3'],
  ['block3_bn', 'BatchNormalization', 512, 'stage3'],
  ['pool', 'GlobalAveragePooling2D', 0, 'head'],
  ['head/dense', 'Dense', 16_512, 'head'],
  ['fc', 'Dense', 1_290, 'head'],
];

function plan(epoch: number, unfrozen: Set<string>): PlanSnapshot {
  const rules: AppliedRule[] = [
    { index: 0, action: 'freeze', selector: '**', source: 'rules[0]', strict: true },
    { index: 1, action: 'unfreeze', selector: 'head', source: 'rules[1]', strict: true },
  ];
  if (epoch >= 2)
    rules.push({ index: 2, action: 'unfreeze', selector: 'stage3', source: 'schedule[0]', strict: true });
  const layers: LayerSummary[] = LAYERS.map(([name, type, params, stage], index) => {
    const trainable = stage === 'head' || unfrozen.has(stage);
    return {
      name,
      type,
      index,
      params,
      trainableParams: trainable ? params : 0,
      frozenParams: trainable ? 0 : params,
      tensors: params ? 2 : 0,
      state: params === 0 ? 'none' : trainable ? 'trainable' : 'frozen',
      ...(type === 'BatchNormalization'
        ? { bnMode: trainable ? ('train' as const) : ('inference' as const) }
        : {}),
      rules: params === 0 ? [] : stage === 'head' ? [1] : unfrozen.has(stage) ? [2] : [0],
    };
  });
  const total = layers.reduce((s, l) => s + l.params, 0);
  const trainable = layers.reduce((s, l) => s + l.trainableParams, 0);
  return {
    epoch,
    rules,
    layers,
    summary: {
      totalParams: total,
      trainableParams: trainable,
      frozenParams: total - trainable,
      trainablePercent: (trainable / total) * 100,
      totalTensors: 20,
      trainableTensors: 0,
      frozenTensors: 0,
      bufferTensors: 8,
      bufferParams: 960,
    },
  };
}

export function fakeRun(epochs = 4): RunRecord {
  const plans = Array.from({ length: epochs }, (_, e) => plan(e, e >= 2 ? new Set(['stage3']) : new Set()));
  return {
    title: 'mnist-cnn → digits 5–9',
    task: 'image-classification',
    model: 'mnist-cnn',
    backend: 'wasm',
    createdAt: '2026-11-28T18:00:00.000Z',
    status: 'completed',
    epochs: Array.from({ length: epochs }, (_, e) => ({
      epoch: e,
      loss: 1.6 / (e + 1),
      acc: 0.5 + e * 0.1,
      valLoss: 1.8 / (e + 1) + 0.05,
      valAcc: 0.45 + e * 0.09,
      ms: e === 0 ? 900 : e === 2 ? 1200 : 260,
      frozenMs: e === 0 ? 640 : e === 2 ? 700 : 20,
      trainableMs: e === 0 ? 200 : e === 2 ? 420 : 210,
      examplesPerSec: e === 0 ? 180 : 900,
      cache: e === 0 ? 'built' : e === 2 ? 'invalidated' : 'hit',
    })),
    plans,
    stages: [
      { name: 'stem', layers: ['conv1', 'bn1'] },
      { name: 'stage1', layers: ['block1_conv', 'block1_bn'] },
      { name: 'stage2', layers: ['block2_conv', 'block2_bn'] },
      { name: 'stage3', layers: ['block3_conv', 'block3_bn'] },
      { name: 'head', layers: ['pool', 'head/dense', 'fc'] },
    ],
    cache: [
      { epoch: 0, status: 'built', reason: 'frozen prefix of 8 layers feeds the head', ms: 640 },
      {
        epoch: 2,
        status: 'invalidated',
        reason: 'schedule unfroze stage3 (inside the cached prefix)',
        ms: 10,
      },
    ],
    dataset: { train: 160, validation: 40, classes: ['5', '6', '7', '8', '9'] },
    config: {
      task: 'image-classification',
      backbone: 'mnist-cnn',
      epochs,
      policy: { rules: [{ freeze: '**' }] },
    },
    notes: ['frozen weights verified bit-identical after every epoch'],
  };
}
