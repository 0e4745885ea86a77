import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isFrostlineError, type ParamInfo } from '@frostline/core';
import { type CheckpointReader, listParams, openCheckpoint, saveSafetensors } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { NlpError } from '../errors';
import { buildHead, type HeadSpec } from '../head';
import { type BertConfig, type BertKind, parseBertConfig } from './config';
import { TokenReadout } from './layers';
import {
  assertBertKeys,
  type BertGraph,
  type BertKeyReport,
  bertStateDict,
  buildBert,
  loadBertWeights,
  matchBertKeys,
} from './model';
import { type HfTokenizer, loadHfTokenizer, type TokenBatch } from './tokenizer';

export type BertPooling = 'pooler' | 'cls' | 'mean';

export interface TextModelSpec {
  /** A local Hugging Face model folder: config.json, model.safetensors or pytorch_model.bin, tokenizer files. */
  path: string;
  /** Weights file (name inside the folder, or a path). Default: model.safetensors, else pytorch_model.bin. */
  weights?: string;
  /** Sentence vector: `pooler` (BERT's `outputs[1]`, default where the model has one), `cls` or `mean`. */
  pooling?: BertPooling;
  /** Token limit per text (default: the model's position table; RoBERTa: minus padding_idx + 1). */
  maxLength?: number;
}

/** What `forward` returns: the encoder's outputs as in transformers (the caller disposes them). */
export interface BertOutputs {
  lastHiddenState: tf.Tensor3D;
  /** `pooler_output`; absent for DistilBERT. */
  poolerOutput?: tf.Tensor2D;
}

export interface SaveHfWeightsOptions {
  /** Replace an existing file (default false: an existing file is an error). */
  overwrite?: boolean;
}

/** Weight files in the order `from_pretrained` prefers them; `*.index.json` = a sharded checkpoint. */
const WEIGHT_FILES = [
  'model.safetensors',
  'model.safetensors.index.json',
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
];

function readConfig(dir: string): { raw: Record<string, unknown>; file: string } {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) {
    throw new NlpError('MODEL_FILE_MISSING', `config.json is missing in ${dir}`, {
      file,
      hint: 'pass the folder of a Hugging Face model (config.json, model.safetensors or pytorch_model.bin, tokenizer.json)',
    });
  }
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a JSON object');
    return { raw: raw as Record<string, unknown>, file };
  } catch (cause) {
    throw new NlpError('MODEL_FILE_INVALID', `config.json is not valid JSON (${(cause as Error).message})`, {
      file,
      cause,
    });
  }
}

function weightsFile(dir: string, spec: TextModelSpec): string {
  if (spec.weights !== undefined) {
    const f = existsSync(resolve(dir, spec.weights)) ? resolve(dir, spec.weights) : resolve(spec.weights);
    if (!existsSync(f))
      throw new NlpError('MODEL_FILE_MISSING', `weights file ${spec.weights} not found`, { file: f });
    return f;
  }
  const found = WEIGHT_FILES.map((n) => join(dir, n)).find((f) => existsSync(f));
  if (found) return found;
  throw new NlpError('MODEL_FILE_MISSING', `no weights in ${dir}: looked for ${WEIGHT_FILES.join(', ')}`, {
    file: dir,
    hint: 'save the model with save_pretrained() (model.safetensors) or torch.save(model.state_dict(), "pytorch_model.bin")',
  });
}

/** A reader error (bad header, pickle, dtype…) re-raised as NlpError, keeping its file and key. */
function asNlpError(e: unknown, file: string): unknown {
  if (e instanceof NlpError || !isFrostlineError(e)) return e;
  return new NlpError('MODEL_FILE_INVALID', e.message, {
    file: e.file ?? file,
    ...(e.path !== undefined ? { path: e.path } : {}),
    details: { readerCode: e.code, ...(e.details ?? {}) },
    cause: e,
  });
}

/**
 * A BERT-family model (bert, ernie, roberta, distilbert) in TF.js with Hugging Face weights: trainable,
 * with Hugging Face parameter names. `encoder` maps token ids to one vector per text; `classifier()` puts a
 * head on it for `@frostline/tfjs`' `train`, whose policies see names like `encoder.layer.11/…` (and, as
 * aliases, the exact state_dict keys `encoder.layer.11.attention.self.query.weight`).
 */
export class BertTextModel {
  readonly kind: BertKind;
  readonly dim: number;
  readonly pooling: BertPooling;
  /** Model (and `train` data) inputs, in order. */
  readonly inputNames: string[];
  /** Token ids → sentence vector `[batch, hidden]`. */
  readonly encoder: tf.LayersModel;
  private readonly outputsModel: tf.LayersModel;
  private readonly hfLayers: Set<string>;
  private readonly heads: tf.LayersModel[] = [];
  private disposed = false;

  constructor(
    readonly graph: BertGraph,
    readonly config: BertConfig,
    readonly tokenizer: HfTokenizer | null,
    readonly maxLength: number,
    pooling: BertPooling,
    readonly source: { dir?: string; weightsFile?: string; keyReport?: BertKeyReport } = {},
  ) {
    this.kind = config.kind;
    this.dim = config.hidden;
    this.pooling = pooling;
    this.inputNames = graph.inputNames;
    this.hfLayers = new Set(graph.layers.map((l) => l.name));
    const hidden = new TokenReadout({ name: 'last_hidden_state', mode: 'hidden' }).apply(
      graph.packed,
    ) as tf.SymbolicTensor;
    this.outputsModel = tf.model({
      inputs: graph.inputs,
      outputs: graph.pooled ? [hidden, graph.pooled] : [hidden],
      name: `${config.kind}_outputs`,
    });
    this.encoder = tf.model({
      inputs: graph.inputs,
      outputs: this.pooledOutput(),
      name: `${config.kind}_encoder`,
    });
  }

  private pooledOutput(): tf.SymbolicTensor {
    if (this.pooling === 'pooler') return this.graph.pooled!;
    return new TokenReadout({
      name: this.pooling === 'cls' ? 'cls_token' : 'mean_pooling',
      mode: this.pooling,
    }).apply(this.graph.packed) as tf.SymbolicTensor;
  }

  /** HF state_dict key of a parameter (`encoder.layer.3/attention.self.query.weight` → dots), for policies. */
  readonly aliases = (p: ParamInfo): string[] => {
    const at = p.name.indexOf('/');
    if (at < 0) return [];
    const layer = p.name.slice(0, at);
    return this.hfLayers.has(layer) && !p.name.includes('/', at + 1)
      ? [`${layer}.${p.name.slice(at + 1)}`]
      : [];
  };

  /** Parameters of `model` (default: the encoder) with their HF aliases, as `@frostline/core` sees them. */
  params(model: tf.LayersModel = this.encoder): ParamInfo[] {
    return listParams(model, { aliases: this.aliases });
  }

  tokenize(texts: readonly string[]): TokenBatch {
    if (!this.tokenizer)
      throw new NlpError('BAD_OPTION', 'this model was built without a tokenizer: pass token ids');
    return this.tokenizer.encode(texts, this.maxLength);
  }

  /** Model inputs as int32 tensors in `inputNames` order (token types default to zeros). */
  inputs(batch: TokenBatch | readonly string[]): tf.Tensor2D[] {
    const b: TokenBatch & Record<string, number[][] | undefined> = Array.isArray(batch)
      ? (this.tokenize(batch as readonly string[]) as TokenBatch & Record<string, number[][] | undefined>)
      : (batch as TokenBatch & Record<string, number[][] | undefined>);
    return this.inputNames.map((name) => {
      const rows = b[name] ?? b.input_ids.map((r) => r.map(() => 0));
      return tf.tensor2d(rows, [rows.length, rows[0]?.length ?? 0], 'int32');
    });
  }

  /** `last_hidden_state` (and `pooler_output`) for a padded batch. */
  forward(batch: TokenBatch | readonly string[]): BertOutputs {
    const xs = this.inputs(batch);
    try {
      const out = this.outputsModel.predict(xs) as tf.Tensor | tf.Tensor[];
      const [h, p] = Array.isArray(out) ? out : [out];
      return { lastHiddenState: h as tf.Tensor3D, ...(p ? { poolerOutput: p as tf.Tensor2D } : {}) };
    } finally {
      tf.dispose(xs);
    }
  }

  /** One vector per text (the encoder's pooling), in batches. */
  async embed(texts: readonly string[], opts: { batchSize?: number } = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const bs = opts.batchSize ?? 32;
    for (let s = 0; s < texts.length; s += bs) {
      const xs = this.inputs(texts.slice(s, s + bs));
      const y = this.encoder.predict(xs) as tf.Tensor2D;
      const data = (await y.data()) as Float32Array;
      for (let r = 0; r < y.shape[0]; r++) out.push(data.slice(r * this.dim, (r + 1) * this.dim));
      tf.dispose([...xs, y]);
    }
    return out;
  }

  /**
   * A trainable classifier: inputs → encoder → head (`head/classifier/kernel`, softmax over `numClasses`).
   * It shares the encoder's layers, so training it fine-tunes this model's weights.
   */
  classifier(numClasses: number, head: HeadSpec = {}): tf.LayersModel {
    const headModel = buildHead(this.dim, numClasses, head);
    this.heads.push(headModel);
    const h = headModel.apply(this.encoder.outputs[0]!) as tf.SymbolicTensor;
    return tf.model({ inputs: this.graph.inputs, outputs: h, name: `${this.kind}_classifier` });
  }

  /** The (fine-tuned) weights as a Hugging Face state_dict: original keys, PyTorch layouts (live tensors). */
  stateDict(): ReturnType<typeof bertStateDict> {
    return bertStateDict(this.graph);
  }

  /** Save the weights as `.safetensors` with the Hugging Face key names, atomically; never overwrites by default. */
  async save(file: string, opts: SaveHfWeightsOptions = {}): Promise<{ file: string; bytes: number }> {
    return saveSafetensors(file, this.stateDict(), {
      metadata: { format: 'pt' },
      overwrite: opts.overwrite ?? false,
    });
  }

  /**
   * Free the weights: the encoder's and those of every classifier head built by `classifier()`. TF.js layers
   * shared by several models are freed once, so dispose this text model rather than its classifiers.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // A head model counts one reference for itself and one per classifier it was applied in.
    for (const h of this.heads) while (h.dispose().refCountAfterDispose > 0);
    this.outputsModel.dispose();
  }
}

/** Load weights into a freshly built graph; every problem is an NlpError naming the file and the key. */
async function readInto(graph: BertGraph, file: string): Promise<BertKeyReport> {
  let reader: CheckpointReader | undefined;
  try {
    reader = await openCheckpoint(file);
    const report = matchBertKeys(reader, graph);
    assertBertKeys(report, graph.config, file);
    await loadBertWeights(graph, reader, report.prefix);
    return report;
  } catch (e) {
    throw asNlpError(e, file);
  } finally {
    await reader?.close();
  }
}

/** Load a local Hugging Face BERT/ERNIE/RoBERTa/DistilBERT folder as a trainable TF.js model. */
export async function loadTextModel(spec: TextModelSpec): Promise<BertTextModel> {
  if (typeof spec?.path !== 'string')
    throw new NlpError('BAD_OPTION', 'loadTextModel needs { path: <model folder> }');
  const dir = resolve(spec.path);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new NlpError('MODEL_NOT_FOUND', `model folder ${dir} does not exist`, { file: dir });
  const { raw, file: configFile } = readConfig(dir);
  const config = parseBertConfig(raw, configFile);
  const pooling = spec.pooling ?? (config.kind === 'distilbert' ? 'cls' : 'pooler');
  if (!['pooler', 'cls', 'mean'].includes(pooling))
    throw new NlpError('BAD_OPTION', `unknown pooling '${pooling}'`, {
      hint: "use 'pooler', 'cls' or 'mean'",
    });
  if (pooling === 'pooler' && config.kind === 'distilbert')
    throw new NlpError('POOLING_UNAVAILABLE', 'DistilBERT has no pooler', {
      hint: "use pooling: 'cls' or 'mean'",
    });
  const file = weightsFile(dir, spec);
  const graph = buildBert(config);
  const report = await readInto(graph, file);
  const tokenizer = await loadHfTokenizer(dir);
  const positions = config.maxPositions - (config.kind === 'roberta' ? config.padTokenId + 1 : 0);
  const maxLength = spec.maxLength ?? positions;
  if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > positions)
    throw new NlpError('BAD_OPTION', `maxLength must be an integer in [2, ${positions}], got ${maxLength}`);
  return new BertTextModel(graph, config, tokenizer, maxLength, pooling, {
    dir,
    weightsFile: file,
    keyReport: report,
  });
}

/** A randomly initialised model of a config (benchmarks, tests); no tokenizer, feed token ids. */
export function randomTextModel(
  config: BertConfig,
  opts: { seed?: number; pooling?: BertPooling } = {},
): BertTextModel {
  const graph = buildBert(config, { init: 'random', seed: opts.seed ?? 0 });
  const pooling = opts.pooling ?? (config.kind === 'distilbert' ? 'cls' : 'pooler');
  return new BertTextModel(graph, config, null, config.maxPositions, pooling);
}
