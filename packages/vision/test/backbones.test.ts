import { planFreeze } from '@frostline/core';
import { listParams } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backbone,
  describeBackbone,
  mobileNetV1,
  mobileNetV2,
  resNet18,
  resNet34,
  resNet50,
  VisionError,
  withHead,
} from '../src/index';
import { useBackend } from './helpers';

beforeAll(() => useBackend('cpu'));

function expectStagesCoverEveryLayerOnce(b: Backbone): void {
  const all = b.model.layers.map((l) => l.name);
  const staged = b.stages.flatMap((s) => s.layers);
  expect(staged.length).toBe(all.length);
  expect(new Set(staged)).toEqual(new Set(all));
}

describe('MobileNetV2', () => {
  let b: Backbone;
  beforeAll(() => {
    b = mobileNetV2({ inputSize: 64, seed: 1 });
  });
  afterAll(() => b.model.dispose());

  it('has the Keras-applications parameter count and names', () => {
    // Keras: MobileNetV2(include_top=False, alpha=1.0).count_params() == 2,257,984 at any input size.
    expect(b.model.countParams()).toBe(2_257_984);
    const names = b.model.layers.map((l) => l.name);
    for (const n of [
      'Conv1',
      'bn_Conv1',
      'expanded_conv_depthwise',
      'block_16_project_BN',
      'Conv_1',
      'out_relu',
    ]) {
      expect(names).toContain(n);
    }
    expect(b.stages.map((s) => s.name)).toEqual([
      'stem',
      'stage1',
      'stage2',
      'stage3',
      'stage4',
      'stage5',
      'stage6',
    ]);
    expectStagesCoverEveryLayerOnce(b);
  });

  it('predicts finite features at a small input size', () => {
    const y = tf.tidy(
      () => b.model.predict(b.preprocess(tf.fill([2, 64, 64, 3], 128) as tf.Tensor4D)) as tf.Tensor,
    );
    expect(y.shape).toEqual([2, 2, 2, 1280]);
    expect([...y.dataSync()].every(Number.isFinite)).toBe(true);
    y.dispose();
  });

  it('alpha and include_top follow Keras', () => {
    const top = mobileNetV2({ inputSize: 32, includeTop: true });
    expect(top.model.countParams()).toBe(3_538_984);
    expect(top.stages.at(-1)).toMatchObject({
      name: 'head',
      layers: ['global_average_pooling2d', 'predictions'],
    });
    top.model.dispose();
    const half = mobileNetV2({ inputSize: 32, alpha: 0.5, pooling: 'avg' });
    // Keras MobileNetV2(alpha=0.5, include_top=False) has 706,224 parameters.
    expect(half.model.countParams()).toBe(706_224);
    expect(half.model.outputs[0]!.shape).toEqual([null, 1280]);
    half.model.dispose();
  });

  it('truncates at a named feature layer', () => {
    const cut = mobileNetV2({ inputSize: 64, featureLayer: 'block_13_expand_relu' });
    expect(cut.model.outputs[0]!.shape).toEqual([null, 4, 4, 576]);
    expect(cut.featureLayer).toBe('block_13_expand_relu');
    expect(cut.stages.map((s) => s.name)).toEqual(['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'stage5']);
    expectStagesCoverEveryLayerOnce(cut);
    expect(() => mobileNetV2({ inputSize: 64, featureLayer: 'block_13_expnd_relu' })).toThrow(
      /block_13_expand_relu/,
    );
    cut.model.dispose();
  });

  it('rejects bad input sizes with a VisionError', () => {
    expect(() => mobileNetV2({ inputSize: 16 })).toThrow(VisionError);
  });
});

describe('MobileNetV1', () => {
  it('has the Keras parameter counts and stages', () => {
    const b = mobileNetV1({ inputSize: 32 });
    expect(b.model.countParams()).toBe(3_228_864);
    expectStagesCoverEveryLayerOnce(b);
    expect(b.stages.map((s) => s.name)).toEqual(['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'stage5']);
    b.model.dispose();
    const top = mobileNetV1({ inputSize: 32, alpha: 0.25, includeTop: true });
    // Keras MobileNet(alpha=0.25): 475,544 parameters with the 1000-class top.
    expect(top.model.countParams()).toBe(475_544);
    expect(top.stages.at(-1)!.layers).toContain('conv_preds');
    expectStagesCoverEveryLayerOnce(top);
    top.model.dispose();
  });
});

describe('ResNets', () => {
  it('ResNet50 matches Keras (175 layers, 23,587,712 params without top) and exposes PyTorch stage names', () => {
    const b = resNet50({ inputSize: 32 });
    expect(b.model.layers.length).toBe(175);
    expect(b.model.countParams()).toBe(23_587_712);
    expectStagesCoverEveryLayerOnce(b);
    expect(b.stages.map((s) => [s.name, s.aliases])).toEqual([
      ['stem', ['conv1']],
      ['stage1', ['layer1']],
      ['stage2', ['layer2']],
      ['stage3', ['layer3']],
      ['stage4', ['layer4']],
    ]);
    const p = { name: 'conv5_block1_1_conv/kernel', shape: [1, 1, 1024, 512], layer: 'conv5_block1_1_conv' };
    expect(b.aliases(p)).toEqual(['stage4/conv5_block1_1_conv/kernel', 'layer4/conv5_block1_1_conv/kernel']);

    // The seed's case: a 10-class fc, everything outside layer4 and fc frozen.
    const net = withHead(b, { numClasses: 10 });
    const plan = planFreeze(listParams(net.model, { aliases: net.aliases }), {
      rules: [{ freeze: '**' }, { unfreeze: 'layer4' }, { unfreeze: 'fc' }],
    });
    // By hand from the layer shapes: conv5_block1 (with projection), conv5_block2/3, BN gammas and betas.
    const block1 =
      1024 * 2048 +
      2048 +
      (1024 * 512 + 512) +
      (9 * 512 * 512 + 512) +
      (512 * 2048 + 2048) +
      2 * (2048 + 512 + 512 + 2048);
    const blockN = 2048 * 512 + 512 + (9 * 512 * 512 + 512) + (512 * 2048 + 2048) + 2 * (512 + 512 + 2048);
    const fc = 2048 * 10 + 10;
    expect(plan.summary.trainableParams).toBe(block1 + 2 * blockN + fc);
    expect(plan.get('conv4_block6_3_conv/kernel')!.trainable).toBe(false);
    expect(plan.get('fc/kernel')!.trainable).toBe(true);
    net.model.dispose();
  });

  it('ResNet50 with top has 177 layers and 25,636,712 params', () => {
    const b = resNet50({ inputSize: 32, includeTop: true });
    expect(b.model.layers.length).toBe(177);
    expect(b.model.countParams()).toBe(25_636_712);
    expect(b.stages.at(-1)).toMatchObject({
      name: 'head',
      aliases: ['fc'],
      layers: ['avg_pool', 'predictions'],
    });
    b.model.dispose();
  });

  it('ResNet18/34 have torchvision parameter counts (+ BN statistics) in the same naming scheme', () => {
    const r18 = resNet18({ inputSize: 32 });
    // torchvision resnet18 without fc: 11,176,512 parameters; BN running stats 2 × 4,800.
    expect(r18.model.countParams()).toBe(11_176_512 + 2 * 4_800);
    expect(r18.model.layers.map((l) => l.name)).toContain('conv5_block2_out');
    expectStagesCoverEveryLayerOnce(r18);
    r18.model.dispose();
    const r34 = resNet34({ inputSize: 32 });
    expect(r34.model.countParams()).toBe(21_284_672 + 2 * 8_512);
    expectStagesCoverEveryLayerOnce(r34);
    r34.model.dispose();
  });
});

describe('withHead and describeBackbone', () => {
  it('names head layers head_* (aliases head/*) and fc', () => {
    const b = mobileNetV2({ inputSize: 32, alpha: 0.35 });
    const single = withHead(b, { numClasses: 3 });
    expect(single.stages.at(-1)).toEqual({
      name: 'head',
      aliases: ['fc', 'classifier'],
      layers: ['head_pool', 'fc'],
    });
    const deep = withHead(b, { numClasses: 4, hidden: 16, dropout: 0.2 });
    expect(deep.stages.at(-1)!.layers).toEqual(['head_pool', 'head_dense', 'head_dropout', 'head_fc']);
    const params = listParams(deep.model, { aliases: deep.aliases });
    const dense = params.find((p) => p.name === 'head_dense/kernel')!;
    expect(dense.aliases).toContain('head/dense/kernel');
    expect(dense.aliases).toContain('fc/head_dense/kernel');
    expect(deep.model.outputs[0]!.shape).toEqual([null, 4]);
    expectStagesCoverEveryLayerOnce(deep);
    // Replacing a head keeps the backbone stages and drops the old head.
    const again = withHead(deep, { numClasses: 2 });
    expect(again.stages.at(-1)!.layers).toEqual(['head_pool', 'fc']);
    expectStagesCoverEveryLayerOnce(again);
    expect(() => withHead(b, { numClasses: 0 })).toThrow(VisionError);
    b.model.dispose();
  });

  it('describes stages with layers and parameter counts', () => {
    const b = withHead(resNet18({ inputSize: 32 }), { numClasses: 10 });
    const text = describeBackbone(b);
    expect(text).toMatch(/^resnet18: input 32×32×3/);
    expect(text).toMatch(/stage4\s+layer4\s+\d+\s+8,393,728/);
    expect(text).toMatch(/head\s+fc,classifier\s+2\s+5,130/);
    expect(text).toContain('conv5_block1_1_conv (1,179,648)');
    const detail = describeBackbone(b, { layers: 'detail' });
    expect(detail).toMatch(/conv1_conv\s+Conv2D\s+9,408/);
    b.model.dispose();
  });
});
