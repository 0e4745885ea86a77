import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planFreeze } from '@frostline/core';
import {
  encodeSafetensors,
  listParams,
  openCheckpoint,
  registerWasmGradKernels,
  type SafetensorsInput,
  train,
} from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone, saveTorchWeights } from '../src/index';
import { useBackend, weightBytes } from './helpers';
import { reference, TORCH_FIX } from './torch-helpers';

const tmp = mkdtempSync(path.join(tmpdir(), 'frostline-torch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Training layer4's convolutions needs conv gradients: wasm plus frostline's gradient kernels.
beforeAll(async () => {
  await useBackend('wasm');
  registerWasmGradKernels();
});

const SEED_POLICY = { rules: [{ freeze: '**' }, { unfreeze: 'layer4' }, { unfreeze: 'fc' }] };

describe('partial fine-tuning of a torchvision ResNet loaded from a .pth, then saved back as .safetensors', () => {
  it("{ freeze: '**' }, { unfreeze: 'layer4' }, { unfreeze: 'fc' } trains exactly layer4 + a new fc; the rest stays bit-identical", async () => {
    const weights = path.join(TORCH_FIX, 'resnet18.pth');
    const net = await loadBackbone({
      arch: 'resnet18',
      weights,
      inputSize: 64,
      strict: false,
      numClasses: 3,
      activation: 'softmax',
      seed: 4,
    });
    expect(net.torch.report.replaced).toEqual(['fc.weight', 'fc.bias']);
    expect(net.torch.report.unused).toEqual(['fc.weight', 'fc.bias']);
    expect(net.stages.map((s) => s.name)).toEqual(['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'head']);

    const params = listParams(net.model, { aliases: net.aliases });
    const plan = planFreeze(params, SEED_POLICY);
    const trainable = plan.entries.filter((e) => e.trainable).map((e) => e.name);
    const expected = params
      .filter((p) => p.kind === 'parameter' && (p.name.startsWith('layer4.') || p.name.startsWith('fc/')))
      .map((p) => p.name);
    expect(trainable).toEqual(expected);
    expect(trainable).toContain('layer4.0.downsample.0/kernel');
    expect(trainable).toContain('fc/kernel');
    expect(trainable.length).toBe(2 * (3 * 2) + 3 + 2); // 2 blocks × (2 convs + 2 BN γ/β) + downsample conv/BN + fc
    // parameters also answer to their PyTorch state_dict names
    expect(params.find((p) => p.name === 'layer4.0.conv1/kernel')?.aliases).toContain(
      'layer4.0.conv1.weight',
    );
    const one = planFreeze(params, { rules: [{ freeze: '**' }, { unfreeze: 'layer4.0.conv1.weight' }] });
    expect(one.entries.filter((e) => e.trainable).map((e) => e.name)).toEqual(['layer4.0.conv1/kernel']);

    const x = tf.randomUniform([12, 64, 64, 3], -2, 2, 'float32', 11);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32');
    const before = weightBytes(net.model);
    const tensorsAtEpoch: number[] = [];
    await train(
      net.model,
      { x, y },
      {
        policy: SEED_POLICY,
        aliases: net.aliases,
        epochs: 3,
        batchSize: 6,
        optimizer: 'adam',
        learningRate: 1e-2,
        seed: 2,
        verifyFrozen: 'epoch',
        onEvent: (e) => {
          if (e.type === 'epochEnd') tensorsAtEpoch.push(tf.memory().numTensors);
        },
      },
    );
    const after = weightBytes(net.model);
    const changed = [...before.keys()].filter((k) => !before.get(k)!.every((v, i) => v === after.get(k)![i]));
    // every trainable kernel/bias moved; nothing outside layer4/fc moved, BN statistics included
    expect(changed.filter((k) => !/^(layer4\.|fc\/)/.test(k))).toEqual([]);
    for (const name of trainable) expect(changed).toContain(name);
    expect(new Set(tensorsAtEpoch).size).toBe(1);

    // Save back with PyTorch names, reload strictly: every weight and the forward are exactly equal.
    const file = path.join(tmp, 'finetuned.safetensors');
    await saveTorchWeights(net, file);
    const saved = await openCheckpoint(file);
    const original = await openCheckpoint(weights);
    expect(saved.keys()).toEqual(original.keys());
    expect(saved.metadata).toEqual({ format: 'pt' });
    for (const k of original.keys()) {
      const [a, b] = [await saved.read(k), await original.read(k)];
      expect(a.sourceDType).toBe(b.sourceDType);
      if (/^(layer4\.|fc\.)/.test(k)) continue;
      expect(a.data).toEqual(b.data); // frozen weights and BN stats, bit for bit, in PyTorch layout
    }
    expect(saved.entry('fc.weight').shape).toEqual([3, 64]);
    await Promise.all([saved.close(), original.close()]);

    const again = await loadBackbone({
      arch: 'resnet18',
      weights: file,
      inputSize: 64,
      activation: 'softmax',
    });
    const reloaded = weightBytes(again.model);
    for (const [k, v] of after) expect(reloaded.get(k)).toEqual(v);
    const probe = x.slice([0], [4]);
    const diff = tf.tidy(
      () =>
        (net.model.predict(probe) as tf.Tensor)
          .sub(again.model.predict(probe) as tf.Tensor)
          .abs()
          .max()
          .dataSync()[0],
    );
    expect(diff).toBe(0);
    tf.dispose([x, y, probe]);
    net.model.dispose();
    again.model.dispose();
  });
});

describe('MobileNetV2 policies read like the PyTorch code', () => {
  it("{ unfreeze: 'features.17' } and 'classifier' select torchvision's modules; 'stage6' and state_dict names too", async () => {
    const net = await loadBackbone({
      arch: 'mobilenet_v2',
      weights: path.join(TORCH_FIX, 'mobilenet_v2.safetensors'),
      inputSize: 64,
    });
    const params = listParams(net.model, { aliases: net.aliases });
    const trainable = (rules: Array<{ unfreeze: string }>) =>
      planFreeze(params, { rules: [{ freeze: '**' }, ...rules] })
        .entries.filter((e) => e.trainable)
        .map((e) => e.name);
    expect(trainable([{ unfreeze: 'features.17' }, { unfreeze: 'classifier' }])).toEqual([
      'features.17.conv.0.0/kernel',
      'features.17.conv.0.1/gamma',
      'features.17.conv.0.1/beta',
      'features.17.conv.1.0/depthwise_kernel',
      'features.17.conv.1.1/gamma',
      'features.17.conv.1.1/beta',
      'features.17.conv.2/kernel',
      'features.17.conv.3/gamma',
      'features.17.conv.3/beta',
      'classifier.1/kernel',
      'classifier.1/bias',
    ]);
    const stage6 = trainable([{ unfreeze: 'stage6' }]);
    expect(stage6.filter((n) => !n.startsWith('features.17.') && !n.startsWith('features.18.'))).toEqual([]);
    expect(stage6).toContain('features.18.0/kernel');
    expect(trainable([{ unfreeze: 'features.18.1.weight' }])).toEqual(['features.18.1/gamma']);
    net.model.dispose();
  });
});

describe('architecture/weights mismatches (like load_state_dict(strict=True))', () => {
  const fail = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      return e as { code: string; file?: string; message: string; details: Record<string, string[]> };
    }
    throw new Error('expected a failure');
  };

  it('resnet50 weights as resnet18: missing, unexpected and wrongly shaped keys, all listed', async () => {
    const weights = path.join(TORCH_FIX, 'resnet50.safetensors');
    const e = await fail(() => loadBackbone({ arch: 'resnet18', weights, inputSize: 64 }));
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.file).toBe(weights);
    expect(e.details.unexpected).toContain('layer1.0.conv3.weight');
    expect(e.details.unexpected).toContain('layer3.5.bn2.running_var');
    expect(e.details.mismatched).toContain(
      'layer1.0.conv1.weight: checkpoint F32[4, 4, 1, 1] vs model [4, 4, 3, 3]',
    );
    expect(e.message).toMatch(/unexpected keys \(\d+\): /);
  });

  it('a different number of classes needs strict: false; mobilenet weights as a resnet are refused', async () => {
    const weights = path.join(TORCH_FIX, 'mobilenet_v2.pth');
    const classes = await fail(() =>
      loadBackbone({ arch: 'mobilenet_v2', weights, inputSize: 64, numClasses: 4 }),
    );
    expect(classes.code).toBe('WEIGHTS_MISMATCH');
    expect(classes.details.mismatched).toEqual([
      'classifier.1.weight: checkpoint F32[10, 1280] vs model [4, 1280]',
      'classifier.1.bias: checkpoint F32[10] vs model [4]',
    ]);
    expect(classes.message).toContain('strict: false');
    const ok = await loadBackbone({
      arch: 'mobilenet_v2',
      weights,
      inputSize: 64,
      numClasses: 4,
      strict: false,
    });
    expect(ok.model.outputs[0]!.shape).toEqual([null, 4]);
    ok.model.dispose();
    const wrong = await fail(() => loadBackbone({ arch: 'resnet34', weights, inputSize: 64, strict: false }));
    expect(wrong.code).toBe('WEIGHTS_MISMATCH');
    expect(wrong.details.missing).toContain('conv1.weight');
    const arch = await fail(() => loadBackbone({ arch: 'vgg16' as 'resnet18', weights }));
    expect(arch.code).toBe('UNKNOWN_MODEL');
  });

  it('includeTop: false outputs the pooled features and reports the unused classifier', async () => {
    const { x, logits } = await reference('resnet34');
    const features = await loadBackbone({
      arch: 'resnet34',
      weights: path.join(TORCH_FIX, 'resnet34.pth'),
      inputSize: 64,
      includeTop: false,
    });
    expect(features.model.outputs[0]!.shape).toEqual([null, 32]);
    expect(features.featureLayer).toBe('avgpool');
    expect(features.torch.report.unused).toEqual(['fc.weight', 'fc.bias']);
    // the features times torch's fc give torch's logits
    const r = await openCheckpoint(path.join(TORCH_FIX, 'resnet34.safetensors'));
    const [w, b] = [await r.readTensor('fc.weight'), await r.readTensor('fc.bias')];
    await r.close();
    const diff = tf.tidy(
      () =>
        tf
          .matMul(features.model.predict(x) as tf.Tensor2D, w as tf.Tensor2D, false, true)
          .add(b)
          .sub(logits)
          .abs()
          .max()
          .dataSync()[0]!,
    );
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([x, logits, w, b]);
    features.model.dispose();
  });

  it('timm-style files (no num_batches_tracked) and DataParallel `module.` prefixes load; timm deep stems are named', async () => {
    const { x, logits } = await reference('resnet50');
    const src = await openCheckpoint(path.join(TORCH_FIX, 'resnet50.safetensors'));
    const timm: Record<string, SafetensorsInput> = {};
    const parallel: Record<string, SafetensorsInput> = {};
    for (const k of src.keys()) {
      const w = await src.read(k);
      const t =
        w.dtype === 'float32'
          ? { dtype: 'F32' as const, shape: w.shape, data: w.data as Float32Array }
          : { dtype: 'I64' as const, shape: w.shape, data: w.data as Int32Array };
      if (!k.endsWith('num_batches_tracked')) timm[k] = t;
      parallel[`module.${k}`] = t;
    }
    await src.close();
    for (const bytes of [encodeSafetensors(timm), encodeSafetensors(parallel)]) {
      const b = await loadBackbone({ arch: 'resnet50', weights: bytes, inputSize: 64 });
      const diff = tf.tidy(() => (b.model.predict(x) as tf.Tensor).sub(logits).abs().max().dataSync()[0]!);
      expect(diff).toBeLessThan(1e-4);
      b.model.dispose();
    }
    const { 'conv1.weight': stem, ...rest } = timm;
    const deep = encodeSafetensors({ ...rest, 'conv1.0.weight': stem!, 'conv1.3.weight': stem! });
    const e = await fail(() => loadBackbone({ arch: 'resnet50', weights: deep, inputSize: 64 }));
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.details.missing).toEqual(['conv1.weight']);
    expect(e.message).toContain('timm deep-stem');
    tf.dispose([x, logits]);
  });
});
