import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingCache, embedCached, loadEncoder, type TextEncoder, textClassifier } from '../src/index';
import { TINY_BERT_DIR } from './helpers/tiny-bert-suite';

/** The real encoder, with its embed() calls counted (not mocked: vectors come from ONNX Runtime). */
function spy(enc: TextEncoder): TextEncoder & { calls: string[][] } {
  const calls: string[][] = [];
  return Object.assign(Object.create(enc) as TextEncoder, {
    calls,
    embed: (texts: readonly string[], opts?: object) => {
      calls.push([...texts]);
      return enc.embed(texts, opts);
    },
  });
}

const TEXTS = ['great food', 'awful service', 'great food', 'the movie was fine'];

describe('EmbeddingCache', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'frostline-nlp-cache-'));
  let base: TextEncoder;
  beforeAll(async () => {
    base = await loadEncoder({
      kind: 'transformers',
      model: TINY_BERT_DIR,
      pooling: 'mean',
      runtime: '@xenova/transformers',
    });
  });
  afterAll(async () => {
    await base.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('embeds each distinct text once and answers repeats from memory', async () => {
    const enc = spy(base);
    const cache = new EmbeddingCache();
    const first = await cache.embed(enc, TEXTS);
    expect(enc.calls).toEqual([['great food', 'awful service', 'the movie was fine']]);
    expect(first[0]).toBe(first[2]);
    const again = await embedCached(enc, [...TEXTS].reverse(), cache);
    expect(enc.calls).toHaveLength(1);
    expect(again[3]).toEqual(first[0]);
    expect(cache.stats).toMatchObject({ hits: 5, misses: 3, encoderCalls: 1 });
    // Only new texts go to the encoder.
    await cache.embed(enc, ['great food', 'brand new text']);
    expect(enc.calls[1]).toEqual(['brand new text']);
  });

  it('a second run (new process = new cache object) reads the disk and never calls the encoder', async () => {
    const dir = join(tmp, 'disk');
    const enc1 = spy(base);
    const want = await new EmbeddingCache({ dir }).embed(enc1, TEXTS);
    expect(enc1.calls).toHaveLength(1);
    const enc2 = spy(base);
    const cache2 = new EmbeddingCache({ dir });
    const got = await cache2.embed(enc2, TEXTS);
    expect(enc2.calls).toHaveLength(0);
    expect(got.map((v) => Array.from(v))).toEqual(want.map((v) => Array.from(v)));
    expect(cache2.stats).toMatchObject({ hits: 4, misses: 0, shardsRead: 1 });
    // Atomic writes: only finished shards (and the human-readable key) remain, no temp files.
    const ns = readdirSync(dir);
    expect(ns).toHaveLength(1);
    const files = readdirSync(join(dir, ns[0]!));
    expect(files.filter((f) => f.endsWith('.emb'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.tmp'))).toHaveLength(0);
    expect(files).toContain('encoder.json');
  });

  it('keys by encoder id, pooling, normalisation and maxLength', async () => {
    const dir = join(tmp, 'keys');
    await new EmbeddingCache({ dir }).embed(base, TEXTS);
    for (const extra of [{ pooling: 'cls' as const }, { normalize: true }, { maxLength: 8 }]) {
      const other = spy(
        await loadEncoder({
          kind: 'transformers',
          model: TINY_BERT_DIR,
          pooling: 'mean',
          runtime: '@xenova/transformers',
          ...extra,
        }),
      );
      await new EmbeddingCache({ dir }).embed(other, TEXTS);
      expect(other.calls, JSON.stringify(extra)).toHaveLength(1);
      await other.dispose();
    }
    expect(readdirSync(dir)).toHaveLength(4);
  });

  it('skips a damaged shard and recomputes its texts', async () => {
    const dir = join(tmp, 'damaged');
    await new EmbeddingCache({ dir }).embed(base, TEXTS);
    const ns = join(dir, readdirSync(dir)[0]!);
    const shard = readdirSync(ns).find((f) => f.endsWith('.emb'))!;
    writeFileSync(join(ns, shard), Buffer.from('FLEC-truncated'));
    const enc = spy(base);
    const cache = new EmbeddingCache({ dir });
    const got = await cache.embed(enc, TEXTS);
    expect(cache.stats.shardsSkipped).toBe(1);
    expect(enc.calls).toHaveLength(1);
    expect(got).toHaveLength(4);
  });

  it('a second head on the same data skips the encoder entirely', async () => {
    const enc = spy(base);
    const cache = new EmbeddingCache({ dir: join(tmp, 'heads') });
    const texts = ['good', 'bad', 'great', 'awful', 'nice', 'terrible'];
    const labels = [1, 0, 1, 0, 1, 0];
    const ds = { texts, labels, labelNames: ['neg', 'pos'], lines: texts.map((_, i) => i + 1) };
    const a = textClassifier({ encoder: enc, labelNames: ds.labelNames, cache });
    const ra = await a.train({ train: ds, epochs: 2, batchSize: 3 });
    expect(ra.cache.encoderCalls).toBe(1);
    const b = textClassifier({ encoder: enc, labelNames: ds.labelNames, cache, head: { hidden: 8 } });
    const rb = await b.train({ train: ds, test: ds, epochs: 2, batchSize: 3 });
    expect(rb.cache).toMatchObject({ encoderCalls: 0, misses: 0 });
    expect(enc.calls).toHaveLength(1);
    a.dispose();
    b.dispose();
    expect(existsSync(join(tmp, 'heads'))).toBe(true);
  });
});
