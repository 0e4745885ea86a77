import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { selectBackend, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { weightBytes } from './helpers';

/**
 * The Keras InceptionV3 shipped in nsfwjs@4.3.0: all 94 of its BatchNormalization layers are built
 * with `scale: false`, which TF.js 4.22 cannot differentiate through (#2868). "Freeze all but the last
 * Inception block + a new head" must train on it, with the activation cache off and on. Run at 75×75
 * (InceptionV3's smallest input) to keep the test short; the weights are the shipped ones.
 */
const SIZE = 75;
let artifacts: tf.io.ModelArtifacts;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
  const req = createRequire(import.meta.url);
  const dir = path.join(
    path.dirname(req.resolve('nsfwjs/models/mobilenet_v2')),
    '..',
    '..',
    'models',
    'inception_v3',
  );
  const json = req(path.join(dir, 'model.min.js')) as tf.io.ModelJSON;
  // Each shard is a CommonJS module exporting a base64 string; cut it out instead of compiling it.
  const shards = [1, 2, 3, 4, 5, 6].map((i) => {
    const text = readFileSync(path.join(dir, `group1-shard${i}of6.min.js`), 'utf8');
    return Buffer.from(/exports\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(text)![1]!, 'base64');
  });
  const all = Buffer.concat(shards);
  // Keep the convolutional part (up to `mixed10`) at 75×75; the 8×8 average pool and nsfwjs' head go.
  type LayerJson = { name: string; config: Record<string, unknown> };
  type Topology = { model_config: { config: { layers: LayerJson[]; output_layers: unknown } } };
  const topology = structuredClone(json.modelTopology) as Topology;
  const config = topology.model_config.config;
  config.layers = config.layers.slice(0, config.layers.findIndex((l) => l.name === 'mixed10') + 1);
  config.layers[0]!.config.batch_input_shape = [null, SIZE, SIZE, 3];
  config.output_layers = [['mixed10', 0, 0]];
  artifacts = {
    modelTopology: topology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
});

async function inceptionWithNewHead(): Promise<{ model: tf.LayersModel; lastBlock: string[]; base: string }> {
  const base = await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: false });
  const bns = base.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  expect(bns).toHaveLength(94);
  expect(bns.every((l) => (l.getConfig() as { scale: boolean }).scale === false)).toBe(true);
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  const features = base.apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(features) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 2, activation: 'softmax', name: 'head' })
    .apply(pooled) as tf.SymbolicTensor;
  const names = base.layers.map((l) => l.name);
  const lastBlock = names.slice(names.indexOf('mixed9') + 1);
  return { model: tf.model({ inputs: input, outputs: out }), lastBlock, base: base.name };
}

describe('InceptionV3 (nsfwjs@4.3.0) with scale-free BatchNormalization', () => {
  for (const cache of ['off', 'auto'] as const) {
    it(`trains the last Inception block + a new head (cache ${cache}); frozen weights bit-identical`, async () => {
      const { model, lastBlock, base } = await inceptionWithNewHead();
      const x = tf.randomUniform([4, SIZE, SIZE, 3], -1, 1, 'float32', 7);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2).toFloat());
      const before = weightBytes(model);
      const result = await train(
        model,
        { x, y },
        {
          epochs: 1,
          batchSize: 2,
          cache,
          policy: {
            rules: [{ freeze: '**' }, { unfreeze: [...lastBlock.map((n) => `${base}/${n}`), 'head'] }],
          },
        },
      );
      expect(Number.isFinite(result.history[0]!.loss)).toBe(true);
      if (cache === 'auto') expect(result.cache.status).toBe('used');
      const after = weightBytes(model);
      const changed = [...before]
        .filter(([k, v]) => !v.every((z, i) => Object.is(z, after.get(k)![i])))
        .map(([k]) => k);
      const inLastBlock = (k: string) => lastBlock.some((l) => k.startsWith(`${l}/`));
      // Exactly the last block's conv kernels, BN betas and moving statistics, and the new head moved.
      const expected = [...before.keys()].filter((k) => inLastBlock(k) || k.startsWith('head/'));
      expect(expected).toHaveLength(38);
      expect(changed.sort()).toEqual(expected.sort());
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
