import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_TOLERANCE,
  type FrozenEngine,
  type FrozenPrefix,
  modelPrefix,
  onnxruntimeEngine,
  openEngine,
  outputDifference,
  predictWithEngine,
  selectBackend,
  tfjsEngine,
  workersEngine,
} from '../src';
import { seedWeights } from './helpers';

/** A small MobileNet-like net: stride-2 same convs on an odd size, depthwise, BN, residual add, pooling. */
function smallNet(): tf.LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [19, 19, 3] });
  let x = L.conv2d({
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    useBias: false,
    name: 'stem',
  }).apply(input) as tf.SymbolicTensor;
  x = L.batchNormalization({ name: 'stem_bn' }).apply(x) as tf.SymbolicTensor;
  x = L.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  const d = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(
    x,
  ) as tf.SymbolicTensor;
  const dn = L.batchNormalization().apply(d) as tf.SymbolicTensor;
  x = L.add().apply([x, dn]) as tf.SymbolicTensor;
  x = L.globalAveragePooling2d({ name: 'features' }).apply(x) as tf.SymbolicTensor;
  const out = L.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  seedWeights(m, 4);
  return m;
}

async function expectClose(engine: FrozenEngine, ref: FrozenEngine, x: tf.Tensor) {
  const [a, b] = [await engine.run(x), await ref.run(x)];
  expect(a.shape).toEqual(b.shape);
  const d = outputDifference(a.dataSync() as Float32Array, b.dataSync() as Float32Array);
  a.dispose();
  b.dispose();
  expect(d.relative).toBeLessThan(ENGINE_TOLERANCE);
}

/** A real engine whose outputs are deliberately 1% off. */
function skewed(inner: FrozenEngine): FrozenEngine {
  return {
    name: inner.name,
    detail: `${inner.detail} (skewed)`,
    run: async (x) => {
      const y = await inner.run(x);
      const z = tf.mul(y, 1.01);
      y.dispose();
      return z;
    },
    dispose: () => inner.dispose(),
  };
}

describe('frozen-prefix engines', () => {
  let model: tf.LayersModel;
  let prefix: FrozenPrefix;
  let x: tf.Tensor;
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm', quiet: true });
    model = smallNet();
    prefix = modelPrefix(model, 'features');
    x = tf.randomUniform([5, 19, 19, 3], 0, 1, 'float32', 11);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it("'auto' picks onnxruntime here (installed) and its output equals TF.js", async () => {
    const opened = await openEngine(prefix);
    const y = await opened.engine.run(x);
    expect(y.shape).toEqual([5, 8]);
    y.dispose();
    const r = opened.report();
    expect(r.name).toBe('onnxruntime');
    expect(r.requested).toBe('auto');
    expect(r.guard?.ok).toBe(true);
    expect(r.guard?.relative).toBeLessThan(ENGINE_TOLERANCE);
    expect(r.fallback).toBeUndefined();
    await opened.dispose();
  });

  it('onnxruntime equals TF.js on every batch size, leak-free', async () => {
    const ort = await onnxruntimeEngine(prefix, { threads: 2 });
    const ref = tfjsEngine(prefix);
    const before = tf.memory().numTensors;
    for (const n of [1, 2, 5]) {
      const batch = x.slice(0, n);
      await expectClose(ort, ref, batch);
      batch.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    await ort.dispose();
  });

  it('the workers pool splits batches, equals TF.js and leaks nothing (main thread and workers)', async () => {
    const pool = await workersEngine(prefix, { workers: 2 });
    const ref = tfjsEngine(prefix);
    await expectClose(pool, ref, x);
    const mainBefore = tf.memory().numTensors;
    const workersBefore = await pool.workerTensors();
    for (let i = 0; i < 3; i++) (await pool.run(x)).dispose();
    expect(tf.memory().numTensors).toBe(mainBefore);
    expect(await pool.workerTensors()).toEqual(workersBefore);
    // One row: only one worker gets work, the answer still has the right shape.
    const one = x.slice(0, 1);
    const y = await pool.run(one);
    expect(y.shape).toEqual([1, 8]);
    tf.dispose([one, y]);
    await pool.dispose();
    await expect(pool.run(x)).rejects.toThrow(/disposed/);
  });

  it("forcing an absent engine is ENGINE_UNAVAILABLE; 'auto' then skips it and says why", async () => {
    const missing = async (s: string) => {
      throw new Error(`Cannot find package '${s}' imported from /x`);
    };
    const err = await openEngine(prefix, { engine: 'onnxruntime', importer: missing }).catch((e) => e);
    expect(err.code).toBe('ENGINE_UNAVAILABLE');
    expect(err.message).toContain('not installed');
    expect(err.hint).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    const opened = await openEngine(prefix, { importer: missing, threads: 2 });
    const r = opened.report();
    expect(r.name).toBe('workers');
    expect(r.reason).toContain('onnxruntime: not installed');
    await opened.dispose();
    const bad = await openEngine(prefix, { engine: 'gpu' as never }).catch((e) => e);
    expect(bad.code).toBe('BAD_OPTION');
  });

  it('the guard falls back to TF.js when an engine is 1% off, and when it throws', async () => {
    const opened = await openEngine(prefix, {
      engine: 'onnxruntime',
      factories: { onnxruntime: async (p) => skewed(await onnxruntimeEngine(p)) },
    });
    const ref = tfjsEngine(prefix);
    const [y, want] = [await opened.engine.run(x), await ref.run(x)];
    expect(y.dataSync()).toEqual(want.dataSync()); // the fallback's output is TF.js' own
    tf.dispose([y, want]);
    const r = opened.report();
    expect(r.name).toBe('tfjs');
    expect(r.guard?.ok).toBe(false);
    expect(r.guard?.relative).toBeGreaterThan(0.009);
    expect(r.fallback).toMatch(/differs from TF.js on the first batch.*fell back to TF.js/);
    const y2 = await opened.engine.run(x); // later batches stay on TF.js
    y2.dispose();
    await opened.dispose();

    const throwing = await openEngine(prefix, {
      engine: 'workers',
      factories: {
        workers: async () => ({
          name: 'workers',
          detail: 'broken',
          run: async () => {
            throw new Error('boom');
          },
          dispose: async () => {},
        }),
      },
    });
    (await throwing.engine.run(x)).dispose();
    expect(throwing.report().fallback).toMatch(/workers failed on the first batch: boom/);
    await throwing.dispose();
  });

  it('predictWithEngine equals model.predict: whole model on onnxruntime, or its exportable prefix + TF.js', async () => {
    const before = tf.memory().numTensors;
    const want = model.predict(x) as tf.Tensor;
    const r = await predictWithEngine(model, x, { batchSize: 2 });
    expect(r.engine.name).toBe('onnxruntime');
    expect(r.prefixLayers).toBe(8); // every layer
    const d = outputDifference(r.output.dataSync() as Float32Array, want.dataSync() as Float32Array);
    expect(d.relative).toBeLessThan(ENGINE_TOLERANCE);
    tf.dispose([want, r.output]);
    expect(tf.memory().numTensors).toBe(before);

    // An UpSampling2D (no converter) ends the engine's part; TF.js runs the rest.
    const input = tf.input({ shape: [6, 6, 2] });
    const c = tf.layers
      .conv2d({ filters: 3, kernelSize: 3, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    const u = tf.layers.upSampling2d({ size: [2, 2] }).apply(c) as tf.SymbolicTensor;
    const out = tf.layers.flatten().apply(u) as tf.SymbolicTensor;
    const mixed = tf.model({ inputs: input, outputs: out });
    seedWeights(mixed, 2);
    const xi = tf.randomUniform([3, 6, 6, 2], 0, 1, 'float32', 4);
    const r2 = await predictWithEngine(mixed, xi);
    expect(r2.prefixLayers).toBe(1);
    const want2 = mixed.predict(xi) as tf.Tensor;
    expect(
      outputDifference(r2.output.dataSync() as Float32Array, want2.dataSync() as Float32Array).relative,
    ).toBeLessThan(ENGINE_TOLERANCE);
    tf.dispose([xi, want2, r2.output]);
    mixed.dispose();
  });
});
