import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFolder } from '../src/index';
import { useBackend } from './helpers';

let root: string;

/** A 12×10 image whose pixels encode its class and index, so rows can be matched exactly. */
async function png(cls: number, i: number): Promise<Buffer> {
  const w = 12;
  const h = 10;
  const raw = Buffer.alloc(w * h * 3);
  for (let p = 0; p < w * h; p++) {
    raw[p * 3] = 40 * cls + 10;
    raw[p * 3 + 1] = 7 * i;
    raw[p * 3 + 2] = (p * 3) % 256;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  await useBackend('cpu');
  root = mkdtempSync(path.join(tmpdir(), 'frostline-stream-'));
  for (const [cls, name] of ['ant', 'bee', 'cow'].entries()) {
    mkdirSync(path.join(root, name));
    for (let i = 0; i < 7 + cls; i++) writeFileSync(path.join(root, name, `${i}.png`), await png(cls, i));
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function collect(batches: AsyncIterable<{ x: tf.Tensor; y: tf.Tensor }>) {
  const xs: number[][] = [];
  const ys: number[] = [];
  for await (const b of batches) {
    const n = b.x.shape[0]!;
    tf.tidy(() => {
      xs.push(...(b.x.reshape([n, -1]).arraySync() as number[][]));
      ys.push(...(b.y.argMax(-1).arraySync() as number[]));
    });
    tf.dispose([b.x, b.y]);
  }
  return { xs, ys };
}

describe('imageFolder(root, { stream: true })', () => {
  it('lists, splits and orders exactly like the in-memory loader, decoding a batch at a time', async () => {
    const mem = await imageFolder(root, { size: 8, seed: 3, valSplit: 0.25 });
    const st = await imageFolder(root, { size: 8, seed: 3, valSplit: 0.25, stream: true, batchSize: 4 });
    expect(st.classNames).toEqual(mem.classNames);
    expect(st.train.files).toEqual(mem.train.files);
    expect(Array.from(st.train.labels)).toEqual(Array.from(mem.train.labels));
    expect(st.validation!.files).toEqual(mem.validation!.files);
    expect(st.report.classes).toEqual(mem.report.classes);
    expect(st.train.size).toBe(mem.train.x.shape[0]);

    const before = tf.memory().numTensors;
    const got = await collect(st.train.batches(0));
    expect(tf.memory().numTensors).toBe(before);
    expect(got.ys).toEqual(Array.from(mem.train.labels));
    expect(got.xs).toEqual(tf.tidy(() => mem.train.x.reshape([mem.train.x.shape[0]!, -1]).arraySync()));
    // A second pass gives the same rows (the default keeps the seeded order every epoch).
    expect((await collect(st.train.batches(1))).ys).toEqual(got.ys);
    mem.dispose();
  });

  it('reshuffles each epoch when asked, with the same multiset of rows', async () => {
    const st = await imageFolder(root, { size: 8, seed: 3, stream: true, batchSize: 5, shuffle: true });
    const a = (await collect(st.train.batches(0))).ys;
    const b = (await collect(st.train.batches(1))).ys;
    expect(a).not.toEqual(b);
    expect([...a].sort()).toEqual([...b].sort());
  });

  it('the identity names the content: same folder same identity; a touched, added or removed file changes it', async () => {
    const id = async () => (await imageFolder(root, { size: 8, stream: true })).train.identity;
    const first = await id();
    expect(await id()).toBe(first);
    expect((await imageFolder(root, { size: 9, stream: true })).train.identity).not.toBe(first);
    const f = path.join(root, 'ant', '0.png');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    const touched = await id();
    expect(touched).not.toBe(first);
    const extra = path.join(root, 'bee', 'extra.png');
    writeFileSync(extra, await png(1, 99));
    expect(await id()).not.toBe(touched);
    unlinkSync(extra);
    expect(await id()).toBe(touched);
    // Content identity ignores modification times.
    const c1 = (await imageFolder(root, { size: 8, stream: true, identity: 'content' })).train.identity;
    utimesSync(f, new Date(), new Date(Date.now() + 9000));
    expect((await imageFolder(root, { size: 8, stream: true, identity: 'content' })).train.identity).toBe(c1);
  });

  it('an image deleted after listing is skipped, reported, and the split size shrinks', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frostline-stream-del-'));
    try {
      for (const c of ['a', 'b']) {
        mkdirSync(path.join(dir, c));
        for (let i = 0; i < 4; i++)
          writeFileSync(path.join(dir, c, `${i}.png`), await png(c === 'a' ? 0 : 1, i));
      }
      const warnings: string[] = [];
      const st = await imageFolder(dir, {
        size: 8,
        stream: true,
        valSplit: 0,
        onWarning: (m) => warnings.push(m),
      });
      const victim = st.train.files[2]!;
      unlinkSync(victim);
      const got = await collect(st.train.batches(0));
      expect(got.ys).toHaveLength(7);
      expect(st.train.size).toBe(7);
      expect(st.report.skipped).toEqual([
        { file: victim, reason: expect.stringMatching(/removed after the folder was listed|cannot decode/) },
      ]);
      expect(warnings).toHaveLength(1);
      const strict = await imageFolder(dir, { size: 8, stream: true, valSplit: 0, strict: true });
      unlinkSync(strict.train.files[0]!);
      await expect(collect(strict.train.batches(0))).rejects.toMatchObject({ code: 'UNREADABLE_IMAGE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad streaming options are INVALID_OPTION', async () => {
    await expect(imageFolder(root, { stream: true, batchSize: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(imageFolder(root, { stream: true, prefetch: -1 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});
