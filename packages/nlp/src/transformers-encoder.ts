import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { ParamInfo } from '@frostline/core';
import { type EmbedOptions, ENCODER_PREFIX, type TextEncoder } from './encoder';
import { NlpError } from './errors';
import { onnxParams } from './onnx-params';
import { l2normalize, type Pooling, poolHidden } from './pooling';

export type TransformersRuntime = 'auto' | '@huggingface/transformers' | '@xenova/transformers';

export interface TransformersEncoderSpec {
  kind: 'transformers';
  /** A local model folder (HF layout: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx) or a hub id. */
  model: string;
  /** Default `cls` (BERT/ERNIE classification convention). `pooler` = the model's `pooler_output`. */
  pooling?: Pooling;
  /** L2-normalise embeddings. Default false. */
  normalize?: boolean;
  /** Token limit per text, special tokens included. Default: min(model_max_length, max_position_embeddings, 512). */
  maxLength?: number;
  /** Allow downloads from the Hugging Face hub. Default false: offline-first. */
  allowRemote?: boolean;
  /** `auto` (default) prefers @huggingface/transformers 3.x and falls back to @xenova/transformers 2.x. */
  runtime?: TransformersRuntime;
  /** Use `onnx/model_quantized.onnx`. Default: model.onnx when present, else the quantized file. */
  quantized?: boolean;
  /** Folder that holds models by id (transformers.js `env.localModelPath`). */
  localModelPath?: string;
  /** Default sentences per forward pass. Default 32. */
  batchSize?: number;
}

// The slice of the transformers.js API used here; identical in 2.17 and 3.x.
interface TjsTensor {
  data: ArrayLike<number>;
  dims: number[];
}
interface TjsEncoding {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
}
interface TjsTokenizer {
  (texts: string[], opts: Record<string, unknown>): TjsEncoding;
  pad_token_id?: number | null;
  sep_token_id?: number | null;
  model_max_length?: number;
}
interface TjsModel {
  (inputs: Record<string, unknown>): Promise<Record<string, TjsTensor | undefined>>;
  dispose?: () => Promise<unknown> | unknown;
}
interface TjsModule {
  env: {
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    localModelPath: string;
    cacheDir: string | null;
    version?: string;
  };
  AutoTokenizer: { from_pretrained(id: string, opts?: Record<string, unknown>): Promise<TjsTokenizer> };
  AutoModel: { from_pretrained(id: string, opts?: Record<string, unknown>): Promise<TjsModel> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
}

const RUNTIMES = ['@huggingface/transformers', '@xenova/transformers'] as const;

/**
 * Imports a transformers.js runtime and checks it can build an input tensor. The check catches a
 * broken install early: @huggingface/transformers 3.x imports `onnxruntime-common` without
 * declaring it, and a package manager that resolves it to another version (e.g. 1.14 pulled in by
 * @xenova/transformers) gives "Tensor is not a constructor" on the first forward pass.
 */
async function importRuntime(name: (typeof RUNTIMES)[number]): Promise<TjsModule> {
  let mod: TjsModule;
  try {
    mod = (await import(/* @vite-ignore */ name)) as TjsModule;
  } catch (cause) {
    throw new NlpError('RUNTIME_UNAVAILABLE', `cannot import ${name} (${(cause as Error).message})`, {
      hint: `install it: npm i ${name === '@xenova/transformers' ? '@xenova/transformers@2.17.2' : '@huggingface/transformers@3'} (see the README's install notes)`,
      cause,
    });
  }
  try {
    new mod.Tensor('int64', new BigInt64Array(1), [1, 1]);
  } catch (cause) {
    throw new NlpError(
      'RUNTIME_BROKEN',
      `${name} is installed but cannot create tensors (${(cause as Error).message})`,
      {
        hint:
          name === '@huggingface/transformers'
            ? 'it resolved the wrong onnxruntime-common: add onnxruntime-common matching its onnxruntime-node (1.21.0 for 3.8) as a dependency, or with pnpm a packageExtensions entry (see README)'
            : 'reinstall the package',
        cause,
      },
    );
  }
  return mod;
}

/**
 * The runtime that has run a model in this process. The two runtimes bundle different native
 * onnxruntime-node builds (1.14 and 1.21+); once one has created a session, loading the other's
 * native library into the same process fails ("DefaultLogger … none has been registered") or crashes.
 */
let activeRuntime: (typeof RUNTIMES)[number] | undefined;

export async function resolveRuntime(
  runtime: TransformersRuntime = 'auto',
): Promise<{ name: string; mod: TjsModule }> {
  if (runtime !== 'auto') {
    if (!RUNTIMES.includes(runtime)) {
      throw new NlpError('BAD_OPTION', `unknown runtime '${runtime}'`, {
        hint: `use 'auto', ${RUNTIMES.map((r) => `'${r}'`).join(' or ')}`,
      });
    }
    if (activeRuntime && activeRuntime !== runtime) {
      throw new NlpError(
        'RUNTIME_BROKEN',
        `${activeRuntime} already runs models in this process; ${runtime} cannot join it`,
        {
          hint: 'their native onnxruntime-node builds cannot share a process: use one runtime per process (or runtime: "auto")',
        },
      );
    }
    return { name: runtime, mod: await importRuntime(runtime) };
  }
  if (activeRuntime) return { name: activeRuntime, mod: await importRuntime(activeRuntime) };
  const failures: string[] = [];
  for (const name of RUNTIMES) {
    try {
      return { name, mod: await importRuntime(name) };
    } catch (e) {
      failures.push((e as Error).message.split('\n')[0]!);
    }
  }
  throw new NlpError('RUNTIME_UNAVAILABLE', `no transformers.js runtime works here: ${failures.join('; ')}`, {
    hint: 'npm i @huggingface/transformers@3 (or @xenova/transformers@2.17.2 with a sharp override); see the README',
  });
}

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) {
    throw new NlpError('MODEL_FILE_MISSING', `${basename(file)} is missing in ${dirname(file)}`, {
      hint: 'a transformers.js model folder needs config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx',
    });
  }
  const text = readFileSync(file, 'utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (cause) {
    throw new NlpError(
      'MODEL_FILE_INVALID',
      `${basename(file)} is not valid JSON (${(cause as Error).message})`,
      {
        file,
        hint: 're-export or re-download the model folder',
        cause,
      },
    );
  }
}

function isPathLike(model: string): boolean {
  return isAbsolute(model) || model.startsWith('.') || model.startsWith('~') || existsSync(model);
}

interface ResolvedModel {
  /** Folder that transformers.js gets as localModelPath, and the id under it. */
  root: string;
  id: string;
  dir: string;
  config: Record<string, unknown>;
  onnxFile: string;
  quantized: boolean;
}

function validateFolder(dir: string, quantized: boolean | undefined): Omit<ResolvedModel, 'root' | 'id'> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new NlpError('MODEL_NOT_FOUND', `model folder ${dir} does not exist`, {
      hint: 'pass the path of a folder in Hugging Face layout (config.json, tokenizer.json, onnx/model.onnx)',
    });
  }
  const config = readJson(join(dir, 'config.json'));
  readJson(join(dir, 'tokenizer.json'));
  readJson(join(dir, 'tokenizer_config.json'));
  const full = join(dir, 'onnx', 'model.onnx');
  const q8 = join(dir, 'onnx', 'model_quantized.onnx');
  const candidates = quantized === true ? [q8] : quantized === false ? [full] : [full, q8];
  const onnxFile = candidates.find((f) => existsSync(f));
  if (!onnxFile) {
    throw new NlpError(
      'MODEL_FILE_MISSING',
      `no ONNX weights in ${dir}: looked for ${candidates.join(', ')}`,
      {
        hint: 'export the model to ONNX (optimum-cli export onnx) into the onnx/ subfolder',
      },
    );
  }
  return { dir, config, onnxFile, quantized: onnxFile === q8 };
}

function resolveModel(spec: TransformersEncoderSpec, mod: TjsModule): ResolvedModel | { remote: string } {
  if (isPathLike(spec.model)) {
    const dir = resolve(spec.model);
    return { root: dirname(dir) + sep, id: basename(dir), ...validateFolder(dir, spec.quantized) };
  }
  const roots = [spec.localModelPath, mod.env.localModelPath, mod.env.cacheDir].filter(
    (r): r is string => typeof r === 'string' && r.length > 0,
  );
  for (const root of roots) {
    const dir = join(root, spec.model);
    if (existsSync(join(dir, 'config.json'))) {
      return { root: resolve(root) + sep, id: spec.model, ...validateFolder(dir, spec.quantized) };
    }
  }
  if (!spec.allowRemote) {
    throw new NlpError(
      'MODEL_NOT_FOUND',
      `model '${spec.model}' is not available locally (looked in ${roots.join(', ')})`,
      {
        hint: 'pass a local folder path, set localModelPath, or allow downloads with allowRemote: true',
      },
    );
  }
  return { remote: spec.model };
}

function intOption(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) {
    throw new NlpError('BAD_OPTION', `${name} must be an integer >= ${min}, got ${v}`);
  }
}

const POOLINGS: readonly Pooling[] = ['cls', 'mean', 'max', 'pooler'];

/** Checks the options that need no model, so a typo fails before a runtime is imported. */
function checkSpecOptions(spec: TransformersEncoderSpec): Pooling {
  const pooling: Pooling = spec.pooling ?? 'cls';
  if (!POOLINGS.includes(pooling)) {
    throw new NlpError('BAD_OPTION', `unknown pooling '${pooling}'`, {
      hint: "use 'cls', 'mean', 'max' or 'pooler'",
    });
  }
  intOption('maxLength', spec.maxLength, 2);
  intOption('batchSize', spec.batchSize, 1);
  return pooling;
}

interface LoadTarget {
  runtimeName: string;
  mod: TjsModule;
  /** Model id as transformers.js gets it (under `local.root` when local). */
  id: string;
  local: ResolvedModel | undefined;
  quantized: boolean;
}

/**
 * Loads tokenizer and model. The runtime's `env` is process-wide, so it is pointed at this model
 * only for the load and restored afterwards, also when the load fails.
 */
async function loadTokenizerAndModel(
  spec: TransformersEncoderSpec,
  { runtimeName, mod, id, local, quantized }: LoadTarget,
): Promise<{ tokenizer: TjsTokenizer; model: TjsModel }> {
  const env = mod.env;
  const saved = { allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  // v3 selects weights by dtype, v2 by `quantized` (default true there!); pass both, each ignores the other.
  const loadOpts: Record<string, unknown> = {
    quantized,
    dtype: quantized ? 'q8' : 'fp32',
    local_files_only: !spec.allowRemote,
  };
  try {
    env.allowRemoteModels = spec.allowRemote === true;
    if (local) env.localModelPath = local.root;
    const tokenizer = await mod.AutoTokenizer.from_pretrained(id, loadOpts);
    const model = await mod.AutoModel.from_pretrained(id, loadOpts);
    activeRuntime = runtimeName as (typeof RUNTIMES)[number];
    return { tokenizer, model };
  } catch (cause) {
    throw new NlpError(
      'MODEL_FILE_INVALID',
      `${runtimeName} could not load '${spec.model}': ${(cause as Error).message}`,
      {
        hint: 'check that the folder is a complete transformers.js export (ONNX opset <= 17 for @xenova/transformers)',
        cause,
      },
    );
  } finally {
    env.allowRemoteModels = saved.allowRemoteModels;
    env.localModelPath = saved.localModelPath;
  }
}

/** The ONNX file the model ran from; remote models land in the runtime's cache folder. */
function findOnnxFile({ mod, id, local, quantized }: LoadTarget): string | undefined {
  return (
    local?.onnxFile ??
    [mod.env.cacheDir, mod.env.localModelPath]
      .filter((r): r is string => !!r)
      .map((r) => join(r, id, 'onnx', quantized ? 'model_quantized.onnx' : 'model.onnx'))
      .find((f) => existsSync(f))
  );
}

/** The weights' short digest (for the encoder id) and their parameter list (for params()). */
function describeWeights(onnxFile: string | undefined): { digest: string; params: ParamInfo[] } {
  const bytes = onnxFile ? new Uint8Array(readFileSync(onnxFile)) : undefined;
  const digest = bytes ? createHash('sha256').update(bytes).digest('hex').slice(0, 12) : 'remote';
  const params = bytes ? onnxParams(bytes, { prefix: ENCODER_PREFIX, file: onnxFile }) : [];
  return { digest, params };
}

/** The first of `keys` that config.json sets to a number (architectures name the same thing differently). */
function configNumber(config: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) if (typeof config[k] === 'number') return config[k] as number;
  return undefined;
}

/** The token limit: the user's, checked against the model's, else the model's capped at 512. */
function resolveMaxLength(
  spec: TransformersEncoderSpec,
  config: Record<string, unknown>,
  tokenizer: TjsTokenizer,
): number {
  const positions = configNumber(config, 'max_position_embeddings', 'n_positions');
  const modelMax = typeof tokenizer.model_max_length === 'number' ? tokenizer.model_max_length : undefined;
  const limit = Math.min(positions ?? Number.POSITIVE_INFINITY, modelMax ?? Number.POSITIVE_INFINITY);
  if (spec.maxLength !== undefined && spec.maxLength > limit) {
    throw new NlpError(
      'BAD_OPTION',
      `maxLength ${spec.maxLength} exceeds the model's limit of ${limit} tokens`,
      {
        hint: `use maxLength <= ${limit}`,
      },
    );
  }
  return spec.maxLength ?? Math.min(limit, 512);
}

/** Truncates like Hugging Face tokenizers do: the closing special token ([SEP]) is kept. */
function truncateRow(enc: TjsEncoding, r: number, maxLength: number, sepId: number | undefined): void {
  const row = enc.input_ids[r]!;
  if (row.length <= maxLength) return;
  const keepLast = sepId !== undefined && row[row.length - 1] === sepId;
  const cut = <T>(a: T[] | undefined) => {
    if (!a) return a;
    return keepLast ? [...a.slice(0, maxLength - 1), a[a.length - 1]!] : a.slice(0, maxLength);
  };
  enc.input_ids[r] = cut(row)!;
  enc.attention_mask[r] = cut(enc.attention_mask[r])!;
  if (enc.token_type_ids) enc.token_type_ids[r] = cut(enc.token_type_ids[r])!;
}

/** Pads the token rows `rows` of `enc` to their longest into row-major int64 arrays. */
function padBatch(enc: TjsEncoding, rows: number[], padId: number) {
  const len = Math.max(...rows.map((r) => enc.input_ids[r]!.length));
  const ids = new BigInt64Array(rows.length * len).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * len);
  const types = new BigInt64Array(rows.length * len);
  rows.forEach((r, b) => {
    const n = enc.input_ids[r]!.length;
    for (let s = 0; s < n; s++) {
      ids[b * len + s] = BigInt(enc.input_ids[r]![s]!);
      mask[b * len + s] = BigInt(enc.attention_mask[r]![s]!);
      types[b * len + s] = BigInt(enc.token_type_ids?.[r]?.[s] ?? 0);
    }
  });
  return { ids, mask, types, dims: [rows.length, len] };
}

/** What a forward pass needs; fixed once the encoder is loaded. */
interface ForwardContext {
  mod: TjsModule;
  model: TjsModel;
  pooling: Pooling;
  /** The user's model name, for errors. */
  modelName: string;
  padId: number;
}

/** One vector per row of `rows`: the model's `pooler_output`, or its last hidden state pooled. */
async function runBatch(ctx: ForwardContext, enc: TjsEncoding, rows: number[]): Promise<Float32Array[]> {
  const { ids, mask, types, dims } = padBatch(enc, rows, ctx.padId);
  const out = await ctx.model({
    input_ids: new ctx.mod.Tensor('int64', ids, dims),
    attention_mask: new ctx.mod.Tensor('int64', mask, dims),
    token_type_ids: new ctx.mod.Tensor('int64', types, dims),
  });
  if (ctx.pooling === 'pooler') {
    const pooled = out.pooler_output;
    if (!pooled) {
      throw new NlpError('POOLING_UNAVAILABLE', `'${ctx.modelName}' has no pooler_output`, {
        hint: "use pooling 'cls', 'mean' or 'max'",
      });
    }
    const d = pooled.dims[1]!;
    return rows.map((_, b) => Float32Array.from({ length: d }, (_v, h) => pooled.data[b * d + h]!));
  }
  const hidden = out.last_hidden_state ?? Object.values(out)[0];
  if (!hidden) throw new NlpError('MODEL_FILE_INVALID', `'${ctx.modelName}' returned no outputs`);
  return poolHidden(hidden.data, hidden.dims, mask, ctx.pooling);
}

interface EmbedContext extends ForwardContext {
  tokenizer: TjsTokenizer;
  maxLength: number;
  sepId: number | undefined;
  batchSize: number;
  normalize: boolean;
}

/** Embeds a non-empty list of texts, in batches of similar length; results keep the input order. */
async function embedTexts(
  ctx: EmbedContext,
  texts: readonly string[],
  opts: EmbedOptions,
): Promise<Float32Array[]> {
  const enc = ctx.tokenizer([...texts], { padding: false, truncation: false, return_tensor: false });
  for (let r = 0; r < texts.length; r++) truncateRow(enc, r, ctx.maxLength, ctx.sepId);
  // Similar lengths in one batch: less padding to run through the model; order restored below.
  const order = texts.map((_, i) => i).sort((a, b) => enc.input_ids[a]!.length - enc.input_ids[b]!.length);
  const out = new Array<Float32Array>(texts.length);
  const bs = opts.batchSize ?? ctx.batchSize;
  for (let start = 0; start < order.length; start += bs) {
    const rows = order.slice(start, start + bs);
    const vecs = await runBatch(ctx, enc, rows);
    rows.forEach((r, b) => {
      out[r] = ctx.normalize ? l2normalize(vecs[b]!) : vecs[b]!;
    });
    opts.onProgress?.(Math.min(start + bs, order.length), order.length);
  }
  return out;
}

/** Loads a Hugging Face encoder through transformers.js; inference only, so every weight is fixed. */
export async function loadTransformersEncoder(spec: TransformersEncoderSpec): Promise<TextEncoder> {
  const pooling = checkSpecOptions(spec);
  const { name: runtimeName, mod } = await resolveRuntime(spec.runtime);
  const resolved = resolveModel(spec, mod);
  const local = 'dir' in resolved ? resolved : undefined;
  const target: LoadTarget = {
    runtimeName,
    mod,
    id: local ? local.id : (resolved as { remote: string }).remote,
    local,
    quantized: local ? local.quantized : (spec.quantized ?? false),
  };
  const { tokenizer, model } = await loadTokenizerAndModel(spec, target);
  const { digest, params } = describeWeights(findOnnxFile(target));
  const config = local?.config ?? {};
  const ctx: EmbedContext = {
    mod,
    model,
    pooling,
    modelName: spec.model,
    padId: tokenizer.pad_token_id ?? 0,
    tokenizer,
    maxLength: resolveMaxLength(spec, config, tokenizer),
    sepId: tokenizer.sep_token_id ?? undefined,
    batchSize: spec.batchSize ?? 32,
    normalize: spec.normalize ?? false,
  };
  let dim = configNumber(config, 'hidden_size', 'd_model', 'dim', 'hidden_dim') ?? 0;
  let disposed = false;

  const encoder: TextEncoder = {
    id: `transformers:${basename(target.id)}@${digest}`,
    kind: 'transformers',
    get dim() {
      return dim;
    },
    pooling,
    normalize: ctx.normalize,
    maxLength: ctx.maxLength,
    runtime: `${runtimeName}@${mod.env.version ?? '?'}`,
    params: (): ParamInfo[] => params.map((p) => ({ ...p })),
    async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
      if (disposed) throw new NlpError('BAD_OPTION', 'encoder was disposed');
      intOption('batchSize', opts.batchSize, 1);
      if (texts.length === 0) return [];
      const out = await embedTexts(ctx, texts, opts);
      if (!dim) dim = out[0]!.length;
      return out;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await model.dispose?.();
    },
  };
  // Some configs do not name the width, and pooler_output may differ from it: measure once.
  if (!dim || pooling === 'pooler') dim = (await encoder.embed(['a']))[0]!.length;
  return encoder;
}
