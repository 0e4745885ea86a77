import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { oneErrorLine, runCli } from './helpers/cli';
import { tempDir } from './helpers/configs';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const TINY_BERT = fileURLToPath(new URL('../../nlp/test/fixtures/tiny-bert', import.meta.url));

describe('frostline plan on real models', () => {
  it('a built-in pretrained backbone (MobileNetV2 from nsfwjs): stages as selectors', async () => {
    const r = await runCli(['plan', 'mobilenet_v2', '--policy', fx('last-stage.yaml'), '--json']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.model.kind).toBe('backbone');
    expect(out.stages.length).toBeGreaterThan(3);
    expect(out.summary.totalParams).toBeGreaterThan(2_000_000);
    expect(out.summary.trainableParams).toBeGreaterThan(0);
    expect(out.summary.trainableParams).toBeLessThan(out.summary.totalParams);
  });

  it("the seed's ResNet50 case: built-in classifier `fc`, replaced by --num-classes, plans as written", async () => {
    const dir = tempDir('seed');
    const { writeFileSync } = await import('node:fs');
    const seed = join(dir, 'seed.yaml');
    writeFileSync(seed, "rules:\n  - freeze: '**'\n  - unfreeze: layer4\n  - unfreeze: fc\n");
    const ten = await runCli(['plan', 'resnet50', '--policy', seed, '--num-classes', '10', '--json']);
    expect(ten.stderr).toBe('');
    const out = JSON.parse(ten.stdout);
    // Keras-layout ResNet50: conv5 (layer4) 14,976,000 trainable (convs with biases, BN gamma/beta)
    // + a 10-class fc (2048 × 10 + 10 = 20,490).
    expect(out.summary.trainableParams).toBe(14_996_490);
    expect(out.stages.map((s: { name: string }) => s.name)).toEqual([
      'stem',
      'stage1',
      'stage2',
      'stage3',
      'stage4',
      'head',
    ]);
    expect(out.layers.find((l: { name: string }) => l.name === 'fc')).toMatchObject({
      params: 20_490,
      state: 'trainable',
    });
    // Without --num-classes the classifier is torchvision's: 1000 classes (2,049,000 parameters).
    const full = JSON.parse((await runCli(['plan', 'resnet50', '--policy', seed, '--json'])).stdout);
    expect(full.summary.trainableParams).toBe(14_976_000 + 2_049_000);
    // The same plan for export: the PyTorch snippet unfreezes the fc parameters.
    const py = await runCli([
      'export',
      '--policy',
      seed,
      '--model',
      'resnet50',
      '--num-classes',
      '10',
      '--to',
      'pytorch',
    ]);
    expect(py.code).toBe(0);
    expect(py.stdout).toContain('fc');
  });

  it('a folder with model.json (a TF.js layers model saved by @frostline/tfjs)', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { saveModel } = await import('@frostline/tfjs');
    const dir = join(tempDir('modeljson'), 'model');
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [4], name: 'fc1' }),
        tf.layers.dense({ units: 2, name: 'fc2' }),
      ],
    });
    await saveModel(model, dir);
    model.dispose();
    const r = await runCli(['plan', dir, '--policy', fx('freeze-fc1.yaml'), '--json']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.model).toEqual({ name: 'model', kind: 'model-json' });
    expect(out.summary).toMatchObject({ totalParams: 58, trainableParams: 18 });
    const table = await runCli(['plan', join(dir, 'model.json'), '--policy', fx('freeze-fc1.yaml')]);
    expect(table.stdout).toMatch(/fc1.*frozen/);
  });

  it.skipIf(!existsSync(TINY_BERT))(
    'a Hugging Face folder (tiny BERT): encoder parameters are fixed, unfreezing them fails',
    async () => {
      const r = await runCli(['plan', TINY_BERT, '--policy', fx('freeze-encoder.yaml'), '--json']);
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout);
      expect(out.model.kind).toBe('huggingface');
      expect(out.summary.totalParams).toBeGreaterThan(10_000);
      expect(out.summary.trainableParams).toBe(0);
      const dir = tempDir('unfreeze');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'p.yaml'), 'rules:\n  - unfreeze: "**"\n');
      const bad = await runCli(['plan', TINY_BERT, '--policy', join(dir, 'p.yaml')]);
      expect(bad.code).toBe(2);
      expect(oneErrorLine(bad.stderr)).toMatch(/FIXED|fixed|inference-only/);
    },
  );

  it('a folder that is neither', async () => {
    const r = await runCli(['plan', tempDir('empty'), '--policy', fx('freeze-fc1.yaml')]);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r.stderr)).toMatch(/neither model\.json .* nor config\.json/);
  });
});
