import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ENGINE_TOLERANCE, exportOnnx, outputDifference } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained, resNet18, resNet50 } from '../src';
import { useBackend } from './helpers';

/** Export the whole model, run it on onnxruntime and compare with TF.js (wasm) on the same batch. */
async function exportMatches(model: tf.LayersModel, batch: number, seed: number) {
  const shape = [batch, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const x = tf.randomUniform(shape, -1, 1, 'float32', seed);
  const ref = tf.tidy(() => model.predict(x) as tf.Tensor);
  const session = await ort.InferenceSession.create(await exportOnnx(model));
  const out = await session.run({
    [session.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, shape),
  });
  const got = out[session.outputNames[0]!]!;
  expect(got.dims).toEqual(ref.shape);
  const d = outputDifference(got.data as Float32Array, ref.dataSync() as Float32Array);
  await session.release();
  tf.dispose([x, ref]);
  expect(d.incomparable).toBeUndefined();
  expect(d.relative).toBeLessThan(ENGINE_TOLERANCE);
  return d;
}

/** Models built in code start with BN statistics 0/1; give them real ones so folding is exercised. */
function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (const w of model.weights) {
    const name = w.originalName ?? w.name;
    const isVar = /moving_variance|gamma/.test(name);
    if (!isVar && !/moving_mean|beta/.test(name)) continue;
    const v = Float32Array.from({ length: w.shape[0] as number }, () =>
      isVar ? 0.5 + next() : next() - 0.5,
    );
    const t = tf.tensor(v, w.shape as number[]);
    w.write(t);
    t.dispose();
  }
}

/** The Keras InceptionV3 layers model inside nsfwjs@4.3.0 (six base64 weight shards). */
async function nsfwjsInceptionV3(): Promise<tf.LayersModel> {
  const req = createRequire(import.meta.url);
  // nsfwjs' exports map hides package.json; its models sit next to the resolved entry (dist/…).
  const entry = req.resolve('nsfwjs');
  const dir = path.join(
    entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)),
    'dist',
    'models',
    'inception_v3',
  );
  const json = req(path.join(dir, 'model.min.js')) as tf.io.ModelJSON;
  const shards = json.weightsManifest.flatMap((g) => g.paths);
  const bytes = Buffer.concat(
    shards.map((p) => {
      const text = readFileSync(path.join(dir, `${p}.min.js`), 'utf8');
      return Buffer.from(/exports\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(text)![1]!, 'base64');
    }),
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}

describe('exportOnnx on every shipped backbone (onnxruntime vs TF.js wasm, within 1e-4)', () => {
  beforeAll(() => useBackend('wasm'));

  for (const size of [224, 96]) {
    it(`MobileNetV2 ${size} with the nsfwjs weights`, async () => {
      const b = await loadPretrained('mobilenet_v2', { inputSize: size });
      await exportMatches(b.model, 2, size);
      b.model.dispose();
    });
  }

  it('ResNet18 (built in code, 224) and ResNet50 (built in code, 128)', async () => {
    for (const [build, size] of [
      [resNet18, 224],
      [resNet50, 128],
    ] as const) {
      const b = build({ inputSize: size, pooling: 'avg', seed: 3 });
      randomizeBatchNorm(b.model, size);
      await exportMatches(b.model, 1, 7);
      b.model.dispose();
    }
  });

  it('the pretrained MNIST CNN', async () => {
    const b = await loadPretrained('mnist-cnn');
    await exportMatches(b.model, 4, 5);
    b.model.dispose();
  });

  it('the InceptionV3 layers model in nsfwjs@4.3.0 (BN without scale, same/valid pools, concatenations)', async () => {
    const model = await nsfwjsInceptionV3();
    await exportMatches(model, 1, 9);
    model.dispose();
  });
});
