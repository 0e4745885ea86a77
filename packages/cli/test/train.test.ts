import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { oneErrorLine, runCli } from './helpers/cli';
import { mnistConfig, tempDir, writeConfig } from './helpers/configs';

const TINY_BERT = fileURLToPath(new URL('../../nlp/test/fixtures/tiny-bert', import.meta.url));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe('frostline train (in-process, real TF.js)', () => {
  it('trains a head on MNIST digits and writes model, metrics, plans, report, checkpoint', async () => {
    const dir = tempDir('train');
    const config = writeConfig(dir, mnistConfig());
    const r = await runCli(['train', '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^epoch 1\/2 {2}loss \d/m);
    expect(r.stdout).toMatch(/^epoch 2\/2 {2}loss \d/m);
    expect(r.stdout).toContain('done: 2 epochs');
    const out = join(dir, 'out');
    for (const f of [
      'model/model.json',
      'model/weights.bin',
      'metrics.json',
      'plans.json',
      'report.html',
      'checkpoint/frostline.json',
      'config.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const metrics = readJson(join(out, 'metrics.json'));
    expect(metrics.status).toBe('completed');
    expect(metrics.epochs).toHaveLength(2);
    expect(metrics.epochs[0]).toMatchObject({
      epoch: 0,
      loss: expect.any(Number),
      valAcc: expect.any(Number),
    });
    const plans = readJson(join(out, 'plans.json')).plans;
    expect(plans).toHaveLength(2);
    expect(plans[0].summary.trainableParams).toBeGreaterThan(0);
    expect(plans[0].summary.frozenParams).toBeGreaterThan(0);
    expect(plans[0].summary.trainableParams).toBeLessThan(plans[0].summary.totalParams);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-series="loss-train" data-points="2"');
    expect(html).toContain('data-series="acc-val" data-points="2"');
    // The saved model is the standard TF.js layers format.
    const modelJson = readJson(join(out, 'model', 'model.json'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
  });

  it('stops cleanly on abort after an epoch, then --resume continues to the end', async () => {
    const dir = tempDir('resume');
    const config = writeConfig(dir, mnistConfig({ epochs: 3 }));
    const controller = new AbortController();
    // Abort as soon as the first epoch's line is printed (the checkpoint of epoch 1 follows it).
    const stdout = {
      text: '',
      isTTY: false,
      write(s: string) {
        this.text += s;
        if (/^epoch 1\/3/m.test(this.text)) controller.abort();
        return true;
      },
    };
    const { main } = await import('../src/main');
    const stderr = {
      text: '',
      write(s: string) {
        this.text += s;
        return true;
      },
    };
    const code = await main(['train', '--config', config], {
      stdout,
      stderr,
      env: {},
      signal: controller.signal,
    });
    expect(stderr.text).toBe('');
    expect(code).toBe(130);
    expect(stdout.text).toMatch(/interrupted after \d epochs?: checkpoint saved/);
    const out = join(dir, 'out');
    const ckpt = readJson(join(out, 'checkpoint', 'frostline.json'));
    expect(ckpt.epoch).toBeGreaterThanOrEqual(1);
    expect(ckpt.epoch).toBeLessThan(3);
    expect(readJson(join(out, 'metrics.json')).status).toBe('interrupted');
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    const resumed = await runCli(['train', '--resume', out]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming at epoch ${ckpt.epoch + 1}`);
    const metrics = readJson(join(out, 'metrics.json'));
    expect(metrics.status).toBe('completed');
    expect(metrics.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([0, 1, 2]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
      'data-series="loss-train" data-points="3"',
    );
  });

  it('an ImageFolder dataset (PNG files decoded with sharp), MobileNetV2 at 32×32', async () => {
    const dir = tempDir('folder');
    const sharp = (await import('sharp')).default;
    const colors: Record<string, [number, number, number]> = { red: [220, 30, 30], blue: [30, 30, 220] };
    for (const [name, [r, g, b]] of Object.entries(colors)) {
      mkdirSync(join(dir, 'images', name), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const shade = 20 * i;
        await sharp({
          create: {
            width: 40,
            height: 40,
            channels: 3,
            background: { r: Math.max(0, r - shade), g: g + shade, b },
          },
        })
          .png()
          .toFile(join(dir, 'images', name, `${i}.png`));
      }
    }
    const config = writeConfig(dir, {
      task: 'image-classification',
      backbone: { name: 'mobilenet_v2', inputSize: 32 },
      dataset: { imageFolder: 'images', validationSplit: 0.34 },
      policy: { rules: [{ freeze: '**' }, { unfreeze: 'head' }] },
      epochs: 1,
      batchSize: 4,
      output: 'out',
    });
    const r = await runCli(['train', '--config', config, '--json']);
    expect(r.code).toBe(0);
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(done).toMatchObject({ type: 'done', status: 'completed', epochs: 1 });
    const run = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(run).toContain('2 classes (blue, red)');
  });

  it('--json prints one JSON event per line and a final done object', async () => {
    const dir = tempDir('json');
    const config = writeConfig(dir, mnistConfig({ epochs: 1 }));
    const r = await runCli(['train', '--config', config, '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const types = events.map((e) => e.type);
    expect(types).toContain('start');
    expect(types).toContain('plan');
    expect(types).toContain('batchEnd');
    expect(types.filter((t) => t === 'epochEnd')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'done', ok: true, status: 'completed', epochs: 1 });
    expect(events.at(-1).files.report).toBe(join(dir, 'out', 'report.html'));
  });

  it.skipIf(!existsSync(TINY_BERT))(
    'text-classification: tiny BERT (transformers.js) encoder frozen, head trained on a CSV',
    async () => {
      const dir = tempDir('text');
      const rows = ['text,label'];
      const good = ['good', 'great', 'nice', 'happy', 'love', 'fine'];
      const bad = ['bad', 'awful', 'sad', 'hate', 'poor', 'ugly'];
      for (let i = 0; i < 12; i++) {
        rows.push(`"a ${good[i % 6]} movie, very ${good[(i + 1) % 6]}",pos`);
        rows.push(`"a ${bad[i % 6]} movie, very ${bad[(i + 1) % 6]}",neg`);
      }
      writeFileSync(join(dir, 'reviews.csv'), `${rows.join('\n')}\n`);
      const config = writeConfig(dir, {
        task: 'text-classification',
        encoder: { kind: 'transformers', model: TINY_BERT, pooling: 'mean' },
        dataset: { csv: 'reviews.csv', validationSplit: 0.25 },
        epochs: 2,
        batchSize: 8,
        learningRate: 0.05,
        output: 'out',
      });
      const r = await runCli(['train', '--config', config]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = join(dir, 'out');
      const plans = readJson(join(out, 'plans.json')).plans;
      expect(plans).toHaveLength(2);
      const s = plans[0].summary;
      // The encoder's parameters are in the plan, frozen; only the head trains.
      expect(s.frozenParams).toBeGreaterThan(10_000);
      expect(s.trainableParams).toBeGreaterThan(0);
      expect(s.trainableParams).toBeLessThan(1_000);
      expect(readJson(join(out, 'metrics.json')).epochs).toHaveLength(2);
      expect(existsSync(join(out, 'model', 'model.json'))).toBe(true);
      // Text runs checkpoint every epoch too, and --resume continues them.
      expect(readJson(join(out, 'checkpoint', 'frostline.json')).epoch).toBe(2);
      writeFileSync(join(dir, 'more.yaml'), readFileSync(config, 'utf8').replace('epochs: 2', 'epochs: 4'));
      const more = await runCli(['train', '--config', join(dir, 'more.yaml'), '--resume', out]);
      expect(more.stderr).toBe('');
      expect(more.code).toBe(0);
      expect(readJson(join(out, 'metrics.json')).epochs.map((e: { epoch: number }) => e.epoch)).toEqual([
        0, 1, 2, 3,
      ]);
      expect(readJson(join(out, 'checkpoint', 'frostline.json')).epoch).toBe(4);
    },
  );

  it('bad configs: exit 2 and one line', async () => {
    const dir = tempDir('bad');
    const cases: Array<[Record<string, unknown> | string, RegExp]> = [
      [mnistConfig({ backbone: 'resnet5' }), /unknown backbone 'resnet5' \(did you mean 'resnet50'\?\)/],
      [
        mnistConfig({ dataset: { imageFolder: './no-such-folder' } }),
        /dataset\.imageFolder: folder not found: \.\/no-such-folder/,
      ],
      [
        mnistConfig({ policy: { rules: [{ freeze: 'haed' }] } }),
        /run\.yaml: policy\.rules\[0\]\.freeze: selector `haed` matches no parameter\. Did you mean `head/,
      ],
      [
        'task: image-classification\ndataset:\n  mnist: {digits: [5, 6], perClass: 3\nepochs: 1\n',
        /run\.yaml:4:1: malformed YAML/,
      ],
      [mnistConfig({ epochs: 0 }), /run\.yaml: epochs: expected an integer ≥ 1, got number 0/],
      [mnistConfig({ batchsize: 4 }), /run\.yaml: batchsize: unknown key \(did you mean 'batchSize'\?\)/],
    ];
    for (const [config, message] of cases) {
      const path = typeof config === 'string' ? join(dir, 'run.yaml') : writeConfig(dir, config);
      if (typeof config === 'string') (await import('node:fs')).writeFileSync(path, config);
      const r = await runCli(['train', '--config', path]);
      expect(r.code, String(message)).toBe(2);
      expect(oneErrorLine(r.stderr)).toMatch(message);
    }
  });
});
