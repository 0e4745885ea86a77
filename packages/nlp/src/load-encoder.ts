import type { TextEncoder } from './encoder';
import { NlpError } from './errors';
import { loadTransformersEncoder, type TransformersEncoderSpec } from './transformers-encoder';
import { loadUseLiteEncoder, type UseLiteEncoderSpec } from './use-lite-encoder';

export type EncoderSpec = TransformersEncoderSpec | UseLiteEncoderSpec;

/** Loads a frozen text encoder, offline unless a transformers spec sets `allowRemote`. */
export async function loadEncoder(spec: EncoderSpec): Promise<TextEncoder> {
  switch (spec?.kind) {
    case 'transformers':
      return loadTransformersEncoder(spec);
    case 'use-lite':
      return loadUseLiteEncoder(spec);
    default:
      throw new NlpError('BAD_OPTION', `unknown encoder kind '${(spec as { kind?: unknown })?.kind}'`, {
        hint: "use { kind: 'transformers', model } or { kind: 'use-lite' }",
      });
  }
}
