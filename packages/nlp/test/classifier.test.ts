import { formatPlan, isPolicyError, type Plan, type PolicyError } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildHead,
  loadEncoder,
  NlpError,
  sentimentDataset,
  type TextEncoder,
  textClassifier,
  trainTextClassifier,
} from '../src/index';
import { TINY_BERT_DIR } from './helpers/tiny-bert-suite';

// The seed's case in miniature: a frozen BERT-style encoder (tiny BERT through transformers.js) and
// Linear(hidden_size, 2) on the pooled [CLS] vector.
describe('frozen BERT-like encoder + Linear(hidden, 2)', () => {
  let encoder: TextEncoder;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    encoder = await loadEncoder({
      kind: 'transformers',
      model: TINY_BERT_DIR,
      pooling: 'cls',
      runtime: '@xenova/transformers',
    });
  });
  afterAll(() => encoder.dispose());

  it('plans the encoder as frozen with real counts and the head as trainable', async () => {
    const { train, test } = await sentimentDataset();
    const small = {
      ...train,
      texts: train.texts.slice(0, 64),
      labels: train.labels.slice(0, 64),
      lines: train.lines.slice(0, 64),
    };
    const res = await trainTextClassifier({ encoder, train: small, test, epochs: 3, batchSize: 16 });
    const { plan } = res;
    expect(plan.summary.frozenParams).toBe(29088);
    expect(plan.summary.trainableParams).toBe(32 * 2 + 2);
    expect(plan.summary.totalParams).toBe(29088 + 66);
    expect(plan.get('encoder/embeddings.word_embeddings.weight')).toMatchObject({
      trainable: false,
      fixed: true,
      size: 274 * 32,
    });
    expect(plan.get('classifier/kernel')).toMatchObject({ trainable: true, shape: [32, 2] });
    expect(res.report).toMatch(/encoder\/encoder\.layer\.0\.attention\.self\.query/);
    expect(res.summary).toMatch(/trainable params: 66 \|\| all params: 29,154/);
    expect(formatPlan(plan, 'markdown')).toContain('classifier');
    expect(res.history).toHaveLength(3);
    expect(res.metrics.test?.examples).toBe(100);
    expect(res.metrics.test?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(100);
    const [p] = await res.classifier.predict(['The food was wonderful.']);
    expect(['negative', 'positive']).toContain(p!.label);
    expect(p!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    res.classifier.dispose();
  });

  it('the trainer plans encoder + head as one plan (the policy as written, with its LR factors)', async () => {
    const clf = textClassifier({ encoder, labelNames: ['neg', 'pos'], head: { hidden: [8] } });
    const ds = {
      texts: ['good', 'bad', 'fine', 'awful'],
      labels: [1, 0, 1, 0],
      labelNames: ['neg', 'pos'],
      lines: [1, 2, 3, 4],
    };
    const plans: Plan[] = [];
    const policy = { rules: [{ freeze: 'hidden_1' }], lr: { mult: [{ select: 'classifier', factor: 0.5 }] } };
    const res = await clf.train({
      train: ds,
      epochs: 1,
      batchSize: 4,
      policy,
      onEvent: (e) => {
        if (e.type === 'plan') plans.push(e.plan);
      },
    });
    expect(plans).toHaveLength(1);
    const seen = plans[0]!;
    // The plan the trainer used is the classifier's plan: same entries, decisions and LR factors.
    expect(seen.entries.map((e) => [e.name, e.trainable, e.lrFactor])).toEqual(
      res.plan.entries.map((e) => [e.name, e.trainable, e.lrFactor]),
    );
    expect(seen.summary.frozenParams).toBe(29088 + 32 * 8 + 8);
    expect(seen.trainableNames()).toEqual(['classifier/kernel', 'classifier/bias']);
    expect(seen.get('classifier/kernel')!.lrFactor).toBe(0.5);
    clf.dispose();
  });

  it('a policy that unfreezes encoder weights is a PolicyError FIXED_PARAMETER', async () => {
    const clf = textClassifier({ encoder, labelNames: ['neg', 'pos'] });
    const ds = { texts: ['good', 'bad'], labels: [1, 0], labelNames: ['neg', 'pos'], lines: [1, 2] };
    const err = await clf
      .train({ train: ds, epochs: 1, policy: { rules: [{ unfreeze: 'encoder.layer.1' }] } })
      .catch((e: unknown) => e);
    expect(isPolicyError(err)).toBe(true);
    expect((err as PolicyError).code).toBe('FIXED_PARAMETER');
    expect((err as Error).message).toMatch(/encoder/);
    // Freezing the head too leaves nothing to train.
    const none = await clf
      .train({ train: ds, epochs: 1, policy: { default: 'frozen' } })
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(NlpError);
    clf.dispose();
  });

  it('trains an MLP head without leaking tensors, respecting a policy on the head', async () => {
    const texts = ['good', 'bad', 'great', 'awful', 'nice', 'terrible', 'lovely', 'horrible'];
    const ds = {
      texts,
      labels: texts.map((_, i) => (i + 1) % 2),
      labelNames: ['neg', 'pos'],
      lines: texts.map((_, i) => i + 1),
    };
    const clf = textClassifier({
      encoder,
      labelNames: ds.labelNames,
      head: { hidden: [16, 8], dropout: 0.1 },
    });
    await clf.embed(texts);
    const counts: number[] = [];
    const res = await clf.train({
      train: ds,
      validation: ds,
      epochs: 4,
      batchSize: 4,
      policy: { rules: [{ freeze: 'hidden_1' }] },
      onEvent: (e) => {
        if (e.type === 'epochEnd') counts.push(tf.memory().numTensors);
      },
    });
    expect(new Set(counts).size).toBe(1);
    expect(res.plan.get('hidden_1/kernel')?.trainable).toBe(false);
    expect(res.plan.get('hidden_2/kernel')?.trainable).toBe(true);
    expect(res.metrics.validation?.accuracy).toBeTypeOf('number');
    const before = tf.memory().numTensors;
    await clf.predict(texts);
    await clf.evaluate(ds);
    expect(tf.memory().numTensors).toBe(before);
    clf.dispose();
  });

  it('rejects mismatched label sets and bad head specs', async () => {
    const clf = textClassifier({ encoder, labelNames: ['neg', 'pos'] });
    const ds = { texts: ['a', 'b'], labels: [0, 1], labelNames: ['bad', 'good'], lines: [1, 2] };
    await expect(clf.train({ train: ds, epochs: 1 })).rejects.toThrow(/labels \[bad,good\].*\[neg,pos\]/);
    clf.dispose();
    expect(() => buildHead(32, 1)).toThrow(NlpError);
    expect(() => buildHead(32, 2, { hidden: [0] })).toThrow(/positive integers/);
    expect(buildHead(32, 3, { hidden: 4 }).layers.map((l) => l.name)).toEqual([
      'embedding',
      'dropout_1',
      'hidden_1',
      'dropout_out',
      'classifier',
    ]);
  });
});
