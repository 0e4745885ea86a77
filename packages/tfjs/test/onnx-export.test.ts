import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, FrostlineTfjsError } from '../src';
import { ENGINE_TOLERANCE, outputDifference } from '../src/engines/compare';
import { seedWeights, useCpu } from './helpers';

/** Run exported ONNX bytes on onnxruntime-node. */
async function runOnnx(bytes: Uint8Array, x: tf.Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds = {
    [session.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape),
  };
  const out = await session.run(feeds);
  const t = out[session.outputNames[0]!]!;
  const data = (t.data as Float32Array).slice();
  await session.release();
  return data;
}

function randomInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

async function expectSame(model: tf.LayersModel, x: tf.Tensor, opts: Parameters<typeof exportOnnx>[1] = {}) {
  const bytes = await exportOnnx(model, opts);
  const ref = tf.tidy(() => {
    if (opts?.upTo === undefined) return model.predict(x) as tf.Tensor;
    const sub = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer(opts.upTo).output as tf.SymbolicTensor,
    });
    return sub.predict(x) as tf.Tensor;
  });
  const got = await runOnnx(bytes, x);
  const diff = outputDifference(got, ref.dataSync() as Float32Array);
  ref.dispose();
  expect(diff.incomparable).toBeUndefined();
  expect(diff.relative).toBeLessThan(ENGINE_TOLERANCE);
  return diff;
}

/** Every image layer the exporter supports, with odd sizes so `same` stride-2 padding is asymmetric. */
function imageZoo(): tf.LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [17, 15, 3] });
  let x = L.rescaling({ scale: 1 / 2, offset: 0.25 }).apply(input) as tf.SymbolicTensor;
  x = L.zeroPadding2d({
    padding: [
      [1, 2],
      [0, 1],
    ],
  }).apply(x) as tf.SymbolicTensor;
  x = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(
    x,
  ) as tf.SymbolicTensor;
  x = L.batchNormalization({ epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor; // folded
  x = L.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  const d = L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 }).apply(
    x,
  ) as tf.SymbolicTensor;
  const dBn = L.batchNormalization().apply(d) as tf.SymbolicTensor;
  const dAct = L.activation({ activation: 'relu6' }).apply(dBn) as tf.SymbolicTensor;
  const s = L.separableConv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(
    dAct,
  ) as tf.SymbolicTensor;
  const added = L.add().apply([dAct, s]) as tf.SymbolicTensor;
  const mult = L.multiply().apply([added, dAct]) as tf.SymbolicTensor;
  const mp = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(mult) as tf.SymbolicTensor;
  const ap = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(
    mult,
  ) as tf.SymbolicTensor;
  let y = L.concatenate({ name: 'concat' }).apply([mp, ap]) as tf.SymbolicTensor;
  y = L.batchNormalization({ name: 'bn_unfolded' }).apply(y) as tf.SymbolicTensor; // after concat: Mul+Add
  y = L.conv2d({ filters: 8, kernelSize: 2, dilationRate: 1, padding: 'valid', activation: 'sigmoid' }).apply(
    y,
  ) as tf.SymbolicTensor;
  y = L.dropout({ rate: 0.5 }).apply(y) as tf.SymbolicTensor;
  const g = L.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const gm = L.globalMaxPooling2d({}).apply(y) as tf.SymbolicTensor;
  const both = L.concatenate().apply([g, gm]) as tf.SymbolicTensor;
  const out = L.dense({ units: 5, activation: 'softmax' }).apply(both) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('exportOnnx', () => {
  beforeAll(useCpu);

  it('matches TF.js on conv, depthwise, separable, BN, pooling (same, stride 2, odd sizes), merges, dense', async () => {
    const model = imageZoo();
    seedWeights(model, 3);
    const x = randomInput([3, 17, 15, 3], 1);
    await expectSame(model, x);
    x.dispose();
  });

  it('keeps TF.js (NHWC) order through Flatten, Reshape, Dense on rank 3 and a BN after Dense', async () => {
    const L = tf.layers;
    const input = tf.input({ shape: [6, 5, 4] });
    let x = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const f = L.flatten().apply(x) as tf.SymbolicTensor;
    x = L.reshape({ targetShape: [10, 12] }).apply(f) as tf.SymbolicTensor;
    x = L.dense({ units: 7, activation: 'tanh' }).apply(x) as tf.SymbolicTensor; // MatMul on rank 3
    x = L.flatten().apply(x) as tf.SymbolicTensor;
    x = L.dense({ units: 9 }).apply(x) as tf.SymbolicTensor;
    x = L.batchNormalization().apply(x) as tf.SymbolicTensor; // folded into the Gemm
    x = L.leakyReLU({ alpha: 0.1 }).apply(x) as tf.SymbolicTensor;
    x = L.softmax().apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    seedWeights(model, 5);
    const inp = randomInput([2, 6, 5, 4], 2);
    await expectSame(model, inp);
    inp.dispose();
  });

  it('exports a prefix with upTo, through a nested model', async () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, padding: 'same', name: 'c1' }),
        tf.layers.batchNormalization({ name: 'b1' }),
        tf.layers.activation({ activation: 'relu', name: 'r1' }),
      ],
    });
    const input = tf.input({ shape: [8, 8, 2] });
    const mid = inner.apply(input) as tf.SymbolicTensor;
    const p = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(mid) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2, name: 'head' })
      .apply(tf.layers.flatten().apply(p)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    seedWeights(model, 9);
    const x = randomInput([2, 8, 8, 2], 3);
    await expectSame(model, x);
    await expectSame(model, x, { upTo: 'pool' });
    x.dispose();
  });

  it('throws UNSUPPORTED_LAYER naming the layer, BAD_OPTION for an unknown upTo or opset', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 1 }),
        tf.layers.upSampling2d({ size: [2, 2], name: 'grow' }),
      ],
    });
    const err = await exportOnnx(model).catch((e) => e);
    expect(err).toBeInstanceOf(FrostlineTfjsError);
    expect(err.code).toBe('UNSUPPORTED_LAYER');
    expect(err.message).toContain("'grow' (UpSampling2D)");
    expect(err.details).toEqual({ layer: 'grow', className: 'UpSampling2D' });
    const bad = await exportOnnx(model, { upTo: 'nope' }).catch((e) => e);
    expect(bad.code).toBe('BAD_OPTION');
    const opset = await exportOnnx(model, { opset: 7 }).catch((e) => e);
    expect(opset.code).toBe('BAD_OPTION');
    // The prefix before the unsupported layer exports fine.
    const bytes = await exportOnnx(model, { upTo: model.layers[0]!.name });
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it('rejects a channelsFirst conv with UNSUPPORTED_LAYER', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [1, 4, 4],
          filters: 1,
          kernelSize: 1,
          dataFormat: 'channelsFirst',
          name: 'cf',
        }),
      ],
    });
    const err = await exportOnnx(model).catch((e) => e);
    expect(err.code).toBe('UNSUPPORTED_LAYER');
    expect(err.message).toContain("'cf'");
  });
});
