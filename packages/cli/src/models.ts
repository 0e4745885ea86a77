import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { nearestNames, type ParamInfo } from '@frostline/core';
import type { BackboneEntry, BuildBackboneOptions } from '@frostline/vision';
import { type Backbone, ensureBackend, type LayersModel, loadNlp, loadTfjs, loadVision } from './adapters';
import { CliError } from './errors';
import { findToyModel, TOY_MODELS } from './toy-models';

/** A stage of a model, as plans and reports group layers. */
export interface ModelStage {
  name: string;
  aliases?: string[];
  layers: string[];
}

export interface ResolvedModel {
  /** What the user typed, or the folder's name. */
  name: string;
  kind: 'toy' | 'params-json' | 'backbone' | 'model-json' | 'huggingface' | 'encoder';
  params: ParamInfo[];
  /** Ordered stages (vision backbones) for grouping in reports. */
  stages?: ModelStage[];
  /** The file the parameter list was read from (params JSON): errors about it name this file. */
  file?: string;
}

export interface ResolveModelOptions {
  /** Replace a built-in backbone's classifier with an N-class `fc` (`--num-classes`). */
  numClasses?: number;
}

/** Every built-in `<model>` name: the toy models, vision's backbones, nlp's ready-made encoders. */
export async function builtinModelNames(): Promise<string[]> {
  const [vision, nlp] = await Promise.all([loadVision(), loadNlp()]);
  return [...TOY_MODELS.map((m) => m.name), ...vision.backboneNames(), ...nlp.builtinEncoderNames()];
}

/** `frostline help models`: every built-in name, read from the registries of vision and nlp. */
export async function modelsHelp(): Promise<string> {
  const [vision, nlp] = await Promise.all([loadVision(), loadNlp()]);
  const row = (name: string, aliases: readonly string[], text: string) =>
    `  ${name.padEnd(16)} ${text}${aliases.length ? ` (also: ${aliases.join(', ')})` : ''}`;
  return [
    'Toy models (parameter lists, no ML runtime):',
    ...TOY_MODELS.map((m) => row(m.name, [], m.description)),
    'Image backbones (@frostline/vision):',
    ...vision.BACKBONE_REGISTRY.map((e) => row(e.name, e.aliases, e.description)),
    'Text encoders (@frostline/nlp):',
    ...nlp.ENCODER_REGISTRY.filter((e) => !e.needsModel).map((e) => row(e.name, e.aliases, e.description)),
  ].join('\n');
}

/** The registry entry of a built-in backbone name or alias (`MobileNetV2`, `resnet-50`). */
export async function findBuiltinBackbone(name: string): Promise<BackboneEntry | undefined> {
  return (await loadVision()).findBackbone(name);
}

/** Where a model name was written (a run config's `backbone:`), for the error about it. */
export interface NameSource {
  file?: string;
  path?: string;
}

export async function unknownModelError(
  spec: string,
  what = 'model',
  where: NameSource = {},
): Promise<CliError> {
  const looksLikePath = /[\\/]/.test(spec) || /\.(json|ya?ml)$/i.test(spec) || spec.startsWith('.');
  if (looksLikePath) {
    return new CliError('FILE_NOT_FOUND', `${what} not found: ${spec}`, {
      ...where,
      file: where.file ?? spec,
      hint: 'give a folder with model.json, a Hugging Face folder with config.json + onnx/, a params JSON file, or a built-in name',
    });
  }
  const names = await builtinModelNames();
  const near = nearestNames(spec, names, 1);
  return new CliError(
    'UNKNOWN_MODEL',
    `unknown ${what} '${spec}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}; built-in: ${names.join(', ')}`,
    where,
  );
}

/** Builds a built-in backbone from vision's registry (pretrained where weights ship offline). */
export async function buildBuiltinBackbone(
  entry: BackboneEntry,
  opts: BuildBackboneOptions = {},
): Promise<Backbone> {
  await ensureBackend();
  return entry.build(opts);
}

export async function paramsOfBackbone(backbone: Backbone): Promise<ParamInfo[]> {
  const tfjs = await loadTfjs();
  return tfjs.listParams(backbone.model, { aliases: (p) => backbone.aliases(p) });
}

const stagesOf = (backbone: Backbone): ModelStage[] =>
  backbone.stages.map((s) => ({ name: s.name, aliases: [...s.aliases], layers: [...s.layers] }));

function parseParamsJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError('PARSE_ERROR', `not valid JSON (${(error as Error).message.split('\n')[0]})`, {
      file: path,
    });
  }
}

function readParamsJson(path: string): ParamInfo[] | 'model-json' {
  const value = parseParamsJson(path);
  if (value && typeof value === 'object' && !Array.isArray(value) && 'modelTopology' in value)
    return 'model-json';
  const list = Array.isArray(value) ? value : (value as { params?: unknown })?.params;
  if (!Array.isArray(list)) {
    throw new CliError('BAD_MODEL', 'expected a list of parameters', {
      file: path,
      hint: '[{ "name": "fc1.weight", "shape": [50, 100] }, ...] or { "params": [...] }',
    });
  }
  list.forEach((p, i) => {
    const ok =
      p &&
      typeof p === 'object' &&
      typeof (p as ParamInfo).name === 'string' &&
      Array.isArray((p as ParamInfo).shape) &&
      (p as ParamInfo).shape.every((d) => Number.isInteger(d) && d >= 0);
    if (!ok) {
      throw new CliError('BAD_MODEL', 'needs a string "name" and an integer array "shape"', {
        file: path,
        path: `params[${i}]`,
      });
    }
  });
  return list as ParamInfo[];
}

async function loadEncoderParams(name: string, model?: string): Promise<ParamInfo[]> {
  await ensureBackend();
  const nlp = await loadNlp();
  const entry = nlp.findEncoder(name);
  if (!entry) throw await unknownModelError(name, 'encoder');
  const encoder = await entry.load(model !== undefined ? { model } : {});
  try {
    return encoder.params();
  } finally {
    await encoder.dispose();
  }
}

/** Numbers of classes only make sense for models that have a replaceable classifier. */
function refuseNumClasses(spec: string, kind: string, opts: ResolveModelOptions): void {
  if (opts.numClasses === undefined) return;
  throw new CliError('BAD_OPTION', `--num-classes applies to built-in backbones, not to ${kind} '${spec}'`, {
    hint: 'drop --num-classes, or plan a built-in backbone (e.g. resnet50)',
  });
}

/** A layers model in a folder: as a vision backbone first (stages, PyTorch-style aliases), else plain. */
async function resolveLayersFolder(folder: string): Promise<ResolvedModel> {
  await ensureBackend();
  const vision = await loadVision();
  let backbone: Backbone;
  try {
    backbone = await vision.loadBackbone(folder);
  } catch (visionError) {
    // Any other layers model (not an image backbone): plain parameters, no stages.
    const tfjs = await loadTfjs();
    let model: LayersModel;
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
    const params = await paramsOfBackbone(backbone);
    return { name: basename(folder), kind: 'model-json', params, stages: stagesOf(backbone) };
  } finally {
    backbone.model.dispose();
  }
}

/** A path the user gave: a params JSON file, a TF.js model.json (file or folder), a Hugging Face folder. */
async function resolveModelPath(spec: string, opts: ResolveModelOptions): Promise<ResolvedModel> {
  const abs = resolve(spec);
  let folder = abs;
  if (!statSync(abs).isDirectory()) {
    const parsed = readParamsJson(abs);
    if (parsed !== 'model-json') {
      refuseNumClasses(spec, 'the params file', opts);
      return { name: basename(abs), kind: 'params-json', params: parsed, file: spec };
    }
    folder = dirname(abs);
  }
  refuseNumClasses(spec, 'the model folder', opts);
  if (existsSync(join(folder, 'model.json'))) return resolveLayersFolder(folder);
  if (existsSync(join(folder, 'config.json'))) {
    if (!existsSync(join(folder, 'onnx'))) {
      throw new CliError('BAD_MODEL', 'a Hugging Face folder needs onnx/model.onnx next to config.json', {
        file: spec,
      });
    }
    const params = await loadEncoderParams('transformers', folder);
    return { name: basename(folder), kind: 'huggingface', params };
  }
  throw new CliError(
    'BAD_MODEL',
    "folder has neither model.json (TF.js) nor config.json + onnx/ (Hugging Face); point at the model's folder",
    { file: spec },
  );
}

/**
 * Turns the `<model>` argument into the parameter list core plans over: a toy name, a built-in
 * backbone (with its classifier, or `numClasses` for a new one) or encoder, a params JSON file, a
 * TF.js model.json (file or folder) or a Hugging Face folder (config.json + onnx/).
 */
export async function resolveModel(spec: string, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const toy = findToyModel(spec);
  if (toy) {
    refuseNumClasses(spec, 'the toy model', opts);
    return { name: toy.name, kind: 'toy', params: toy.params() };
  }
  if (existsSync(spec)) return resolveModelPath(spec, opts);

  const entry = await findBuiltinBackbone(spec);
  if (entry) {
    const backbone = await buildBuiltinBackbone(
      entry,
      opts.numClasses !== undefined ? { numClasses: opts.numClasses } : {},
    );
    try {
      const params = await paramsOfBackbone(backbone);
      return { name: entry.name, kind: 'backbone', params, stages: stagesOf(backbone) };
    } finally {
      backbone.model.dispose();
    }
  }
  const encoder = (await loadNlp()).findEncoder(spec);
  if (encoder && !encoder.needsModel) {
    refuseNumClasses(spec, 'the encoder', opts);
    return { name: encoder.name, kind: 'encoder', params: await loadEncoderParams(encoder.name) };
  }
  throw await unknownModelError(spec);
}
