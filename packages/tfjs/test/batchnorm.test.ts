import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixFrozenBatchNorm, train } from '../src/index';
import { convNet, imageData, same, seedWeights, useCpu, values } from './helpers';

beforeAll(useCpu);

/**
 * conv → BN → relu → conv → BN → pool → dense. `affine: false` builds the BNs the way Keras
 * InceptionV3 does (`scale: false`, the second also `center: false`); `affine: true` is the reference:
 * the same net with real gamma = 1 and beta = 0, which is what "no scale / no center" means.
 */
function bnNet(affine: boolean): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c1' }).apply(input);
  h = tf.layers.batchNormalization({ name: 'bn1', scale: affine }).apply(h);
  h = tf.layers.activation({ activation: 'relu', name: 'r1' }).apply(h);
  h = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c2' }).apply(h);
  h = tf.layers.batchNormalization({ name: 'bn2', scale: affine, center: affine }).apply(h);
  h = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(h);
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }).apply(h) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  seedWeights(m, 5);
  // gamma = 1, beta = 0 in the reference; moving statistics as seeded (same in both nets).
  for (const w of m.weights) {
    if (/gamma/.test(w.name)) w.write(tf.onesLike(w.read()));
    if (/beta/.test(w.name)) w.write(tf.zerosLike(w.read()));
  }
  return m;
}

/** Copy same-named weights (by layer and short name) from `src` into `dst`. */
function copyShared(src: tf.LayersModel, dst: tf.LayersModel): void {
  const key = (w: tf.LayerVariable) => (w.originalName ?? w.name).replace(/_\d+(?=\/)/, '');
  const byKey = new Map(src.weights.map((w) => [key(w), w]));
  for (const w of dst.weights) {
    const from = byKey.get(key(w));
    if (from) w.write(from.read());
  }
}

/** Gradients of a cross-entropy loss w.r.t. the conv and dense weights, with BNs in `training` mode. */
function grads(m: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, training: boolean): Map<string, Float32Array> {
  const picked = m.trainableWeights.filter((w) => /^(c1|c2|fc)\//.test(w.originalName ?? w.name));
  const vars = picked.map((w) => (w as unknown as { val: tf.Variable }).val);
  const nameOf = new Map(picked.map((w, i) => [vars[i]!.name, w.originalName ?? w.name]));
  const { grads: g, value } = tf.variableGrads(() => {
    const p = m.apply(x, { training }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(y, p).asScalar();
  }, vars);
  value.dispose();
  const out = new Map<string, Float32Array>();
  for (const [k, t] of Object.entries(g)) {
    out.set(nameOf.get(k)!, t.dataSync() as Float32Array);
    t.dispose();
  }
  return out;
}

describe('BatchNormalization without scale/center (TF.js #2868)', () => {
  it('plain TF.js cannot differentiate through it (the bug this works around)', () => {
    const m = bnNet(false);
    const { x, y } = imageData(4, 6, 2, 3);
    expect(() => grads(m, x.reshape([4, 6, 6, 2]), y, true)).toThrow(/read/);
    tf.dispose([x, y]);
    m.dispose();
  });

  for (const training of [true, false]) {
    it(`after fixFrozenBatchNorm, gradients equal the gamma=1/beta=0 reference exactly (training: ${training})`, () => {
      const m = bnNet(false);
      const ref = bnNet(true);
      copyShared(m, ref);
      expect(fixFrozenBatchNorm(m)).toBe(2);
      const data = imageData(4, 6, 2, 3);
      const x = data.x.reshape([4, 6, 6, 2]);
      const before = tf.memory().numTensors;
      const got = grads(m, x, data.y, training);
      expect(tf.memory().numTensors).toBe(before);
      const want = grads(ref, x, data.y, training);
      expect([...got.keys()].sort()).toEqual([
        'c1/bias',
        'c1/kernel',
        'c2/bias',
        'c2/kernel',
        'fc/bias',
        'fc/kernel',
      ]);
      for (const [k, v] of want) expect(same(got.get(k)!, v), k).toBe(true);
      // Outputs are unchanged by the patch.
      const a = m.predict(x) as tf.Tensor;
      const b = ref.predict(x) as tf.Tensor;
      expect(same(a.dataSync() as Float32Array, b.dataSync() as Float32Array)).toBe(true);
      // The layer is still a scale-less BN: no gamma/beta weights appeared, config unchanged.
      expect(m.getLayer('bn2').getWeights()).toHaveLength(2);
      expect(m.getLayer('bn2').getConfig()).toMatchObject({ scale: false, center: false });
      tf.dispose([a, b, x, data.x, data.y]);
      m.dispose();
      ref.dispose();
    });
  }

  it('train() trains c2 and the head through both BNs; frozen weights stay bit-identical', async () => {
    const m = bnNet(false);
    const { x, y } = imageData(16, 6, 2, 3);
    const x4 = x.reshape([16, 6, 6, 2]);
    const before = values(m);
    await train(
      m,
      { x: x4, y },
      { epochs: 2, batchSize: 8, policy: { rules: [{ freeze: ['c1', 'bn1'] }] }, cache: 'off' },
    );
    const after = values(m);
    for (const [k, v] of before) {
      // bn2 is not frozen: it trains in batch mode (its moving statistics move) and passes gradients to c2.
      const trained = /^(c2|fc|bn2)\//.test(k);
      expect(same(v, after.get(k)!), k).toBe(!trained);
    }
    tf.dispose([x, x4, y]);
    m.dispose();
  });
});

describe('fixFrozenBatchNorm and base.trainable = false on a nested model', () => {
  const run = async (fix: boolean) => {
    const m = convNet(8, 3, true);
    const base = m.getLayer('backbone') as tf.LayersModel;
    base.trainable = false; // the Keras recipe: flips the inner weights' flags, not the inner layers'
    expect(base.getLayer('bn1').trainable).toBe(true);
    if (fix) expect(fixFrozenBatchNorm(m)).toBe(2);
    m.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const { x, y } = imageData(8, 8, 1, 3);
    const before = values(m);
    await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const after = values(m);
    tf.dispose([x, y]);
    m.dispose();
    return { before, after };
  };

  it('keeps every backbone weight and moving statistic bit-identical while the head trains', async () => {
    const { before, after } = await run(true);
    for (const [k, v] of before) {
      const head = /^fc\//.test(k);
      expect(same(v, after.get(k)!), k).toBe(!head);
    }
  });

  it('without the fix the moving statistics drift (what the fix prevents)', async () => {
    const { before, after } = await run(false);
    const drifted = [...before].filter(([k, v]) => /moving/.test(k) && !same(v, after.get(k)!));
    expect(drifted.length).toBe(4);
  });
});
