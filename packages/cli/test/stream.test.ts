import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { tempDir, writeConfig } from './helpers/configs';

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { type: string; status?: string; split?: string; rows?: number; total?: number },
    );

/** Streamed image folders and the feature cache, as a user of `frostline train` and `frostline cache` meets them. */
describe('frostline train on a streamed folder, frostline cache', () => {
  let dir: string;
  let store: string;
  const saved = process.env.FROSTLINE_CACHE_DIR;
  beforeAll(async () => {
    dir = tempDir('stream');
    store = join(dir, 'feature-cache');
    process.env.FROSTLINE_CACHE_DIR = store;
    const sharp = (await import('sharp')).default;
    for (const [name, rgb] of Object.entries({ red: [220, 30, 30], blue: [30, 30, 220] })) {
      mkdirSync(join(dir, 'images', name), { recursive: true });
      for (let i = 0; i < 8; i++) {
        await sharp({
          create: {
            width: 40,
            height: 40,
            channels: 3,
            background: { r: rgb[0]! - 10 * i, g: 10 * i, b: rgb[2]! },
          },
        })
          .png()
          .toFile(join(dir, 'images', name, `${i}.png`));
      }
    }
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.FROSTLINE_CACHE_DIR;
    else process.env.FROSTLINE_CACHE_DIR = saved;
  });

  const config = (output: string) =>
    writeConfig(
      dir,
      {
        task: 'image-classification',
        backbone: { name: 'mobilenet_v2', inputSize: 32 },
        dataset: { imageFolder: 'images', validationSplit: 0.25, stream: true },
        policy: { rules: [{ freeze: '**' }, { unfreeze: 'head' }] },
        epochs: 2,
        batchSize: 4,
        output,
      },
      `${output}.yaml`,
    );

  it('streams, extracts the frozen features once, and a second run reuses them (no extraction)', async () => {
    const first = await runCli(['train', '--config', config('run1'), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const e1 = events(first.stdout);
    const extract = e1.filter((e) => e.type === 'extract');
    expect(extract.filter((e) => e.split === 'train').at(-1)).toMatchObject({ rows: 12, total: 12 });
    expect(extract.filter((e) => e.split === 'validation').at(-1)).toMatchObject({ rows: 4, total: 4 });
    expect(e1.find((e) => e.type === 'cache')).toMatchObject({ status: 'built' });
    expect(e1.at(-1)).toMatchObject({ type: 'done', ok: true, status: 'completed' });

    const second = await runCli(['train', '--config', config('run2'), '--json']);
    expect(second.code, second.stderr).toBe(0);
    const e2 = events(second.stdout);
    expect(e2.some((e) => e.type === 'extract')).toBe(false);
    expect(e2.find((e) => e.type === 'cache')).toMatchObject({ status: 'reused' });
  });

  it('frostline cache ls lists the entries, cache clear frees them', async () => {
    const ls = await runCli(['cache', 'ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const listed = JSON.parse(ls.stdout) as {
      dir: string;
      entries: Array<{ key: string; rows: number; describe: { split: string } }>;
    };
    expect(listed.dir).toBe(store);
    expect(listed.entries.map((e) => [e.describe.split, e.rows]).sort()).toEqual([
      ['train', 12],
      ['validation', 4],
    ]);
    const text = await runCli(['cache', 'ls']);
    expect(text.stdout).toMatch(/feature cache .*: 2 entries/);
    const bad = await runCli(['cache', 'clear', 'f'.repeat(32)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no feature-cache entry 'f{32}'/);
    const clear = await runCli(['cache', 'clear', listed.entries[0]!.key]);
    expect(clear.stdout).toMatch(/removed 1 entry/);
    const all = await runCli(['cache', 'clear', '--json']);
    expect(JSON.parse(all.stdout)).toMatchObject({ ok: true, removed: 1 });
    expect(JSON.parse((await runCli(['cache', 'ls', '--json'])).stdout).entries).toEqual([]);
  });

  it('frostline cache without ls/clear is a usage error (exit 2)', async () => {
    const r = await runCli(['cache']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs 'ls' or 'clear'/);
    expect((await runCli(['cache', 'purge'])).stderr).toMatch(/got 'purge'/);
  });
});
