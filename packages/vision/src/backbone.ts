import { nearestNames, type ParamInfo } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';
import { type PreprocessMode, preprocessImages } from './preprocess';

/**
 * A named group of consecutive layers. `name` is `stem`, `stage1`…`stageN` or `head`; `aliases` are
 * the other names the same group answers to in policies (ResNets: `conv1`, `layer1`…`layer4`, `fc`).
 */
export interface Stage {
  name: string;
  aliases: string[];
  layers: string[];
}

/** A feature extractor (optionally with a classifier head) plus what policies and datasets need to know. */
export interface Backbone {
  /** Architecture id, e.g. `mobilenet_v2`, `resnet50`, `mnist-cnn`. */
  name: string;
  model: tf.LayersModel;
  /** Every layer of `model` in exactly one stage, in model order. */
  stages: Stage[];
  /** [height, width, channels] */
  inputShape: [number, number, number];
  /** Layer whose output is the feature map/vector a new head attaches to. */
  featureLayer: string;
  preprocessing: PreprocessMode;
  /** 0..255 RGB (or gray) → what the model expects. Returns a new tensor. */
  preprocess(x: tf.Tensor4D): tf.Tensor4D;
  /** Other full names of a parameter: `<stage>/<name>`, `<stage alias>/<name>`, `head/<x>/<w>` for `head_<x>` layers. */
  aliases(p: ParamInfo): string[];
  /** The stage a layer belongs to. */
  stageOf(layer: string): Stage | undefined;
}

/** Maps a layer to its stage key (`stem`, `stage3`, `head`); undefined means "after the features" (head). */
export type StageClassifier = (layerName: string, className: string) => string | undefined;

export interface CreateBackboneOptions {
  name: string;
  model: tf.LayersModel;
  classify: StageClassifier;
  /** Aliases per stage key, e.g. `{ stem: ['conv1'], stage4: ['layer4'], head: ['fc'] }`. */
  stageAliases?: Record<string, string[]>;
  preprocessing: PreprocessMode;
  /** Defaults to the last layer outside the head stage. */
  featureLayer?: string;
}

function stageRank(name: string): number {
  if (name === 'stem') return 0;
  if (name === 'head') return Number.MAX_SAFE_INTEGER;
  const m = /^stage(\d+)$/.exec(name);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER - 1;
}

export function layerParamCount(layer: tf.layers.Layer): number {
  let n = 0;
  for (const w of layer.weights) n += w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  return n;
}

/** Assemble a Backbone from a model and a per-layer stage classifier. */
export function createBackbone(opts: CreateBackboneOptions): Backbone {
  const { model } = opts;
  const byStage = new Map<string, string[]>();
  for (const layer of model.layers) {
    const key =
      layer.getClassName() === 'InputLayer'
        ? 'stem'
        : (opts.classify(layer.name, layer.getClassName()) ?? 'head');
    const list = byStage.get(key) ?? [];
    list.push(layer.name);
    byStage.set(key, list);
  }
  // Parameter-free pooling/flatten layers after the features are not a head: they join the last stage,
  // so "stages cover every layer exactly once" holds without an empty-looking head stage.
  const head = byStage.get('head');
  if (head && byStage.size > 1) {
    const headParams = head.reduce((n, l) => n + layerParamCount(model.getLayer(l)), 0);
    if (headParams === 0) {
      byStage.delete('head');
      const last = [...byStage.keys()].sort((a, b) => stageRank(a) - stageRank(b)).at(-1)!;
      byStage.get(last)!.push(...head);
    }
  }
  const order = new Map(model.layers.map((l, i) => [l.name, i]));
  const stages: Stage[] = [...byStage.entries()]
    .sort((a, b) => stageRank(a[0]) - stageRank(b[0]))
    .map(([name, layers]) => ({
      name,
      aliases: [...(opts.stageAliases?.[name] ?? [])],
      layers: layers.sort((a, b) => order.get(a)! - order.get(b)!),
    }));
  const headStage = stages.find((s) => s.name === 'head');
  const nonHead = model.layers.filter((l) => !headStage?.layers.includes(l.name));
  const featureLayer = opts.featureLayer ?? nonHead.at(-1)?.name ?? model.layers.at(-1)!.name;
  return assembleBackbone(opts.name, model, stages, opts.preprocessing, featureLayer);
}

/** Build the Backbone object around already computed stages (shared by createBackbone, withHead, truncation). */
export function assembleBackbone(
  name: string,
  model: tf.LayersModel,
  stages: Stage[],
  preprocessing: PreprocessMode,
  featureLayer: string,
): Backbone {
  const shape = model.inputs[0]!.shape;
  const [h, w, c] = [shape[1], shape[2], shape[3]];
  if (h == null || w == null || c == null || shape.length !== 4) {
    throw new VisionError(
      'SHAPE_MISMATCH',
      `backbone "${name}" must take images of a fixed size [batch, height, width, channels], got [${shape.join(', ')}]`,
      'build or load the model with a fixed input size (inputSize option)',
    );
  }
  const stageByLayer = new Map<string, Stage>();
  for (const s of stages) for (const l of s.layers) stageByLayer.set(l, s);
  const stageOf = (layer: string): Stage | undefined =>
    stageByLayer.get(layer) ?? stageByLayer.get(layer.split('/').at(-1) ?? layer);
  return {
    name,
    model,
    stages,
    inputShape: [h, w, c],
    featureLayer,
    preprocessing,
    preprocess: (x) => preprocessImages(x, preprocessing, c),
    aliases: (p) => paramAliases(p, stageOf),
    stageOf,
  };
}

function paramAliases(p: ParamInfo, stageOf: (layer: string) => Stage | undefined): string[] {
  const layer = p.layer ?? p.name.split('/').slice(0, -1).join('/');
  const out = new Set<string>();
  const stage = stageOf(layer);
  if (stage) {
    out.add(`${stage.name}/${p.name}`);
    for (const a of stage.aliases) out.add(`${a}/${p.name}`);
  }
  // TF.js layer names cannot contain '/', so head layers are `head_dense`; they also answer to `head/dense`.
  const headName = p.name.replace(/(^|\/)head_([^/]+)/, '$1head/$2');
  if (headName !== p.name) out.add(headName);
  out.delete(p.name);
  return [...out];
}

/** Names close to `query`, for "did you mean" hints (core's matcher, so every package suggests alike). */
export function similarNames(query: string, names: readonly string[], k = 3): string[] {
  return nearestNames(query, names, k);
}

/** "did you mean …?" hint text, or a pointer to describeBackbone when nothing is close. */
export function hintNames(query: string, names: readonly string[]): string {
  const near = similarNames(query, names);
  const list = near.map((n) => `"${n}"`).join(', ');
  return near.length
    ? `did you mean ${list}? describeBackbone(backbone) lists every layer`
    : 'describeBackbone(backbone) lists every layer';
}

/**
 * Cut a backbone at a named layer: the new model outputs that layer's activations and keeps only the
 * layers it needs (weights are shared with the original model, not copied).
 */
export function truncateBackbone(backbone: Backbone, layerName: string): Backbone {
  const names = backbone.model.layers.map((l) => l.name);
  if (!names.includes(layerName)) {
    throw new VisionError(
      'UNKNOWN_LAYER',
      `backbone "${backbone.name}" has no layer "${layerName}"`,
      hintNames(layerName, names),
    );
  }
  const layer = backbone.model.getLayer(layerName);
  const model = tf.model({
    inputs: backbone.model.inputs,
    outputs: layer.output as tf.SymbolicTensor,
    name: `${backbone.model.name}_to_${layerName}`,
  });
  const kept = new Set(model.layers.map((l) => l.name));
  const stages = backbone.stages
    .map((s) => ({ ...s, aliases: [...s.aliases], layers: s.layers.filter((l) => kept.has(l)) }))
    .filter((s) => s.layers.length > 0);
  return assembleBackbone(backbone.name, model, stages, backbone.preprocessing, layerName);
}
