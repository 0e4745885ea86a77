import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ParamInfo } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { ENCODER_PREFIX, type TextEncoder } from '../encoder';
import { NlpError } from '../errors';
import type { BertKind } from './config';
import { type BertTextModel, loadTextModel, type TextModelSpec } from './text-model';

/** `loadEncoder({ kind: 'bert' | 'ernie' | 'roberta' | 'distilbert', path })`: the TF.js BERT family. */
export interface BertEncoderSpec extends TextModelSpec {
  kind: BertKind;
  /** Sentences per forward pass in `embed` (default 32). */
  batchSize?: number;
}

/**
 * A text encoder whose weights are TF.js variables: `embed()` serves the frozen-encoder path (cached
 * embeddings + a head), and `textModel` is the trainable model for partial fine-tuning with `train`.
 */
export interface TrainableTextEncoder extends TextEncoder {
  readonly kind: BertKind;
  readonly trainable: true;
  readonly textModel: BertTextModel;
}

/** Digest of the weights file's size and first MiB: stable, cheap even for a 440 MB checkpoint. */
function fileDigest(file: string): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, head, 0, head.length, 0);
    return createHash('sha256').update(String(size)).update(head).digest('hex').slice(0, 12);
  } finally {
    closeSync(fd);
  }
}

export async function loadBertEncoder(spec: BertEncoderSpec): Promise<TrainableTextEncoder> {
  const model = await loadTextModel(spec);
  if (model.kind !== spec.kind) {
    model.dispose();
    throw new NlpError(
      'BAD_OPTION',
      `kind '${spec.kind}' does not match the folder's model_type '${model.kind}'`,
      {
        file: spec.path,
        hint: `use { kind: '${model.kind}', path }`,
      },
    );
  }
  const weights = model.source.weightsFile!;
  const id = `${model.kind}:${basename(model.source.dir!)}:${fileDigest(weights)}`;
  return {
    id,
    kind: model.kind,
    trainable: true,
    textModel: model,
    dim: model.dim,
    pooling: model.pooling,
    normalize: false,
    maxLength: model.maxLength,
    runtime: `@tensorflow/tfjs@${tf.version.tfjs} (${tf.getBackend()})`,
    // As an embedder for cached heads the weights are read, not trained: listed as fixed, `encoder/`-prefixed.
    params: (): ParamInfo[] =>
      model.params().map((p) => ({ ...p, name: ENCODER_PREFIX + p.name, trainable: false, fixed: true })),
    async embed(texts, opts = {}) {
      const out = await model.embed(texts, { batchSize: opts.batchSize ?? spec.batchSize ?? 32 });
      opts.onProgress?.(texts.length, texts.length);
      return out;
    },
    async dispose() {
      model.dispose();
    },
  };
}
