import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, type TextEncoder } from '../../src/index';
import { referenceHidden, referencePool, referencePooler, referenceTokenize } from './reference-bert';

export const TINY_BERT_DIR = fileURLToPath(new URL('../fixtures/tiny-bert', import.meta.url));

export const SENTENCES = [
  'This movie was great!',
  'Terrible service, cold food.',
  'I would never buy this phone again because the battery died after two days.',
  'ok',
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * The same checks for each transformers.js runtime. Each runtime runs in its own test file (so its
 * own process): their native onnxruntime-node builds cannot share one. Agreement between the two
 * runtimes follows from both matching the float64 reference to 2e-6 (so within 4e-6 of each other).
 */
export function tinyBertSuite(runtime: '@huggingface/transformers' | '@xenova/transformers'): void {
  describe(`tiny BERT through ${runtime}`, () => {
    const encoders: Record<string, TextEncoder> = {};
    beforeAll(async () => {
      for (const pooling of ['cls', 'mean', 'max', 'pooler'] as const) {
        encoders[pooling] = await loadEncoder({
          kind: 'transformers',
          model: TINY_BERT_DIR,
          pooling,
          runtime,
        });
      }
    });
    afterAll(async () => {
      for (const e of Object.values(encoders)) await e.dispose();
    });

    it('loads offline and yields 32-d embeddings for every pooling', async () => {
      for (const [pooling, enc] of Object.entries(encoders)) {
        expect(enc.runtime.startsWith(runtime), pooling).toBe(true);
        expect(enc.dim).toBe(32);
        const out = await enc.embed(SENTENCES);
        expect(out).toHaveLength(SENTENCES.length);
        for (const v of out) {
          expect(v).toBeInstanceOf(Float32Array);
          expect(v.length).toBe(32);
          expect(v.every(Number.isFinite)).toBe(true);
        }
      }
    });

    it('matches an independent float64 forward pass (cls, mean, max, pooler), padded batches included', async () => {
      for (const pooling of ['cls', 'mean', 'max'] as const) {
        const got = await encoders[pooling]!.embed(SENTENCES);
        SENTENCES.forEach((s, i) => {
          const want = referencePool(referenceTokenize(s), pooling);
          expect(maxAbsDiff(got[i]!, want), `${pooling}: ${s}`).toBeLessThan(2e-6);
        });
      }
      const pooled = await encoders.pooler!.embed(SENTENCES);
      SENTENCES.forEach((s, i) => {
        expect(maxAbsDiff(pooled[i]!, referencePooler(referenceTokenize(s)))).toBeLessThan(2e-6);
      });
    });

    it('mean pooling is the masked average of last_hidden_state; batch composition does not matter', async () => {
      const ids = referenceTokenize(SENTENCES[0]!);
      const hidden = referenceHidden(ids);
      const avg = hidden[0]!.map((_, h) => hidden.reduce((a, r) => a + r[h]!, 0) / hidden.length);
      const [alone] = await encoders.mean!.embed([SENTENCES[0]!]);
      const [inBatch] = await encoders.mean!.embed([SENTENCES[0]!, SENTENCES[2]!], { batchSize: 2 });
      expect(maxAbsDiff(alone!, avg)).toBeLessThan(2e-6);
      // Padding to the long sentence must not leak into the short one's mean.
      expect(maxAbsDiff(alone!, inBatch!)).toBeLessThan(1e-6);
      // Deterministic numbers: the fixture is seeded, so these are fixed forever.
      expect(Array.from(alone!.slice(0, 3), (v) => Number(v.toFixed(4)))).toEqual(
        avg.slice(0, 3).map((v) => Number(v.toFixed(4))),
      );
    });

    it('normalizes to unit length and truncates to maxLength keeping [SEP]', async () => {
      const enc = await loadEncoder({
        kind: 'transformers',
        model: TINY_BERT_DIR,
        pooling: 'mean',
        normalize: true,
        maxLength: 6,
        runtime,
      });
      const [v] = await enc.embed([SENTENCES[2]!]);
      expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
      const ids = referenceTokenize(SENTENCES[2]!);
      const truncated = [...ids.slice(0, 5), ids[ids.length - 1]!];
      const want = referencePool(truncated, 'mean');
      const norm = Math.hypot(...want);
      expect(
        maxAbsDiff(
          v!,
          want.map((x) => x / norm),
        ),
      ).toBeLessThan(2e-6);
      await enc.dispose();
    });

    it('reports the ONNX initializers as fixed parameters with real shapes', () => {
      const params = encoders.cls!.params();
      const total = params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
      expect(params.every((p) => p.fixed === true && p.name.startsWith('encoder/'))).toBe(true);
      expect(params.find((p) => p.name === 'encoder/embeddings.word_embeddings.weight')?.shape).toEqual([
        274, 32,
      ]);
      expect(
        params.find((p) => p.name === 'encoder/encoder.layer.1.intermediate.dense.weight'),
      ).toMatchObject({
        shape: [32, 64],
        layer: 'encoder/encoder.layer.1.intermediate.dense',
        layerType: 'Linear',
      });
      expect(total).toBe(29088);
    });
  });
}
