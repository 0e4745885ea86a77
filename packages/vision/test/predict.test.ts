import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained, mnistDataset, predictImages } from '../src';
import { useBackend } from './helpers';

describe('predictImages', () => {
  beforeAll(() => useBackend('wasm'));

  it('classifies real MNIST test digits on onnxruntime with the same answers as model.predict, leak-free', async () => {
    const backbone = await loadPretrained('mnist-cnn'); // pretrained on digits 0–4, with its classifier
    const data = await mnistDataset({ digits: [0, 1, 2, 3, 4], split: 'test', perClass: 6, seed: 2 });
    const before = tf.memory().numTensors;
    const r = await predictImages(backbone, data.train.x, { classNames: data.classNames, batchSize: 8 });
    expect(r.engine.name).toBe('onnxruntime');
    expect(r.engine.guard?.ok).toBe(true);
    const want = tf.tidy(() =>
      (backbone.model.predict(backbone.preprocess(data.train.x)) as tf.Tensor).argMax(-1),
    );
    expect(r.labels).toEqual(Array.from(want.dataSync()));
    expect(r.classes).toEqual(r.labels.map((l) => data.classNames[l]));
    // The shipped CNN knows these digits: most answers are right.
    const right = r.labels.filter((l, i) => l === data.train.labels[i]).length;
    expect(right).toBeGreaterThanOrEqual(27);
    tf.dispose([r.probabilities, want]);
    expect(tf.memory().numTensors).toBe(before);
    data.dispose();
    backbone.model.dispose();
  });
});
