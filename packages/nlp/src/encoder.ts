import type { ParamInfo } from '@frostline/core';
import type { Pooling } from './pooling';

export interface EmbedOptions {
  /** Sentences per forward pass (default: the encoder's, 32). */
  batchSize?: number;
  /** Called after each batch with the number of sentences embedded so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * A frozen sentence encoder: text in, one fixed-size vector per text out. Every runtime behind it
 * (ONNX via transformers.js, TF.js GraphModels) is inference-only, so its parameters are reported
 * with `fixed: true` and a plan can never make them trainable.
 */
export interface TextEncoder {
  /** Stable identity for caches: kind, model name and a digest of the weights file. */
  readonly id: string;
  readonly kind: 'transformers' | 'use-lite' | 'bert' | 'ernie' | 'roberta' | 'distilbert';
  /** Embedding size. */
  readonly dim: number;
  /** How token states become one vector (`use` = the model's own pooling). */
  readonly pooling: Pooling | 'use';
  readonly normalize: boolean;
  /** Token limit per text (truncation), or null when the model has none of its own. */
  readonly maxLength: number | null;
  /** The runtime package that runs it, e.g. `@huggingface/transformers@3.8.1`. */
  readonly runtime: string;
  /** The model's weights as fixed parameters, names prefixed `encoder/`. */
  params(): ParamInfo[];
  embed(texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** Prefix of every encoder parameter name, so encoder and head names never collide in one plan. */
export const ENCODER_PREFIX = 'encoder/';
