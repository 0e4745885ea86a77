import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend';
import { FrostlineTfjsError, train } from '../src/index';
import { convNet, imageData, mlp, toyData } from './helpers';

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
});

describe('a diverging run fails instead of completing with NaN weights (wasm)', () => {
  for (const batchLoss of [false, true]) {
    it(`SGD at learningRate 1e30 throws NON_FINITE_WEIGHTS naming the parameter, leaks nothing (batchLoss ${batchLoss})`, async () => {
      const m = mlp();
      const { x, y } = toyData(32, 6, 3);
      const before = tf.memory().numTensors;
      const err = await train(
        m,
        { x, y },
        { epochs: 5, batchSize: 8, optimizer: 'sgd', learningRate: 1e30, batchLoss },
      ).catch((e) => e);
      expect(err).toBeInstanceOf(FrostlineTfjsError);
      console.log('DIVERGE', err.code, err.message);
      expect(['NON_FINITE_WEIGHTS', 'NAN_LOSS']).toContain(err.code);
      if (err.code === 'NON_FINITE_WEIGHTS') {
        // The first trainable parameter in layer order that holds NaN/Infinity.
        expect(err.message).toMatch(
          /Parameter '(d1|d2|head)\/(kernel|bias)' holds NaN or Infinity after epoch 1/,
        );
        expect(err.details.parameter).toMatch(/^(d1|d2|head)\//);
      }
      expect(err.message).toMatch(/learning rate \(now 1e\+30/);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('names the non-finite parameter when only the weights diverge (loss still finite)', async () => {
    // A frozen d1 and a head whose bias is poisoned after the first batch: the loss of that epoch was
    // already summed, so only the weight check can catch it.
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const err = await train(
      m,
      { x, y },
      {
        epochs: 2,
        batchSize: 16,
        policy: { rules: [{ freeze: ['d1', 'd2'] }] },
        onEvent: (e, ctx) => {
          if (e.type === 'batchEnd' && e.epoch === 0) {
            const poisoned = tf.tensor1d([0, Number.POSITIVE_INFINITY, 0]);
            ctx.model.getLayer('head').setWeights([ctx.model.getLayer('head').getWeights()[0]!, poisoned]);
            poisoned.dispose();
          }
        },
      },
    ).catch((e) => e);
    expect(err.code).toBe('NON_FINITE_WEIGHTS');
    expect(err.message).toContain("Parameter 'head/bias' holds NaN or Infinity after epoch 1");
    tf.dispose([x, y]);
    m.dispose();
  });

  it('keeps numTensors stable across epochs with the finite check (cached and uncached)', async () => {
    for (const cache of ['auto', 'off'] as const) {
      const m = convNet(6, 3, true);
      const { x, y } = imageData(12, 6, 1, 3);
      const perEpoch: number[] = [];
      const before = tf.memory().numTensors;
      const r = await train(
        m,
        { x, y },
        {
          epochs: 6,
          batchSize: 4,
          cache,
          policy: { rules: [{ freeze: 'backbone' }] },
          onEvent: (e) => {
            if (e.type === 'epochEnd') perEpoch.push(tf.memory().numTensors);
          },
        },
      );
      expect(r.history.map((h) => h.cache)).toEqual(
        cache === 'off' ? new Array(6).fill('off') : ['built', 'hit', 'hit', 'hit', 'hit', 'hit'],
      );
      expect(new Set(perEpoch).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
      m.dispose();
    }
  });
});
