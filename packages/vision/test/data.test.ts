import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augment, augmentation, mnistDataset, preprocessImages, toChannels } from '../src/index';
import { useBackend } from './helpers';

beforeAll(() => useBackend('cpu'));

describe('mnistDataset', () => {
  it('samples digits per class with labels as indices, seeded, from disjoint train/test pools', async () => {
    const a = await mnistDataset({ digits: [5, 6, 7], perClass: 10, valSplit: 0.2, seed: 1 });
    expect(a.classNames).toEqual(['5', '6', '7']);
    expect(a.train.x.shape).toEqual([24, 28, 28, 1]);
    expect(a.validation!.x.shape).toEqual([6, 28, 28, 1]);
    expect([...a.train.labels].sort()).toEqual([
      ...Array(8).fill(0),
      ...Array(8).fill(1),
      ...Array(8).fill(2),
    ]);
    expect(a.train.files.every((f) => /^mnist\/[567]\/\d+$/.test(f))).toBe(true);
    const max = a.train.x.max().dataSync()[0]!;
    expect(max).toBeGreaterThan(200);
    expect(max).toBeLessThanOrEqual(255);
    const b = await mnistDataset({ digits: [5, 6, 7], perClass: 10, valSplit: 0.2, seed: 1 });
    expect(b.train.files).toEqual(a.train.files);
    const test = await mnistDataset({ digits: [5, 6, 7], split: 'test', perClass: 50 });
    const idx = (f: string) => Number(f.split('/')[2]);
    expect(test.train.files.every((f) => idx(f) >= 800)).toBe(true);
    expect(a.train.files.every((f) => idx(f) < 800)).toBe(true);
    for (const d of [a, b, test]) d.dispose();
  });

  it('resizes and repeats gray to RGB for a backbone', async () => {
    const ds = await mnistDataset({ digits: [0, 1], perClass: 3, size: 32, channels: 3 });
    expect(ds.train.x.shape).toEqual([6, 32, 32, 3]);
    const [r, g, b] = tf.split(ds.train.x, 3, 3);
    expect(r!.sub(g!).abs().max().dataSync()[0]).toBe(0);
    expect(r!.sub(b!).abs().max().dataSync()[0]).toBe(0);
    ds.dispose();
    await expect(mnistDataset({ digits: [3] })).rejects.toMatchObject({ code: 'SINGLE_CLASS' });
  });
});

describe('preprocessing', () => {
  it('follows Keras: mobilenet to [-1, 1], caffe BGR minus ImageNet means, unit to [0, 1]', () => {
    const x = tf.tensor4d([0, 127.5, 255], [1, 1, 1, 3]);
    expect([...preprocessImages(x, 'mobilenet', 3).dataSync()]).toEqual([-1, 0, 1]);
    const caffe = [...preprocessImages(x, 'caffe', 3).dataSync()];
    for (const [i, v] of [255 - 103.939, 127.5 - 116.779, 0 - 123.68].entries())
      expect(caffe[i]).toBeCloseTo(v, 4);
    expect([...preprocessImages(x, 'unit', 3).dataSync()]).toEqual([0, 0.5, 1]);
    expect(() => preprocessImages(x, 'unit', 1)).toThrow(/1-channel images, got 3/);
    expect(toChannels(x, 1).dataSync()[0]).toBeCloseTo(0.587 * 127.5 + 0.114 * 255, 3);
  });
});

describe('augmentation', () => {
  it('flips, crops and rotates per sample, reproducibly from a seed', () => {
    const img = tf.tidy(() => tf.range(0, 64).reshape([1, 8, 8, 1]).tile([4, 1, 1, 1]) as tf.Tensor4D);
    const flipAll = augment(img, { flip: true, seed: 0 });
    expect(flipAll.shape).toEqual([4, 8, 8, 1]);
    // Each sample is either the image or its mirror.
    const mirrored = tf.reverse(img, 2);
    for (let i = 0; i < 4; i++) {
      const s = flipAll.slice([i, 0, 0, 0], [1, 8, 8, 1]);
      const same =
        s
          .sub(img.slice([i, 0, 0, 0], [1, 8, 8, 1]))
          .abs()
          .max()
          .dataSync()[0]! < 1e-4;
      const flipped =
        s
          .sub(mirrored.slice([i, 0, 0, 0], [1, 8, 8, 1]))
          .abs()
          .max()
          .dataSync()[0]! < 1e-4;
      expect(same || flipped).toBe(true);
    }
    const f1 = augmentation({ crop: 0.2, rotation: 10, flip: true, seed: 9 });
    const f2 = augmentation({ crop: 0.2, rotation: 10, flip: true, seed: 9 });
    const a = f1(img);
    const b = f2(img);
    expect(a.sub(b).abs().max().dataSync()[0]).toBe(0);
    const c = f1(img); // the stream moves on
    expect(c.sub(a).abs().max().dataSync()[0]).toBeGreaterThan(0);
    expect(augment(img).sub(img).abs().max().dataSync()[0]).toBe(0);
    expect(() => augmentation({ crop: 1.5 })).toThrow(/crop/);
    tf.dispose([flipAll, mirrored, a, b, c]);
  });
});
