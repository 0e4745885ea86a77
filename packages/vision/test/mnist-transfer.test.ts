import { planFreeze } from '@frostline/core';
import { listParams, registerWasmGradKernels, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mnistCnn, mnistDataset } from '../src/index';
import { accuracyOf, useBackend, weightBytes } from './helpers';

// Pretraining trains conv layers: wasm + @frostline/tfjs's conv-gradient kernels (~30× the cpu backend).
beforeAll(async () => {
  await useBackend('wasm');
  registerWasmGradKernels();
});

describe('Keras transfer example at small scale: 0–4 → freeze conv → 5–9', () => {
  it('pretrains, freezes the feature layers, fine-tunes the dense layers, conv weights bit-identical', async () => {
    const net = mnistCnn({ seed: 11, filters: [8, 16] });
    const low = await mnistDataset({
      digits: [0, 1, 2, 3, 4],
      perClass: 80,
      valSplit: 0.25,
      seed: 1,
      backbone: net,
    });
    const pre = await train(
      net.model,
      { train: low.train, validation: low.validation! },
      { epochs: 6, batchSize: 32, optimizer: 'adam', learningRate: 3e-3, seed: 2, aliases: net.aliases },
    );
    expect(pre.history.at(-1)!.val_acc!).toBeGreaterThan(0.7);

    const high = await mnistDataset({
      digits: [5, 6, 7, 8, 9],
      perClass: 80,
      valSplit: 0.25,
      seed: 3,
      backbone: net,
    });
    const policy = { rules: [{ freeze: 'features' }] };
    const plan = planFreeze(listParams(net.model, { aliases: net.aliases }), policy);
    // conv1 3·3·1·8+8, conv2 3·3·8·16+16 frozen; everything else trains.
    expect(plan.summary.frozenParams).toBe(3 * 3 * 8 + 8 + (3 * 3 * 8 * 16 + 16));
    const convBefore = weightBytes(net.model);
    const accBefore = accuracyOf(net.model, high.validation!.x, high.validation!.labels);
    const tensors: number[] = [];
    const result = await train(
      net.model,
      { train: high.train, validation: high.validation! },
      {
        policy,
        epochs: 6,
        batchSize: 32,
        optimizer: 'adam',
        learningRate: 3e-3,
        seed: 4,
        aliases: net.aliases,
        verifyFrozen: 'epoch',
        onEvent: (e) => {
          if (e.type === 'epochEnd') tensors.push(tf.memory().numTensors);
        },
      },
    );
    const acc = accuracyOf(net.model, high.validation!.x, high.validation!.labels);
    // Chance is 20%; the new digits are learnt on frozen features.
    expect(acc).toBeGreaterThan(0.6);
    expect(acc).toBeGreaterThan(accBefore + 0.3);
    expect(result.history.at(-1)!.val_acc!).toBeCloseTo(acc, 5);
    const after = weightBytes(net.model);
    for (const name of ['conv1/kernel', 'conv1/bias', 'conv2/kernel', 'conv2/bias']) {
      expect(Buffer.from(after.get(name)!.buffer).equals(Buffer.from(convBefore.get(name)!.buffer))).toBe(
        true,
      );
    }
    expect(
      Buffer.from(after.get('dense1/kernel')!.buffer).equals(
        Buffer.from(convBefore.get('dense1/kernel')!.buffer),
      ),
    ).toBe(false);
    expect(new Set(tensors.slice(1)).size).toBe(1);
    low.dispose();
    high.dispose();
    net.model.dispose();
  });
});
