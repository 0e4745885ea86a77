import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCompatible, decodeImage, imageFolder, mobileNetV2, VisionError, withHead } from '../src/index';
import { useBackend } from './helpers';

let root: string;
const colours: Record<string, [number, number, number]> = {
  cat: [200, 40, 40],
  dog: [40, 200, 40],
  fox: [40, 40, 200],
};

async function image(rgb: [number, number, number], format: 'png' | 'jpeg', size = 20): Promise<Buffer> {
  const img = sharp({
    create: { width: size, height: size + 4, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

beforeAll(async () => {
  await useBackend('cpu');
  root = mkdtempSync(path.join(tmpdir(), 'frostline-imagefolder-'));
  const good = path.join(root, 'good');
  for (const [name, rgb] of Object.entries(colours)) {
    mkdirSync(path.join(good, name), { recursive: true });
    for (let i = 0; i < 5; i++) {
      const format = i % 2 ? 'jpeg' : 'png';
      writeFileSync(
        path.join(good, name, `${i}.${format === 'png' ? 'png' : 'jpg'}`),
        await image(rgb, format),
      );
    }
  }
  // A file that is not an image at all, a truncated PNG, and a stray non-image file.
  writeFileSync(path.join(good, 'cat', 'corrupt.jpg'), Buffer.from('definitely not a jpeg'));
  const png = await image([1, 2, 3], 'png', 64);
  writeFileSync(path.join(good, 'dog', 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
  writeFileSync(path.join(good, 'fox', 'notes.txt'), 'ignored');
  writeFileSync(path.join(good, 'README.md'), 'ignored');

  mkdirSync(path.join(root, 'empty', 'a'), { recursive: true });
  mkdirSync(path.join(root, 'empty', 'b'), { recursive: true });
  writeFileSync(path.join(root, 'empty', 'a', '0.png'), await image([0, 0, 0], 'png'));
  mkdirSync(path.join(root, 'single', 'only'), { recursive: true });
  writeFileSync(path.join(root, 'single', 'only', '0.png'), await image([0, 0, 0], 'png'));
  mkdirSync(path.join(root, 'gray', 'a'), { recursive: true });
  writeFileSync(
    path.join(root, 'gray', 'a', 'g.png'),
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .greyscale()
      .png()
      .toBuffer(),
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('imageFolder', () => {
  it('reads PNG and JPEG class folders, skips unreadable files with a warning and reports them', async () => {
    const warnings: string[] = [];
    const ds = await imageFolder(path.join(root, 'good'), {
      size: 16,
      valSplit: 0.4,
      seed: 3,
      onWarning: (m) => warnings.push(m),
    });
    expect(ds.classNames).toEqual(['cat', 'dog', 'fox']);
    expect(ds.report.total).toBe(17);
    expect(ds.report.loaded).toBe(15);
    expect(ds.report.skipped.map((s) => path.basename(s.file))).toEqual(['corrupt.jpg', 'truncated.png']);
    expect(warnings).toHaveLength(2);
    expect(ds.report.ignored.map((f) => path.basename(f)).sort()).toEqual(['README.md', 'notes.txt']);
    // Stratified: 2 of each class's 5 readable images in validation.
    expect(ds.report.classes.map((c) => [c.name, c.train, c.validation])).toEqual([
      ['cat', 3, 2],
      ['dog', 3, 2],
      ['fox', 3, 2],
    ]);
    expect(ds.train.x.shape).toEqual([9, 16, 16, 3]);
    expect(ds.validation!.x.shape).toEqual([6, 16, 16, 3]);
    expect(ds.train.y.shape).toEqual([9, 3]);
    // Pixels are the class colours (JPEG within a few levels), labels follow the folders.
    const px = ds.train.x.slice([0, 8, 8, 0], [9, 1, 1, 3]).reshape([9, 3]).arraySync() as number[][];
    ds.train.labels.forEach((label, i) => {
      const want = colours[ds.classNames[label]!]!;
      for (const [c, v] of want.entries()) expect(Math.abs(px[i]![c]! - v)).toBeLessThan(6);
    });
    // Same seed, same split and order.
    const again = await imageFolder(path.join(root, 'good'), {
      size: 16,
      valSplit: 0.4,
      seed: 3,
      onWarning: () => {},
    });
    expect(again.train.files).toEqual(ds.train.files);
    ds.dispose();
    again.dispose();
  });

  it('throws UNREADABLE_IMAGE in strict mode', async () => {
    await expect(imageFolder(path.join(root, 'good'), { size: 8, strict: true })).rejects.toMatchObject({
      code: 'UNREADABLE_IMAGE',
    });
  });

  it('gives clear errors for an empty class, a single class, a class mismatch and wrong channels', async () => {
    await expect(imageFolder(path.join(root, 'empty'), { size: 8 })).rejects.toMatchObject({
      code: 'EMPTY_CLASS',
    });
    await expect(imageFolder(path.join(root, 'single'), { size: 8 })).rejects.toMatchObject({
      code: 'SINGLE_CLASS',
    });
    await expect(
      imageFolder(path.join(root, 'good'), {
        size: 8,
        classNames: ['cat', 'dog', 'wolf'],
        onWarning: () => {},
      }),
    ).rejects.toThrow(/missing: wolf; unexpected: fox/);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    await expect(imageFolder(path.join(root, 'good'), { channels: 4 as any })).rejects.toMatchObject({
      code: 'CHANNEL_MISMATCH',
    });
    await expect(imageFolder(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'NO_IMAGES' });

    const backbone = mobileNetV2({ inputSize: 32, alpha: 0.35 });
    await expect(imageFolder(path.join(root, 'good'), { backbone, channels: 1 })).rejects.toMatchObject({
      code: 'CHANNEL_MISMATCH',
    });
    const ds = await imageFolder(path.join(root, 'good'), { backbone, onWarning: () => {} });
    expect(ds.preprocessed).toBe(true);
    expect(ds.train.x.shape.slice(1)).toEqual([32, 32, 3]);
    expect(Math.min(...ds.train.x.dataSync())).toBeGreaterThanOrEqual(-1);
    const twoClasses = withHead(backbone, { numClasses: 2 });
    expect(() => checkCompatible(twoClasses, ds)).toThrow(VisionError);
    expect(() => checkCompatible(twoClasses, ds)).toThrow(/predicts 2 classes but the dataset has 3/);
    checkCompatible(withHead(backbone, { numClasses: 3 }), ds);
    expect(() => checkCompatible(backbone, ds)).toThrow(/feature map/);
    const gray = tf.zeros([1, 32, 32, 1]) as tf.Tensor4D;
    expect(() => backbone.preprocess(gray)).toThrow(/takes 3-channel images, got 1/);
    gray.dispose();
    ds.dispose();
    backbone.model.dispose();
  });

  it('decodes a gray PNG to RGB or gray', async () => {
    const file = path.join(root, 'gray', 'a', 'g.png');
    const rgb = await decodeImage(file, { size: 4 });
    expect(rgb.shape).toEqual([4, 4, 3]);
    expect([...rgb.dataSync()].every((v) => Math.abs(v - 90) < 2)).toBe(true);
    const g = await decodeImage(file, { channels: 1 });
    expect(g.shape).toEqual([8, 8, 1]);
    tf.dispose([rgb, g]);
    await expect(decodeImage(Buffer.from('nope'))).rejects.toMatchObject({ code: 'UNREADABLE_IMAGE' });
  });
});
