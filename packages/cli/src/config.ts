import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { type PolicySpec, validatePolicy } from '@frostline/core';
import { parseDocument } from 'yaml';
import { type Blame, blaming, CliError, oneLine } from './errors';
import { formatOf, readUserFile } from './files';
import { loadPolicyFile } from './policy-file';
import { type Infer, type Schema, SchemaError, validate, withDefaults } from './schema';

const positiveInt = { type: 'number', integer: true, min: 1 } as const;
const share = { type: 'number', min: 0, max: 1, exclusiveMin: true } as const;
const nonEmpty = { type: 'string', nonEmpty: true } as const;

/** `encoder:` as an object (a bare string is shorthand: `use-lite` or a transformers model). */
const ENCODER_SCHEMA = {
  type: 'object',
  required: ['kind'],
  props: {
    kind: { type: 'string', enum: ['use-lite', 'transformers', 'bert', 'ernie', 'roberta', 'distilbert'] },
    /**
     * transformers: a local Hugging Face folder (config.json + onnx/) or a model id; bert / ernie / roberta /
     * distilbert: a Hugging Face folder with PyTorch weights (config.json, model.safetensors or
     * pytorch_model.bin, tokenizer.json), run in TF.js.
     */
    model: nonEmpty,
    pooling: { type: 'string', enum: ['cls', 'mean', 'max', 'pooler'] },
    normalize: { type: 'boolean' },
    maxLength: positiveInt,
  },
} as const satisfies Schema;

/**
 * The run config, written once: keys, types, allowed values and defaults. `RunConfig` (below) is
 * derived from it, and `validateRunConfig` checks and fills it.
 */
export const RUN_CONFIG_SCHEMA = {
  type: 'object',
  required: ['task', 'dataset'],
  props: {
    name: nonEmpty,
    task: { type: 'string', enum: ['image-classification', 'text-classification'] },
    backbone: {
      type: 'oneOf',
      options: [
        nonEmpty,
        {
          type: 'object',
          required: ['name'],
          props: { name: nonEmpty, inputSize: { type: 'number', integer: true, min: 8 } },
        },
      ],
    },
    encoder: { type: 'oneOf', options: [nonEmpty, ENCODER_SCHEMA] },
    head: {
      type: 'object',
      default: {},
      props: {
        hidden: { type: 'oneOf', options: [positiveInt, { type: 'array', items: positiveInt }] },
        dropout: { type: 'number', min: 0, max: 0.95 },
        pooling: { type: 'string', enum: ['avg', 'max', 'flatten'] },
      },
    },
    dataset: {
      type: 'object',
      props: {
        /** image-classification: `root/<class>/*.png|jpg|jpeg|webp`. */
        imageFolder: nonEmpty,
        /** image-classification: real MNIST digits from the `mnist` package. */
        mnist: {
          type: 'object',
          required: ['digits', 'perClass'],
          props: {
            digits: { type: 'array', items: { type: 'number', integer: true, min: 0, max: 9 }, minItems: 2 },
            perClass: positiveInt,
            testPerClass: positiveInt,
          },
        },
        /** text-classification: a CSV/TSV/JSONL file with text and label columns. */
        csv: nonEmpty,
        tsv: nonEmpty,
        jsonl: nonEmpty,
        /** text-classification: the project's built-in sentiment set. */
        builtin: { type: 'string', enum: ['sentiment'] },
        textColumn: nonEmpty,
        labelColumn: nonEmpty,
        /** Share of the training data held out for validation. */
        validationSplit: { ...share, default: 0.2 },
        /** Images are resized to this (default: the backbone's input size). */
        imageSize: { type: 'number', integer: true, min: 8 },
        /**
         * imageFolder: read images a batch at a time instead of decoding the folder into memory first.
         * `auto` streams folders of more than STREAM_THRESHOLD images.
         */
        stream: { type: 'oneOf', options: [{ type: 'boolean' }, { type: 'string', enum: ['auto'] }] },
      },
    },
    /** A policy file (relative to the config) or an inline policy. */
    policy: { type: 'oneOf', options: [nonEmpty, { type: 'object', props: {}, open: true }] },
    epochs: { ...positiveInt, default: 5 },
    batchSize: { ...positiveInt, default: 32 },
    learningRate: { type: 'number', min: 0, exclusiveMin: true, default: 0.001 },
    optimizer: { type: 'string', enum: ['adam', 'sgd', 'momentum', 'rmsprop'], default: 'adam' },
    seed: { type: 'number', integer: true, min: 0, default: 42 },
    /** Default `runs/<name or task>` next to the config. */
    output: nonEmpty,
    cache: { type: 'string', enum: ['auto', 'off'], default: 'auto' },
    backend: {
      type: 'string',
      enum: ['auto', 'wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu'],
      default: 'auto',
    },
    verifyFrozen: { type: 'string', enum: ['epoch', 'end', 'off'], default: 'epoch' },
    earlyStopping: {
      type: 'object',
      required: ['patience'],
      props: { patience: positiveInt, monitor: { type: 'string' }, minDelta: { type: 'number', min: 0 } },
    },
  },
} as const satisfies Schema;

type RawRunConfig = Infer<typeof RUN_CONFIG_SCHEMA>;
export type Task = RawRunConfig['task'];
export type EncoderConfig = Infer<typeof ENCODER_SCHEMA>;
export type DatasetConfig = RawRunConfig['dataset'];
export type HeadConfig = RawRunConfig['head'];

/**
 * A validated run config (the schema's type with defaults filled): paths are absolute (resolved
 * against the config file's folder), `encoder` is always an object, `output` always set.
 */
export type RunConfig = Omit<RawRunConfig, 'encoder' | 'output'> & {
  encoder?: EncoderConfig;
  output: string;
  /** Where the config came from (for the report and resume). */
  source?: string;
};

const IMAGE_SOURCES = ['imageFolder', 'mnist'] as const;
const TEXT_SOURCES = ['csv', 'tsv', 'jsonl', 'builtin'] as const;

/** A YAML document may expand aliases this many times before it counts as an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/** Parses YAML or JSON text; a syntax error names file, line and column. */
export function parseConfigText(text: string, file: string): unknown {
  return formatOf(file) === 'json' ? parseJson(text, file) : parseYaml(text, file);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const msg = (error as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const before = pos ? text.slice(0, Number(pos[1])) : '';
    const at = pos
      ? { line: before.split('\n').length, column: Number(pos[1]) - before.lastIndexOf('\n') }
      : {};
    throw new CliError('PARSE_ERROR', `malformed JSON: ${oneLine(msg)}`, { file, ...at });
  }
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new CliError('PARSE_ERROR', `malformed YAML: ${first}`, {
      file,
      hint: 'fix the syntax at that line',
      ...(pos ? { line: pos.line, column: pos.col } : {}),
    });
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml package refuses documents whose aliases expand without bound ("billion laughs").
    throw new CliError('PARSE_ERROR', `YAML refused: ${oneLine((error as Error).message)}`, {
      file,
      hint: `use at most ${MAX_ALIAS_COUNT} alias expansions; write the values out`,
      cause: error,
    });
  }
}

function absolute(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

function looksLikePath(value: string): boolean {
  return value.startsWith('.') || value.startsWith('/') || value.includes('/') || value.includes('\\');
}

interface Where {
  baseDir: string;
  file?: string;
}

const RELATIVE_HINT = 'paths are relative to the config file';

/** Resolves a path the config names and checks that it exists and is a file or folder as expected. */
function existingPath(written: string, key: string, kind: 'folder' | 'file', at: Where): string {
  const abs = absolute(written, at.baseDir);
  const opts = { path: key, ...(at.file !== undefined ? { file: at.file } : {}) };
  if (!existsSync(abs)) {
    throw new CliError('BAD_DATASET', `${kind} not found: ${written}`, { ...opts, hint: RELATIVE_HINT });
  }
  const isDir = statSync(abs).isDirectory();
  if (kind === 'folder' && !isDir)
    throw new CliError('BAD_DATASET', `expected a folder, ${written} is a file`, opts);
  if (kind === 'file' && isDir)
    throw new CliError('BAD_DATASET', `expected a file, ${written} is a folder`, opts);
  return abs;
}

/** One dataset source that fits the task; its paths made absolute. */
function checkDataset(raw: RawRunConfig, at: Where): DatasetConfig {
  const dataset = { ...raw.dataset };
  const isImage = raw.task === 'image-classification';
  const mine = isImage ? IMAGE_SOURCES : TEXT_SOURCES;
  const sources = mine.filter((k) => dataset[k] !== undefined);
  const wrong = (isImage ? TEXT_SOURCES : IMAGE_SOURCES).filter((k) => dataset[k] !== undefined);
  const fail = (path: string, message: string) => new SchemaError(path, message, at.file);
  if (wrong.length) {
    throw fail(`dataset.${wrong[0]}`, `not a source for task '${raw.task}'; use ${mine.join(' or ')}`);
  }
  if (sources.length !== 1) {
    const got = sources.length ? ` (got ${sources.join(' and ')})` : '';
    throw fail('dataset', `needs exactly one source for '${raw.task}': ${mine.join(', ')}${got}`);
  }
  for (const key of ['imageFolder', 'csv', 'tsv', 'jsonl'] as const) {
    const p = dataset[key];
    if (p !== undefined)
      dataset[key] = existingPath(p, `dataset.${key}`, key === 'imageFolder' ? 'folder' : 'file', at);
  }
  const digits = dataset.mnist?.digits;
  if (digits && new Set(digits).size !== digits.length)
    throw fail('dataset.mnist.digits', 'lists a digit twice');
  if (isImage && dataset.textColumn) throw fail('dataset.textColumn', 'only for text-classification');
  return dataset;
}

/** image-classification: a backbone name or a model folder (made absolute). */
function checkBackbone(raw: RawRunConfig, at: Where): RunConfig['backbone'] {
  const fail = (path: string, message: string) => new SchemaError(path, message, at.file);
  if (raw.encoder !== undefined) throw fail('encoder', 'only for text-classification; use backbone');
  const backbone = raw.backbone;
  if (backbone === undefined)
    throw fail('backbone', "is required for image-classification (e.g. 'mnist-cnn')");
  const name = typeof backbone === 'string' ? backbone : backbone.name;
  if (!looksLikePath(name)) return backbone;
  const abs = absolute(name, at.baseDir);
  if (!existsSync(abs)) {
    throw new CliError('FILE_NOT_FOUND', `model folder not found: ${name}`, {
      path: 'backbone',
      hint: RELATIVE_HINT,
      ...(at.file !== undefined ? { file: at.file } : {}),
    });
  }
  return typeof backbone === 'string' ? abs : { ...backbone, name: abs };
}

/** text-classification: the encoder as an object (`use-lite` by default), a model folder made absolute. */
function checkEncoder(raw: RawRunConfig, at: Where): EncoderConfig {
  const fail = (path: string, message: string) => new SchemaError(path, message, at.file);
  if (raw.backbone !== undefined) throw fail('backbone', 'only for image-classification; use encoder');
  const e = raw.encoder ?? 'use-lite';
  const encoder: EncoderConfig =
    typeof e === 'string'
      ? e === 'use-lite'
        ? { kind: 'use-lite' }
        : { kind: 'transformers', model: e }
      : { ...e };
  if (encoder.kind === 'use-lite') {
    if (encoder.model !== undefined)
      throw fail('encoder.model', "not for kind 'use-lite' (its weights ship with it)");
    return encoder;
  }
  if (!encoder.model) throw fail('encoder.model', `is required for kind '${encoder.kind}'`);
  const abs = absolute(encoder.model, at.baseDir);
  if (existsSync(abs)) return { ...encoder, model: abs };
  if (looksLikePath(encoder.model)) {
    throw new CliError('FILE_NOT_FOUND', `folder not found: ${encoder.model}`, {
      path: 'encoder.model',
      hint: RELATIVE_HINT,
      ...(at.file !== undefined ? { file: at.file } : {}),
    });
  }
  return encoder;
}

/**
 * Validates an untyped config (parsed YAML/JSON) into a `RunConfig`: path-precise errors, task
 * consistency (one dataset source that fits the task), defaults filled, paths resolved against
 * `baseDir` and checked. `file` is where the config came from (named in every error).
 */
export function validateRunConfig(value: unknown, baseDir: string, file?: string): RunConfig {
  validate(RUN_CONFIG_SCHEMA, value, '', file);
  const raw = withDefaults(RUN_CONFIG_SCHEMA, value);
  const at: Where = { baseDir, ...(file !== undefined ? { file } : {}) };
  const isImage = raw.task === 'image-classification';
  const dataset = checkDataset(raw, at);
  const backbone = isImage ? checkBackbone(raw, at) : undefined;
  const encoder = isImage ? undefined : checkEncoder(raw, at);
  let policy = raw.policy;
  if (typeof policy === 'string') policy = existingPath(policy, 'policy', 'file', at);
  const { encoder: _e, backbone: _b, policy: _p, ...rest } = raw;
  return {
    ...rest,
    dataset,
    output: absolute(raw.output ?? `runs/${raw.name ?? raw.task}`, baseDir),
    ...(backbone !== undefined ? { backbone } : {}),
    ...(encoder ? { encoder } : {}),
    ...(policy !== undefined ? { policy } : {}),
  };
}

/** Reads, parses and validates a run config file. */
export function loadRunConfig(file: string): RunConfig {
  const text = readUserFile(file, 'config file');
  const value = parseConfigText(text, file);
  const config = validateRunConfig(value, dirname(resolve(file)), file);
  config.source = resolve(file);
  return config;
}

/** The policy a config names (file or inline), validated by core. No policy: train everything. */
export function resolvePolicy(config: RunConfig): PolicySpec {
  if (config.policy === undefined) return { default: 'trainable' };
  if (typeof config.policy === 'string') return loadPolicyFile(config.policy);
  const inline = config.policy;
  return blaming(inlinePolicyBlame(config), () => validatePolicy(inline));
}

/** Errors in a policy written inside a run config belong to that file's `policy` section. */
export function inlinePolicyBlame(config: RunConfig): Blame {
  return { file: config.source ? basename(config.source) : 'run config', within: 'policy' };
}

/** The optimisation settings every trainer takes, as a run config states them. */
export function trainerOptions(config: RunConfig) {
  return {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    optimizer: config.optimizer,
    seed: config.seed,
    ...(config.earlyStopping ? { earlyStopping: config.earlyStopping } : {}),
  };
}
