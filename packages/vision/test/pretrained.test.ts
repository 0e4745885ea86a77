import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { planFreeze } from '@frostline/core';
import { listParams } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Backbone, describeBackbone, loadPretrained, mnistDataset, VisionError } from '../src/index';
import { accuracyOf, useBackend } from './helpers';

beforeAll(() => useBackend('wasm'));

function coversEveryLayerOnce(b: Backbone): boolean {
  const staged = b.stages.flatMap((s) => s.layers);
  return staged.length === b.model.layers.length && new Set(staged).size === staged.length;
}

/** The nsfwjs model loaded the plain TF.js way, independently of our loader. */
async function nsfwjsReference(): Promise<tf.LayersModel> {
  const req = createRequire(import.meta.url);
  const dir = path.join(path.dirname(req.resolve('nsfwjs/models/mobilenet_v2')), '../../models/mobilenet_v2');
  const json = req(path.join(dir, 'model.min.js'));
  const b64 = /exports\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(
    readFileSync(path.join(dir, 'group1-shard1of1.min.js'), 'utf8'),
  )![1]!;
  const bytes = Buffer.from(b64, 'base64');
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}

describe('loadPretrained("mobilenet_v2") from nsfwjs@4.3.0, offline', () => {
  it('loads at 64×64, predicts finite 1280-d features, stages cover every layer once', async () => {
    const b = await loadPretrained('mobilenet_v2', { inputSize: 64 });
    expect(b.model.countParams()).toBe(2_257_984);
    expect(b.featureLayer).toBe('flatten_1');
    expect(b.model.layers.map((l) => l.name)).not.toContain('dense_1');
    expect(coversEveryLayerOnce(b)).toBe(true);
    expect(b.stages.map((s) => s.name)).toEqual([
      'stem',
      'stage1',
      'stage2',
      'stage3',
      'stage4',
      'stage5',
      'stage6',
    ]);
    expect(b.stages.at(-1)!.layers.slice(-3)).toEqual(['out_relu', 'average_pooling2d_1', 'flatten_1']);
    // The 7×7 global pool followed the input size (64 / 32 = 2).
    expect(b.model.getLayer('average_pooling2d_1').getConfig().poolSize).toEqual([2, 2]);
    // nsfwjs froze some layers when it trained; a loaded backbone starts all-trainable (policies decide).
    expect(b.model.layers.filter((l) => l.weights.length > 0).every((l) => l.trainable)).toBe(true);

    const x = tf.randomUniform([2, 64, 64, 3], 0, 255, 'float32', 1) as tf.Tensor4D;
    const input = b.preprocess(x);
    const y = b.model.predict(input) as tf.Tensor;
    expect(y.shape).toEqual([2, 1280]);
    const values = y.dataSync();
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.max(...values)).toBeGreaterThan(0);
    tf.dispose([x, input, y]);

    // "Everything but the last stage frozen": only block_16 and Conv_1 train. By hand from the shapes
    // (BN gamma+beta; moving stats are buffers, never trainable):
    const c = 160 * 6; // block_16 expands 160 → 960 channels
    const expected =
      160 * c +
      2 * c + // block_16_expand (1×1 conv, no bias) + expand_BN
      3 * 3 * c +
      2 * c + // block_16_depthwise + depthwise_BN
      c * 320 +
      2 * 320 + // block_16_project + project_BN
      320 * 1280 +
      2 * 1280; // Conv_1 + Conv_1_bn
    expect(expected).toBe(886_080);
    const plan = planFreeze(listParams(b.model, { aliases: b.aliases }), {
      rules: [{ freeze: '**' }, { unfreeze: 'stage6' }],
    });
    expect(plan.summary.trainableParams).toBe(expected);
    // Total learnable = 2,257,984 minus the BN moving statistics (2 × 17,056 channels).
    expect(plan.summary.totalParams).toBe(2_257_984 - 2 * 17_056);
    expect(plan.get('block_15_project/kernel')!.trainable).toBe(false);
    expect(plan.get('Conv_1/kernel')!.trainable).toBe(true);
    expect(describeBackbone(b, { layers: 'none' })).toMatch(/stage6\s+-\s+13\s+886,080\s+/);
    b.model.dispose();
  });

  it('gives the same features as nsfwjs loaded the plain TF.js way (224×224)', async () => {
    const ref = await nsfwjsReference();
    const refFeatures = tf.model({
      inputs: ref.inputs,
      outputs: ref.getLayer('flatten_1').output as tf.SymbolicTensor,
    });
    const b = await loadPretrained('mobilenet_v2');
    const x = tf.tidy(() =>
      b.preprocess(tf.randomUniform([1, 224, 224, 3], 0, 255, 'float32', 3) as tf.Tensor4D),
    );
    const a = b.model.predict(x) as tf.Tensor;
    const r = refFeatures.predict(x) as tf.Tensor;
    const diff = tf.tidy(() => a.sub(r).abs().max().dataSync()[0]!);
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([x, a, r]);
    ref.dispose();
    b.model.dispose();
  });

  it('rejects input sizes that are not multiples of 32, and unknown names', async () => {
    await expect(loadPretrained('mobilenet_v2', { inputSize: 100 })).rejects.toMatchObject({
      code: 'INVALID_INPUT_SIZE',
    });
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    await expect(loadPretrained('resnet50' as any)).rejects.toBeInstanceOf(VisionError);
  });
});

describe('loadPretrained("mnist-cnn"), the shipped weights', () => {
  it('classifies held-out MNIST digits 0–4', async () => {
    const b = await loadPretrained('mnist-cnn');
    expect(b.inputShape).toEqual([28, 28, 1]);
    expect(b.stages.map((s) => [s.name, s.aliases])).toEqual([
      ['stem', []],
      ['stage1', ['features']],
      ['stage2', ['features']],
      ['head', ['classifier', 'fc']],
    ]);
    const test = await mnistDataset({ digits: [0, 1, 2, 3, 4], split: 'test', perClass: 60, backbone: b });
    expect(accuracyOf(b.model, test.train.x, test.train.labels)).toBeGreaterThan(0.95);
    test.dispose();
    const features = await loadPretrained('mnist-cnn', { includeTop: false });
    expect(features.model.outputs[0]!.shape).toEqual([null, 5 * 5 * 32]);
    b.model.dispose();
    features.model.dispose();
  });
});
