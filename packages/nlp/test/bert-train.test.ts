import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicySpec } from '@frostline/core';
import { openCheckpoint, selectBackend, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BertTextModel, loadTextModel, sentimentDataset } from '../src/index';
import { fixtureDir, maxAbsDiff } from './helpers/hf-fixtures';

/** The seed's ERNIE case at test size: freeze embeddings and layer 0, train the top layer + pooler + head. */
const POLICY: PolicySpec = {
  rules: [{ freeze: '**' }, { unfreeze: 'encoder.layer.1' }, { unfreeze: 'pooler' }, { unfreeze: 'head' }],
  lr: { layerwiseDecay: { decay: 0.9, groups: ['encoder.layer.1', 'pooler', 'head'] } },
};

const snapshot = (model: tf.LayersModel) =>
  new Map(model.weights.map((w) => [w.originalName, w.read().dataSync().slice()]));
const bitEqual = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array) =>
  a.length === b.length &&
  Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  ) === 0;

describe('ERNIE partial fine-tuning (2-class sentiment head on the pooler output)', () => {
  let m: BertTextModel;
  let clf: tf.LayersModel;
  let x: tf.Tensor[];
  let y: tf.Tensor;
  let dir: string;
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm', quiet: true });
    m = await loadTextModel({ path: fixtureDir('ernie') });
    clf = m.classifier(2);
    const { train: ds } = await sentimentDataset();
    const rows = [...Array(24).keys()].map((i) => (i * 7) % ds.texts.length);
    x = m.inputs(rows.map((i) => ds.texts[i]!));
    y = tf.tensor1d(
      rows.map((i) => ds.labels[i]!),
      'float32',
    );
    dir = mkdtempSync(join(tmpdir(), 'frostline-bert-'));
  });
  afterAll(() => {
    tf.dispose([...x, y]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists HF names (with the exact state_dict keys as aliases) and the head', () => {
    const params = m.params(clf);
    const q = params.find((p) => p.name === 'encoder.layer.1/attention.self.query.weight')!;
    expect(q.aliases).toEqual(['encoder.layer.1.attention.self.query.weight']);
    expect(q.shape).toEqual([32, 32]);
    expect(params.map((p) => p.name)).toContain('embeddings/task_type_embeddings.weight');
    expect(params.map((p) => p.name)).toContain('pooler/dense.weight');
    expect(params.slice(-2).map((p) => p.name)).toEqual(['head/classifier/kernel', 'head/classifier/bias']);
  });

  it('trains only the top layer, pooler and head; the cache cuts after layer 0; frozen weights bit-identical', async () => {
    const before = snapshot(clf);
    const tensorsBefore = tf.memory().numTensors;
    const r = await train(
      clf,
      { x, y },
      { policy: POLICY, epochs: 3, batchSize: 8, learningRate: 5e-3, aliases: m.aliases, seed: 1 },
    );
    const plan = r.plans[0]!;
    const trainable = plan.entries.filter((e) => e.trainable).map((e) => e.name);
    expect(trainable.every((n) => /^(encoder\.layer\.1|pooler|head)\//.test(n))).toBe(true);
    expect(trainable).toHaveLength(16 + 2 + 2);
    const factor = (n: string) => plan.entries.find((e) => e.name === n)!.lrFactor;
    expect(factor('head/classifier/kernel')).toBe(1);
    expect(factor('pooler/dense.weight')).toBeCloseTo(0.9, 12);
    expect(factor('encoder.layer.1/output.dense.weight')).toBeCloseTo(0.81, 12);
    // Frozen embeddings + layer 0 run once: the activation cache holds layer 0's packed output.
    expect(r.cache.status).toBe('used');
    expect(r.cache.builds).toBe(1);
    expect(r.cache.prefixLayers).toBe(2); // embeddings, encoder.layer.0
    expect(r.cache.reason).toContain("up to 'encoder.layer.0'");
    const after = snapshot(clf);
    for (const [name, v] of before) {
      const frozen = name.startsWith('embeddings/') || name.startsWith('encoder.layer.0/');
      expect(bitEqual(v, after.get(name)!), name).toBe(frozen);
    }
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
    // Leak-free: a second run leaves exactly as many tensors as the first.
    const afterFirst = tf.memory().numTensors;
    await train(
      clf,
      { x, y },
      { policy: POLICY, epochs: 2, batchSize: 8, learningRate: 1e-3, aliases: m.aliases },
    );
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(afterFirst - tensorsBefore).toBeLessThanOrEqual(0);
  });

  it('policies can name the exact Hugging Face keys (aliases)', async () => {
    const before = snapshot(clf);
    await train(
      clf,
      { x, y },
      {
        policy: {
          rules: [
            { freeze: '**' },
            { unfreeze: { regex: '^encoder\\.layer\\.1\\.output\\.dense\\.weight$' } },
          ],
        },
        epochs: 1,
        batchSize: 8,
        aliases: m.aliases,
        verifyFrozen: 'end',
      },
    );
    const changed = [...snapshot(clf)].filter(([n, v]) => !bitEqual(v, before.get(n)!)).map(([n]) => n);
    expect(changed).toEqual(['encoder.layer.1/output.dense.weight']);
  });

  it('saves back as .safetensors with the HF keys; reloading gives the same weights bit for bit', async () => {
    const file = join(dir, 'model.safetensors');
    await m.save(file);
    await expect(m.save(file)).rejects.toMatchObject({ code: 'WEIGHTS_EXISTS' });
    const reader = await openCheckpoint(file);
    const original = await openCheckpoint(join(fixtureDir('ernie'), 'model.safetensors'));
    expect(reader.keys().sort()).toEqual(original.keys().sort());
    for (const k of reader.keys()) expect(reader.entry(k).shape).toEqual(original.entry(k).shape);
    await Promise.all([reader.close(), original.close()]);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(fixtureDir('ernie'), f), join(dir, f));
    const back = await loadTextModel({ path: dir });
    const a = m.stateDict();
    const b = back.stateDict();
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a))
      expect(bitEqual((a[k] as tf.Tensor).dataSync(), (b[k] as tf.Tensor).dataSync()), k).toBe(true);
    const texts = ['the food was great', 'terrible service'];
    const [e1, e2] = [await m.embed(texts), await back.embed(texts)];
    expect(e1.map((v) => [...v])).toEqual(e2.map((v) => [...v]));
    back.dispose();
  });

  it.skipIf(!existsSync('/usr/bin/python3'))(
    'the saved fine-tuned file loads in PyTorch and gives the same outputs',
    () => {
      const batch = m.tokenize(['the food was great', 'terrible service, cold food']);
      const out = m.forward(batch);
      const script = new URL('../scripts/bert_reference_forward.py', import.meta.url).pathname;
      const r = spawnSync('/usr/bin/python3', [script], {
        input: JSON.stringify({ dir, weights: join(dir, 'model.safetensors'), ...batch }),
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout).reference;
      expect([ref.missing, ref.unexpected]).toEqual([[], []]);
      expect(maxAbsDiff(out.lastHiddenState.dataSync(), ref.last_hidden_state)).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.poolerOutput!.dataSync(), ref.pooler_output)).toBeLessThan(1e-4);
      tf.dispose([out.lastHiddenState, out.poolerOutput!]);
    },
  );
});
