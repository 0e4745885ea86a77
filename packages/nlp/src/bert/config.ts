import { NlpError } from '../errors';

/** The BERT-family architectures built in TF.js (Hugging Face `model_type`). */
export const BERT_KINDS = ['bert', 'ernie', 'roberta', 'distilbert'] as const;
export type BertKind = (typeof BERT_KINDS)[number];

/** One architecture's numbers, normalised from a Hugging Face `config.json` (whatever its key names). */
export interface BertConfig {
  kind: BertKind;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  /** 0 for DistilBERT (no token types). */
  typeVocabSize: number;
  /** ERNIE with `use_task_id`: size of the task-type table, else 0. */
  taskTypeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
}

type Json = Record<string, unknown>;

function num(config: Json, key: string, file: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new NlpError('MODEL_FILE_INVALID', `config key '${key}' is missing or not a number`, {
      file,
      path: key,
      hint: 'the config.json must be a Hugging Face model config of a bert/ernie/roberta/distilbert model',
    });
  }
  return v;
}

/** Activation names meaning the exact erf GELU; `gelu_new`/`gelu_pytorch_tanh` are another function. */
const ERF_GELU = new Set(['gelu', 'gelu_python']);

/** Normalise a parsed config.json; an unknown `model_type` or activation is a typed error naming the file. */
export function parseBertConfig(config: Json, file: string): BertConfig {
  const kind = config.model_type;
  if (typeof kind !== 'string' || !(BERT_KINDS as readonly string[]).includes(kind)) {
    throw new NlpError(
      'UNKNOWN_MODEL_TYPE',
      `model_type '${String(kind)}' is not one of ${BERT_KINDS.join(', ')}`,
      {
        file,
        path: 'model_type',
        hint: "frostline builds the BERT family in TF.js; run other models through loadEncoder({ kind: 'transformers' }) (frozen)",
      },
    );
  }
  const k = kind as BertKind;
  const act = (k === 'distilbert' ? config.activation : config.hidden_act) ?? 'gelu';
  if (typeof act !== 'string' || !ERF_GELU.has(act)) {
    throw new NlpError(
      'MODEL_FILE_INVALID',
      `activation '${String(act)}' is not supported (only the erf GELU 'gelu')`,
      {
        file,
      },
    );
  }
  if (k === 'distilbert') {
    if (config.sinusoidal_pos_embds === true) {
      throw new NlpError('MODEL_FILE_INVALID', 'sinusoidal_pos_embds: true is not supported', { file });
    }
    return {
      kind: k,
      vocabSize: num(config, 'vocab_size', file),
      hidden: num(config, 'dim', file),
      layers: num(config, 'n_layers', file),
      heads: num(config, 'n_heads', file),
      intermediate: num(config, 'hidden_dim', file),
      maxPositions: num(config, 'max_position_embeddings', file),
      typeVocabSize: 0,
      taskTypeVocabSize: 0,
      layerNormEps: 1e-12, // fixed in DistilBERT's modeling code
      padTokenId: num(config, 'pad_token_id', file, 0),
    };
  }
  const pet = config.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute') {
    throw new NlpError('MODEL_FILE_INVALID', `position_embedding_type '${String(pet)}' is not supported`, {
      file,
      hint: "only 'absolute' position embeddings are built",
    });
  }
  const c: BertConfig = {
    kind: k,
    vocabSize: num(config, 'vocab_size', file),
    hidden: num(config, 'hidden_size', file),
    layers: num(config, 'num_hidden_layers', file),
    heads: num(config, 'num_attention_heads', file),
    intermediate: num(config, 'intermediate_size', file),
    maxPositions: num(config, 'max_position_embeddings', file),
    typeVocabSize: num(config, 'type_vocab_size', file, 2),
    taskTypeVocabSize:
      k === 'ernie' && config.use_task_id === true ? num(config, 'task_type_vocab_size', file, 3) : 0,
    layerNormEps: num(config, 'layer_norm_eps', file, 1e-12),
    padTokenId: num(config, 'pad_token_id', file, k === 'roberta' ? 1 : 0),
  };
  if (c.hidden % c.heads !== 0) {
    throw new NlpError(
      'MODEL_FILE_INVALID',
      `hidden_size ${c.hidden} is not a multiple of num_attention_heads ${c.heads}`,
      {
        file,
      },
    );
  }
  return c;
}
