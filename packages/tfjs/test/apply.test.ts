import { planFreeze } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPlan, applyPolicy, FrostlineTfjsError, listParams, toArtifacts, train } from '../src/index';
import { paramRefs } from '../src/params';
import { convNet, imageData, mlp, same, toyData, useCpu, values } from './helpers';

beforeAll(useCpu);

const trainableNames = (m: tf.LayersModel) => {
  const byVar = new Map(paramRefs(m).map((r) => [r.variable, r.info.name]));
  return m.trainableWeights.map((w) => byVar.get(w)!).sort();
};

describe('applyPolicy / applyPlan', () => {
  it('gives exactly the trainable set core computed (sequential)', () => {
    const m = mlp();
    const plan = applyPolicy(m, { rules: [{ freeze: 'd1' }, { freeze: 'd2/kernel' }] });
    expect(trainableNames(m)).toEqual(plan.trainableNames().sort());
    expect(trainableNames(m)).toEqual(['d2/bias', 'head/bias', 'head/kernel']);
    m.dispose();
  });

  it('gives exactly the trainable set core computed (nested backbone)', () => {
    const m = convNet();
    const plan = applyPolicy(m, { rules: [{ freeze: 'backbone' }, { unfreeze: 'conv2' }] });
    expect(trainableNames(m)).toEqual(plan.trainableNames().sort());
    expect(trainableNames(m)).toEqual([
      'backbone/conv2/bias',
      'backbone/conv2/kernel',
      'fc/bias',
      'fc/kernel',
    ]);
    // Unfreezing everything afterwards works too (no stale flags).
    const all = applyPolicy(m, {});
    expect(trainableNames(m)).toEqual(all.trainableNames().sort());
    m.dispose();
  });

  it('refuses a plan made for another model', () => {
    const a = mlp();
    const b = convNet();
    const plan = planFreeze(listParams(b), {});
    expect(() => applyPlan(a, plan)).toThrow(FrostlineTfjsError);
    a.dispose();
    b.dispose();
  });

  it('per-weight freezing: a frozen Dense kernel stays bit-identical while its bias trains (model.fit)', async () => {
    const m = mlp();
    applyPolicy(m, { rules: [{ freeze: 'head/kernel' }] });
    m.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
    const before = values(m);
    const { x, y } = toyData(32, 6, 3);
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const after = values(m);
    const key = (suffix: string) =>
      [...before.keys()].find((k) => k.startsWith('head') && k.endsWith(suffix))!;
    expect(same(before.get(key('kernel'))!, after.get(key('kernel'))!)).toBe(true);
    expect(same(before.get(key('bias'))!, after.get(key('bias'))!)).toBe(false);
    x.dispose();
    y.dispose();
    m.dispose();
  });

  it('per-weight freezing with train(): kernel unchanged, bias changed', async () => {
    const m = mlp();
    const { x, y } = toyData(32, 6, 3);
    const before = values(m);
    await train(
      m,
      { x, y },
      { policy: { rules: [{ freeze: 'head/kernel' }] }, epochs: 2, batchSize: 8, learningRate: 0.05 },
    );
    const after = values(m);
    const names = [...before.keys()];
    const k = names.find((n) => n.startsWith('head') && n.endsWith('kernel'))!;
    const b = names.find((n) => n.startsWith('head') && n.endsWith('bias'))!;
    expect(same(before.get(k)!, after.get(k)!)).toBe(true);
    expect(same(before.get(b)!, after.get(b)!)).toBe(false);
    x.dispose();
    y.dispose();
    m.dispose();
  });
});

describe('frozen BatchNormalization', () => {
  const bnValues = (m: tf.LayersModel) => new Map([...values(m)].filter(([k]) => /bn\d/.test(k)));

  for (const nested of [true, false]) {
    it(`stays bit-identical (all four tensors) when frozen, in train() and model.fit (${nested ? 'nested' : 'sequential'})`, async () => {
      const m = convNet(8, 3, nested);
      const { x, y } = imageData(24, 8, 1, 3);
      const before = bnValues(m);
      expect(before.size).toBe(8);
      await train(
        m,
        { x, y },
        {
          policy: { rules: [{ freeze: 'conv1' }, { freeze: 'bn1' }, { freeze: 'conv2' }, { freeze: 'bn2' }] },
          epochs: 2,
          batchSize: 8,
          cache: 'off',
        },
      );
      for (const [k, v] of bnValues(m)) expect(same(v, before.get(k)!), k).toBe(true);
      // model.fit after applyPlan: the instance patch keeps BN in inference mode there too.
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      for (const [k, v] of bnValues(m)) expect(same(v, before.get(k)!), k).toBe(true);
      x.dispose();
      y.dispose();
      m.dispose();
    });
  }

  it("changes (statistics and affine) in batchNorm: 'train' mode inside a frozen block", async () => {
    const m = convNet();
    const { x, y } = imageData(24, 8, 1, 3);
    const before = bnValues(m);
    const res = await train(
      m,
      { x, y },
      { policy: { batchNorm: 'train', rules: [{ freeze: 'backbone' }] }, epochs: 1, batchSize: 8 },
    );
    const after = bnValues(m);
    for (const [k, v] of after) expect(same(v, before.get(k)!), k).toBe(false);
    // Only conv1 (before the training-mode BN) may be cached.
    expect(res.cache.prefixLayers).toBe(1);
    x.dispose();
    y.dispose();
    m.dispose();
  });

  it('saves without any custom class name and loads in plain TF.js', async () => {
    const m = convNet();
    applyPolicy(m, { rules: [{ freeze: 'backbone' }] });
    const a = await toArtifacts(m);
    const json = JSON.stringify(a.modelTopology);
    expect(json).toContain('"class_name":"BatchNormalization"');
    expect(json).not.toMatch(/Frostline|Frozen/i);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(a));
    const x = tf.ones([2, 8, 8, 1]);
    const p1 = m.predict(x) as tf.Tensor;
    const p2 = loaded.predict(x) as tf.Tensor;
    expect(same(p1.dataSync() as Float32Array, p2.dataSync() as Float32Array)).toBe(true);
    tf.dispose([x, p1, p2]);
    loaded.dispose();
    m.dispose();
  });
});
