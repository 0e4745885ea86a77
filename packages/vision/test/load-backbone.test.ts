import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { saveModel } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone, mobileNetV1, PRETRAINED_URLS, resNet18 } from '../src/index';
import { requirePeer } from '../src/peers';
import { useBackend } from './helpers';

beforeAll(() => useBackend('cpu'));

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

describe('loadBackbone', () => {
  it('loads in-memory artifacts, detects a Keras MobileNetV1 and its stages, keeps the weights', async () => {
    const src = mobileNetV1({ inputSize: 32, alpha: 0.25, includeTop: true, classes: 7, seed: 1 });
    const b = await loadBackbone(await artifactsOf(src.model));
    expect(b.name).toBe('mobilenet_v1');
    expect(b.preprocessing).toBe('mobilenet');
    expect(b.stages).toEqual(src.stages);
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 2);
    const diff = tf.tidy(() =>
      (b.model.predict(x) as tf.Tensor)
        .sub(src.model.predict(x) as tf.Tensor)
        .abs()
        .max(),
    );
    expect(diff.dataSync()[0]).toBe(0);

    const features = await loadBackbone(await artifactsOf(src.model), { includeTop: false });
    expect(features.featureLayer).toBe('conv_pw_13_relu');
    expect(features.model.outputs[0]!.shape).toEqual([null, 1, 1, 256]);
    expect(features.stages.map((s) => s.name)).not.toContain('head');
    tf.dispose([x, diff]);
    for (const m of [src.model, b.model, features.model]) m.dispose();
  });

  it('reads a local folder with model.json and changes the input size', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frostline-load-'));
    try {
      const src = resNet18({ inputSize: 64, seed: 2 });
      await saveModel(src.model, dir);
      const b = await loadBackbone(dir, { inputSize: 96 });
      expect(b.name).toBe('resnet18');
      expect(b.preprocessing).toBe('caffe');
      expect(b.inputShape).toEqual([96, 96, 3]);
      expect(b.stages.map((s) => [s.name, s.aliases[0]])).toEqual([
        ['stem', 'conv1'],
        ['stage1', 'layer1'],
        ['stage2', 'layer2'],
        ['stage3', 'layer3'],
        ['stage4', 'layer4'],
      ]);
      const w = (m: tf.LayersModel) => m.getLayer('conv5_block2_2_conv').getWeights()[0]!.dataSync();
      expect(Buffer.from(w(b.model).buffer).equals(Buffer.from(w(src.model).buffer))).toBe(true);
      await expect(loadBackbone(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'LOAD_FAILED' });
      src.model.dispose();
      b.model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives an unknown model a body stage and a head', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: 'c1' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 2, name: 'out' }),
      ],
    });
    const b = await loadBackbone(await artifactsOf(m));
    expect(b.stages.map((s) => [s.name, s.layers])).toEqual([
      ['stage1', ['c1']],
      ['head', ['flat', 'out']],
    ]);
    expect(b.featureLayer).toBe('c1');
    m.dispose();
    b.model.dispose();
  });

  it('knows the public TF.js MobileNet URLs (never fetched in tests)', () => {
    expect(PRETRAINED_URLS['mobilenet_v1_0.25_224']).toBe(
      'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json',
    );
    expect(Object.keys(PRETRAINED_URLS)).toHaveLength(16);
  });
});

describe('optional peers', () => {
  it('a missing peer is a VisionError naming the package to install', async () => {
    await expect(requirePeer('frostline-not-installed/x', 'this feature', '1.0.0')).rejects.toMatchObject({
      code: 'MISSING_PEER',
      hint: 'npm install frostline-not-installed@1.0.0',
    });
  });
});
