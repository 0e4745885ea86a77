import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { PolicySpec } from '@frostline/core';
import { parseDocument } from 'yaml';
import { CliError, oneLine } from './errors';
import { formatOf, readUserFile } from './files';
import { loadInlinePolicy, loadPolicyFile } from './policy-file';
import { type Schema, SchemaError, validate } from './schema';

export type Task = 'image-classification' | 'text-classification';

export interface EncoderConfig {
  kind: 'use-lite' | 'transformers';
  /** transformers: a local Hugging Face folder (config.json + onnx/) or a model id. */
  model?: string;
  pooling?: 'cls' | 'mean' | 'max';
  normalize?: boolean;
  maxLength?: number;
}

export interface DatasetConfig {
  /** image-classification: `root/<class>/*.png|jpg|jpeg|webp`. */
  imageFolder?: string;
  /** image-classification: real MNIST digits from the `mnist` package. */
  mnist?: { digits: number[]; perClass: number; testPerClass?: number };
  /** text-classification: a CSV/TSV/JSONL file with text and label columns. */
  csv?: string;
  tsv?: string;
  jsonl?: string;
  /** text-classification: the project's built-in sentiment set. */
  builtin?: 'sentiment';
  textColumn?: string;
  labelColumn?: string;
  /** Share of the training data held out for validation (default 0.2). */
  validationSplit?: number;
  /** Images are resized to this (default: the backbone's input size). */
  imageSize?: number;
}

export interface HeadConfig {
  hidden?: number | number[];
  dropout?: number;
  pooling?: 'avg' | 'max' | 'flatten';
}

/** A validated run config; paths are absolute (resolved against the config file's folder). */
export interface RunConfig {
  name?: string;
  task: Task;
  backbone?: string | { name: string; inputSize?: number };
  encoder?: EncoderConfig;
  head: HeadConfig;
  dataset: DatasetConfig;
  /** The policy as written: a file path (absolute) or an inline object. */
  policy?: string | Record<string, unknown>;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'adam' | 'sgd' | 'momentum' | 'rmsprop';
  seed: number;
  output: string;
  cache: 'auto' | 'off';
  backend: 'auto' | 'wasm' | 'cpu' | 'tfjs-node' | 'tfjs-node-gpu';
  verifyFrozen: 'epoch' | 'end' | 'off';
  earlyStopping?: { patience: number; monitor?: string; minDelta?: number };
  /** Where the config came from (for the report and resume). */
  source?: string;
}

const positiveInt: Schema = { type: 'number', integer: true, min: 1 };
const share: Schema = { type: 'number', min: 0, max: 1, exclusiveMin: true };

export const RUN_CONFIG_SCHEMA: Schema = {
  type: 'object',
  required: ['task', 'dataset'],
  props: {
    name: { type: 'string', nonEmpty: true },
    task: { type: 'string', enum: ['image-classification', 'text-classification'] },
    backbone: {
      type: 'oneOf',
      options: [
        { type: 'string', nonEmpty: true },
        {
          type: 'object',
          required: ['name'],
          props: {
            name: { type: 'string', nonEmpty: true },
            inputSize: { type: 'number', integer: true, min: 8 },
          },
        },
      ],
    },
    encoder: {
      type: 'oneOf',
      options: [
        { type: 'string', nonEmpty: true },
        {
          type: 'object',
          required: ['kind'],
          props: {
            kind: { type: 'string', enum: ['use-lite', 'transformers'] },
            model: { type: 'string', nonEmpty: true },
            pooling: { type: 'string', enum: ['cls', 'mean', 'max'] },
            normalize: { type: 'boolean' },
            maxLength: positiveInt,
          },
        },
      ],
    },
    head: {
      type: 'object',
      props: {
        hidden: { type: 'oneOf', options: [positiveInt, { type: 'array', items: positiveInt }] },
        dropout: { type: 'number', min: 0, max: 0.95 },
        pooling: { type: 'string', enum: ['avg', 'max', 'flatten'] },
      },
    },
    dataset: {
      type: 'object',
      props: {
        imageFolder: { type: 'string', nonEmpty: true },
        mnist: {
          type: 'object',
          required: ['digits', 'perClass'],
          props: {
            digits: { type: 'array', items: { type: 'number', integer: true, min: 0, max: 9 }, minItems: 2 },
            perClass: positiveInt,
            testPerClass: positiveInt,
          },
        },
        csv: { type: 'string', nonEmpty: true },
        tsv: { type: 'string', nonEmpty: true },
        jsonl: { type: 'string', nonEmpty: true },
        builtin: { type: 'string', enum: ['sentiment'] },
        textColumn: { type: 'string', nonEmpty: true },
        labelColumn: { type: 'string', nonEmpty: true },
        validationSplit: share,
        imageSize: { type: 'number', integer: true, min: 8 },
      },
    },
    policy: {
      type: 'oneOf',
      options: [
        { type: 'string', nonEmpty: true },
        { type: 'object', props: {}, open: true },
      ],
    },
    epochs: positiveInt,
    batchSize: positiveInt,
    learningRate: { type: 'number', min: 0, exclusiveMin: true },
    optimizer: { type: 'string', enum: ['adam', 'sgd', 'momentum', 'rmsprop'] },
    seed: { type: 'number', integer: true, min: 0 },
    output: { type: 'string', nonEmpty: true },
    cache: { type: 'string', enum: ['auto', 'off'] },
    backend: { type: 'string', enum: ['auto', 'wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu'] },
    verifyFrozen: { type: 'string', enum: ['epoch', 'end', 'off'] },
    earlyStopping: {
      type: 'object',
      required: ['patience'],
      props: { patience: positiveInt, monitor: { type: 'string' }, minDelta: { type: 'number', min: 0 } },
    },
  },
};

const IMAGE_SOURCES = ['imageFolder', 'mnist'] as const;
const TEXT_SOURCES = ['csv', 'tsv', 'jsonl', 'builtin'] as const;

/** Parses YAML or JSON text; a syntax error names line and column. */
export function parseConfigText(text: string, file: string): unknown {
  if (formatOf(file) === 'json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      const msg = (error as Error).message;
      const pos = /position (\d+)/.exec(msg);
      let where = '';
      if (pos) {
        const before = text.slice(0, Number(pos[1]));
        const line = before.split('\n').length;
        const col = Number(pos[1]) - before.lastIndexOf('\n');
        where = `:${line}:${col}`;
      }
      throw new CliError('PARSE_ERROR', `${file}${where}: malformed JSON: ${oneLine(msg)}`);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new CliError(
      'PARSE_ERROR',
      `${file}${where}: malformed YAML: ${first} (fix the syntax at that line)`,
    );
  }
  return doc.toJS();
}

function absolute(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

function looksLikePath(value: string): boolean {
  return value.startsWith('.') || value.startsWith('/') || value.includes('/') || value.includes('\\');
}

function requireExisting(path: string, written: string, where: string, kind: 'folder' | 'file'): void {
  if (!existsSync(path)) {
    throw new CliError(
      'BAD_DATASET',
      `${where}: ${kind} not found: ${written} (paths are relative to the config file)`,
    );
  }
  const isDir = statSync(path).isDirectory();
  if (kind === 'folder' && !isDir)
    throw new CliError('BAD_DATASET', `${where}: expected a folder, ${written} is a file`);
  if (kind === 'file' && isDir)
    throw new CliError('BAD_DATASET', `${where}: expected a file, ${written} is a folder`);
}

/**
 * Validates an untyped config (parsed YAML/JSON) into a `RunConfig`: path-precise messages, task
 * consistency (one dataset source that fits the task), paths resolved against `baseDir` and checked.
 */
export function validateRunConfig(value: unknown, baseDir: string, file = 'config'): RunConfig {
  const prefix = (e: unknown) => {
    if (e instanceof CliError && !e.message.startsWith(file)) e.message = `${file}: ${e.message}`;
    return e;
  };
  try {
    return validateInner(value, baseDir);
  } catch (error) {
    throw prefix(error);
  }
}

function validateInner(value: unknown, baseDir: string): RunConfig {
  validate(RUN_CONFIG_SCHEMA, value);
  const raw = value as Record<string, unknown>;
  const task = raw.task as Task;
  const dataset = { ...(raw.dataset as DatasetConfig) };
  const isImage = task === 'image-classification';
  const sources = (isImage ? IMAGE_SOURCES : TEXT_SOURCES).filter((k) => dataset[k] !== undefined);
  const wrong = (isImage ? TEXT_SOURCES : IMAGE_SOURCES).filter((k) => dataset[k] !== undefined);
  if (wrong.length) {
    throw new SchemaError(
      `dataset.${wrong[0]}`,
      `not a source for task '${task}'; use ${(isImage ? IMAGE_SOURCES : TEXT_SOURCES).join(' or ')}`,
    );
  }
  if (sources.length !== 1) {
    throw new SchemaError(
      'dataset',
      `needs exactly one source for '${task}': ${(isImage ? IMAGE_SOURCES : TEXT_SOURCES).join(', ')}${sources.length ? ` (got ${sources.join(' and ')})` : ''}`,
    );
  }
  for (const key of ['imageFolder', 'csv', 'tsv', 'jsonl'] as const) {
    const p = dataset[key];
    if (p !== undefined) {
      const abs = absolute(p, baseDir);
      requireExisting(abs, p, `dataset.${key}`, key === 'imageFolder' ? 'folder' : 'file');
      dataset[key] = abs;
    }
  }
  if (dataset.mnist) {
    const digits = dataset.mnist.digits;
    if (new Set(digits).size !== digits.length)
      throw new SchemaError('dataset.mnist.digits', 'lists a digit twice');
  }
  if (isImage && dataset.textColumn)
    throw new SchemaError('dataset.textColumn', `only for text-classification`);

  let backbone = raw.backbone as RunConfig['backbone'];
  let encoder: EncoderConfig | undefined;
  if (isImage) {
    if (backbone === undefined)
      throw new SchemaError('backbone', "is required for image-classification (e.g. 'mnist-cnn')");
    if (raw.encoder !== undefined)
      throw new SchemaError('encoder', 'only for text-classification; use backbone');
    const name = typeof backbone === 'string' ? backbone : backbone.name;
    if (looksLikePath(name)) {
      const abs = absolute(name, baseDir);
      if (!existsSync(abs)) throw new CliError('FILE_NOT_FOUND', `backbone: model folder not found: ${name}`);
      backbone = typeof backbone === 'string' ? abs : { ...backbone, name: abs };
    }
  } else {
    if (backbone !== undefined)
      throw new SchemaError('backbone', 'only for image-classification; use encoder');
    const e = raw.encoder ?? 'use-lite';
    encoder =
      typeof e === 'string'
        ? e === 'use-lite'
          ? { kind: 'use-lite' }
          : { kind: 'transformers', model: e }
        : { ...(e as EncoderConfig) };
    if (encoder.kind === 'transformers') {
      if (!encoder.model) throw new SchemaError('encoder.model', "is required for kind 'transformers'");
      const abs = absolute(encoder.model, baseDir);
      if (looksLikePath(encoder.model) || existsSync(abs)) {
        if (!existsSync(abs))
          throw new CliError('FILE_NOT_FOUND', `encoder.model: folder not found: ${encoder.model}`);
        encoder.model = abs;
      }
    } else if (encoder.model !== undefined) {
      throw new SchemaError('encoder.model', "only for kind 'transformers'");
    }
  }

  let policy = raw.policy as RunConfig['policy'];
  if (typeof policy === 'string') {
    const abs = absolute(policy, baseDir);
    if (!existsSync(abs))
      throw new CliError(
        'FILE_NOT_FOUND',
        `policy: file not found: ${policy} (paths are relative to the config file)`,
      );
    policy = abs;
  }

  const config: RunConfig = {
    task,
    head: { ...((raw.head as HeadConfig) ?? {}) },
    dataset,
    epochs: (raw.epochs as number) ?? 5,
    batchSize: (raw.batchSize as number) ?? 32,
    learningRate: (raw.learningRate as number) ?? 0.001,
    optimizer: (raw.optimizer as RunConfig['optimizer']) ?? 'adam',
    seed: (raw.seed as number) ?? 42,
    output: absolute((raw.output as string) ?? `runs/${(raw.name as string) ?? task}`, baseDir),
    cache: (raw.cache as RunConfig['cache']) ?? 'auto',
    backend: (raw.backend as RunConfig['backend']) ?? 'auto',
    verifyFrozen: (raw.verifyFrozen as RunConfig['verifyFrozen']) ?? 'epoch',
  };
  if (raw.name !== undefined) config.name = raw.name as string;
  if (backbone !== undefined) config.backbone = backbone;
  if (encoder) config.encoder = encoder;
  if (policy !== undefined) config.policy = policy;
  if (raw.earlyStopping) config.earlyStopping = raw.earlyStopping as RunConfig['earlyStopping'];
  return config;
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
  try {
    return loadInlinePolicy(config.policy);
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith('policy'))
      error.message = `policy: ${error.message}`;
    throw error;
  }
}
