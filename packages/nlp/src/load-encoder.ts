import { type BertEncoderSpec, loadBertEncoder } from './bert/encoder-kind';
import type { TextEncoder } from './encoder';
import { NlpError } from './errors';
import { loadTransformersEncoder, type TransformersEncoderSpec } from './transformers-encoder';
import { loadUseLiteEncoder, type UseLiteEncoderSpec } from './use-lite-encoder';

export type EncoderSpec = TransformersEncoderSpec | UseLiteEncoderSpec | BertEncoderSpec;

/**
 * Loads a text encoder, offline unless a transformers spec sets `allowRemote`. The BERT-family kinds
 * (`bert`, `ernie`, `roberta`, `distilbert`) run in TF.js and are trainable (`encoder.textModel`).
 */
export async function loadEncoder(spec: EncoderSpec): Promise<TextEncoder> {
  switch (spec?.kind) {
    case 'transformers':
      return loadTransformersEncoder(spec);
    case 'use-lite':
      return loadUseLiteEncoder(spec);
    case 'bert':
    case 'ernie':
    case 'roberta':
    case 'distilbert':
      return loadBertEncoder(spec);
    default:
      throw new NlpError('BAD_OPTION', `unknown encoder kind '${(spec as { kind?: unknown })?.kind}'`, {
        hint: "use { kind: 'transformers', model }, { kind: 'use-lite' } or { kind: 'bert' | 'ernie' | 'roberta' | 'distilbert', path }",
      });
  }
}
