import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listParams, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFolder, mobileNetV2, withHead } from '../src/index';
import { useBackend, weightBytes } from './helpers';

let work: string;

/** `n` PNGs of `px` pixels in two classes (red-ish / blue-ish with noise), written once per size. */
async function folder(n: number, px: number): Promise<string> {
  const root = path.join(work, `imgs-${n}-${px}`);
  for (const c of ['a', 'b']) mkdirSync(path.join(root, c), { recursive: true });
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(px * px * 3);
    for (let p = 0; p < raw.length; p++)
      raw[p] = ((p * 31 + i * 17) % 97) + (i % 2 ? (p % 3 === 2 ? 150 : 0) : p % 3 === 0 ? 150 : 0);
    writeFileSync(
      path.join(root, i % 2 ? 'b' : 'a', `${i}.png`),
      await sharp(raw, { raw: { width: px, height: px, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
  }
  return root;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'frostline-stream-mem-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('streaming image folders', () => {
  it('trains a head on a frozen MobileNetV2 from a streamed folder; frozen weights bit-identical; reused on a second run', async () => {
    await useBackend('wasm');
    const root = await folder(24, 40);
    const store = path.join(work, 'store');
    const net = withHead(mobileNetV2({ inputSize: 32, alpha: 0.35, seed: 2 }), { numClasses: 2, seed: 1 });
    const ds = await imageFolder(root, { backbone: net, stream: true, batchSize: 8, valSplit: 0.25 });
    const headLayers = new Set(net.stages.find((s) => s.name === 'head')!.layers);
    const frozen = listParams(net.model, { aliases: net.aliases }).filter(
      (p) => !headLayers.has(p.name.split('/')[0]!),
    );
    const before = weightBytes(net.model);
    const policy = { rules: [{ freeze: '**' }, { unfreeze: 'head' }] };
    const run = () =>
      train(
        net,
        { train: ds.train, validation: ds.validation! },
        { epochs: 2, batchSize: 8, policy, cache: { dir: store } },
      );
    const first = await run();
    expect(first.cache).toMatchObject({ status: 'used', builds: 1 });
    expect(first.history[1]!.val_acc).toBeDefined();
    const after = weightBytes(net.model);
    let changed = 0;
    for (const [k, v] of before) {
      const isHead = headLayers.has(k.split('/')[0]!);
      const same = v.every((x, i) => x === after.get(k)![i]);
      if (isHead && !same) changed++;
      if (!isHead) expect(same, k).toBe(true);
    }
    expect(changed).toBeGreaterThan(0);
    expect(frozen.length).toBeGreaterThan(50);
    const second = await run();
    expect(second.cache).toMatchObject({ status: 'reused', builds: 0 });
    net.model.dispose();
  });

  it('peak memory of a streamed run stays flat as the folder grows (the in-memory path grows with it)', async () => {
    const px = 96;
    const small = await folder(200, px);
    const large = await folder(800, px);
    const child = path.join(import.meta.dirname, 'fixtures', 'stream-rss-child.ts');
    const rss = (mode: string, dir: string) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          ['--import', 'tsx', child, mode, dir, path.join(work, `store-${mode}-${path.basename(dir)}`)],
          {
            encoding: 'utf8',
            cwd: path.join(import.meta.dirname, '..'),
          },
        )
          .trim()
          .split('\n')
          .at(-1)!,
      ).maxRssMB as number;
    const stream = [rss('stream', small), rss('stream', large)];
    const memory = [rss('memory', small), rss('memory', large)];
    console.log(
      `peak RSS MB, 200 → 800 images of ${px} px: streaming ${stream.map((v) => v.toFixed(0)).join(' → ')}, in memory ${memory.map((v) => v.toFixed(0)).join(' → ')}`,
    );
    // 600 more 96-px images are 600 × 96 × 96 × 3 × 4 B = 66 MB of float32 pixels: the in-memory path must
    // show that growth (so the test can tell the two apart); the streamed run holds a few batches only.
    expect(memory[1]! - memory[0]!).toBeGreaterThan(50);
    expect(stream[1]! - stream[0]!).toBeLessThan(35);
  });
});
