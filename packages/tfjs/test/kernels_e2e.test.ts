import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend';
import { relMaxError, seededValues } from './kernels_reference';

// A tiny MobileNet-like net: frozen stem + separable block, then an unfrozen last block that
// contains every gradient wasm lacks (conv filter grad, depthwise filter AND input grad, channel
// multiplier 2, stride 2), then a head.
function tinyNet(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [16, 16, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;
  let x = apply(
    tf.layers.conv2d({
      name: 'stem',
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      kernelInitializer: init(1),
    }),
    input,
  );
  x = apply(tf.layers.batchNormalization({ name: 'stem_bn' }), x);
  x = apply(tf.layers.reLU({ maxValue: 6 }), x);
  x = apply(
    tf.layers.depthwiseConv2d({
      name: 'b1_dw',
      kernelSize: 3,
      padding: 'same',
      depthwiseInitializer: init(2),
    }),
    x,
  );
  x = apply(tf.layers.conv2d({ name: 'b1_pw', filters: 12, kernelSize: 1, kernelInitializer: init(3) }), x);
  // last block: trainable
  x = apply(
    tf.layers.conv2d({
      name: 'b2_conv',
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: init(4),
    }),
    x,
  );
  x = apply(tf.layers.batchNormalization({ name: 'b2_bn1' }), x);
  x = apply(tf.layers.reLU({ maxValue: 6 }), x);
  x = apply(
    tf.layers.depthwiseConv2d({
      name: 'b2_dw',
      kernelSize: 3,
      strides: 2,
      depthMultiplier: 2,
      padding: 'same',
      depthwiseInitializer: init(5),
    }),
    x,
  );
  x = apply(tf.layers.batchNormalization({ name: 'b2_bn2' }), x);
  x = apply(tf.layers.reLU({ maxValue: 6 }), x);
  x = apply(tf.layers.conv2d({ name: 'b2_pw', filters: 10, kernelSize: 1, kernelInitializer: init(6) }), x);
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  const out = apply(
    tf.layers.dense({ name: 'fc', units: 4, activation: 'softmax', kernelInitializer: init(7) }),
    x,
  );
  const model = tf.model({ inputs: input, outputs: out });
  for (const l of model.layers)
    if (['stem', 'stem_bn', 'b1_dw', 'b1_pw'].includes(l.name)) l.trainable = false;
  return model;
}

const N = 6;
let xs: tf.Tensor4D;
let ys: tf.Tensor2D;

function gradsOn(model: tf.LayersModel): Record<string, Float32Array> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
    vars,
  );
  const out: Record<string, Float32Array> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = g.dataSync() as Float32Array;
  tf.dispose([value, grads]);
  return out;
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
  xs = tf.tensor4d(seededValues(N * 16 * 16 * 3, 11), [N, 16, 16, 3]);
  ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4) as tf.Tensor2D;
});

afterAll(async () => {
  tf.dispose([xs, ys]);
  await tf.setBackend('wasm');
});

describe('a conv net with its last block unfrozen on wasm', () => {
  it('has gradients equal to the cpu backend', async () => {
    const model = tinyNet();
    const names = model.trainableWeights.map((w) => w.name);
    expect(names.some((n) => n.includes('b2_dw'))).toBe(true);
    expect(names.some((n) => n.includes('stem'))).toBe(false);
    await tf.setBackend('cpu');
    const cpu = gradsOn(model);
    await tf.setBackend('wasm');
    const wasm = gradsOn(model);
    expect(Object.keys(wasm).sort()).toEqual(Object.keys(cpu).sort());
    for (const k of Object.keys(cpu)) {
      expect(relMaxError(wasm[k] as Float32Array, cpu[k] as Float32Array), k).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it('trains with fit: the loss drops, frozen layers stay bit-identical, no tensors leak', async () => {
    await tf.setBackend('wasm');
    const model = tinyNet();
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const frozen = () =>
      model
        .getLayer('b1_pw')
        .getWeights()
        .map((w) => Array.from(w.dataSync()));
    const before = frozen();
    const trained0 = Array.from(model.getLayer('b2_dw').getWeights()[0]?.dataSync() ?? []);
    const losses: number[] = [];
    let tensorsAfterFirst = -1;
    for (let epoch = 0; epoch < 6; epoch++) {
      const h = await model.fit(xs, ys, { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
      losses.push(h.history.loss?.[0] as number);
      if (epoch === 0) tensorsAfterFirst = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] as number);
    expect(frozen()).toEqual(before);
    expect(Array.from(model.getLayer('b2_dw').getWeights()[0]?.dataSync() ?? [])).not.toEqual(trained0);
    model.dispose();
  });
});
