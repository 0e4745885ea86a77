import { fingerprint, planFreeze, verifyFrozen } from '@frostline/core';
import { listParams, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCompatible, loadPretrained, mnistDataset, withHead } from '../src/index';
import { accuracyOf, useBackend, weightBytes } from './helpers';

// Frozen-backbone training needs no conv gradients, so the fast wasm backend works.
beforeAll(() => useBackend('wasm'));

describe('fine-tuning a new head on the shipped MobileNetV2', () => {
  it('learns real MNIST digits while every frozen weight (BN statistics included) stays bit-identical', async () => {
    const backbone = await loadPretrained('mobilenet_v2', { inputSize: 64 });
    const net = withHead(backbone, { numClasses: 3, seed: 1 });
    const digits = [0, 1, 7];
    const data = await mnistDataset({ digits, perClass: 70, valSplit: 0.3, seed: 3, backbone: net });
    checkCompatible(net, data);
    expect(data.train.x.shape).toEqual([147, 64, 64, 3]);
    const validation = data.validation!;

    const policy = { rules: [{ freeze: '**' }, { unfreeze: 'head' }] };
    const params = listParams(net.model, { aliases: net.aliases });
    const plan = planFreeze(params, policy);
    expect(plan.summary.trainableParams).toBe(1280 * 3 + 3);
    const before = fingerprint(Object.fromEntries(weightBytes(net.model)));
    const chance = 1 / digits.length;
    const accBefore = accuracyOf(net.model, validation.x, validation.labels);

    const tensorsAtEpoch: number[] = [];
    const result = await train(
      net.model,
      { train: { x: data.train.x, y: data.train.y }, validation: { x: validation.x, y: validation.y } },
      {
        policy,
        epochs: 6,
        batchSize: 32,
        optimizer: 'adam',
        learningRate: 1e-2,
        seed: 5,
        verifyFrozen: 'epoch',
        aliases: net.aliases,
        onEvent: (e) => {
          if (e.type === 'epochEnd') tensorsAtEpoch.push(tf.memory().numTensors);
        },
      },
    );
    const valAcc = result.history.at(-1)!.val_acc!;
    expect(valAcc).toBeGreaterThan(Math.max(0.8, accBefore + 0.2));
    expect(accuracyOf(net.model, validation.x, validation.labels)).toBeGreaterThan(chance + 0.4);

    // Our own check, independent of the trainer's: fingerprints of every frozen tensor before/after.
    const after = fingerprint(Object.fromEntries(weightBytes(net.model)));
    const check = verifyFrozen(plan, before, after);
    expect(check.changed).toEqual([]);
    expect(check.ok).toBe(true);
    expect(check.checked).toBeGreaterThan(250);
    const bnStats = plan.entries.filter((e) => e.kind === 'buffer');
    expect(bnStats.length).toBe(2 * 52);
    for (const e of bnStats) expect(after[e.name]).toBe(before[e.name]);
    expect(after['fc/kernel']).not.toBe(before['fc/kernel']);

    // Leak-free: the tensor count does not grow from epoch to epoch.
    expect(new Set(tensorsAtEpoch.slice(1)).size).toBe(1);
    data.dispose();
    net.model.dispose();
  });
});
