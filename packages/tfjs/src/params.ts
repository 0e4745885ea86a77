import type { ParamInfo } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import { type AliasFn, type ModelLike, resolveModel } from './model-names';

/** A parameter as listed for core plus the live objects behind it (internal to this package). */
export interface ParamRef {
  info: ParamInfo;
  /** The layer that owns the weight (a leaf layer, never a nested model). */
  layer: tf.layers.Layer;
  /** Path of containers that hold `layer`, outermost first (excluding the root model). */
  containers: tf.LayersModel[];
  variable: tf.LayerVariable;
}

const BUFFER_WEIGHTS = new Set(['moving_mean', 'moving_variance']);

/** True for layers that hold other layers (functional models, Sequential). */
export function isContainer(layer: tf.layers.Layer): layer is tf.LayersModel {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/** Class name as saved in model.json (`BatchNormalization`, `Dense`, …). */
export function layerClassName(layer: tf.layers.Layer): string {
  return (layer as unknown as { getClassName(): string }).getClassName();
}

/**
 * The ONE place a parameter name is built: layer path (outer layers first, joined by '/') + '/' +
 * the weight's short name. Plans, fingerprints, reports and checkpoints all go through here.
 */
export function paramName(layerPath: readonly string[], shortName: string): string {
  return [...layerPath, shortName].join('/');
}

/**
 * Short name of a weight inside its layer: `kernel`, `bias`, `gamma`, `moving_mean`, … TF.js scopes
 * variable names (`dense_Dense1/kernel`) and may suffix duplicates (`_1`), so the original scoped name is
 * cut after the layer's own name when present, else its last segment is used.
 */
export function weightShortName(layer: tf.layers.Layer, v: tf.LayerVariable): string {
  const original = (v as unknown as { originalName?: string }).originalName ?? v.name;
  const marker = `${layer.name}/`;
  const at = original.lastIndexOf(marker);
  if (at >= 0 && (at === 0 || original[at - 1] === '/')) return original.slice(at + marker.length);
  const parts = original.split('/');
  return parts[parts.length - 1] ?? original;
}

/** All weights of a layer in a stable order: trainable-declared first, then non-trainable (TF.js order). */
function layerVariables(layer: tf.layers.Layer): tf.LayerVariable[] {
  const l = layer as unknown as {
    _trainableWeights: tf.LayerVariable[];
    _nonTrainableWeights: tf.LayerVariable[];
  };
  return [...(l._trainableWeights ?? []), ...(l._nonTrainableWeights ?? [])];
}

/** Walk every leaf layer (depth first, in each container's layer order) with its path. */
export function walkLayers(
  model: tf.LayersModel,
  visit: (layer: tf.layers.Layer, path: string[], containers: tf.LayersModel[]) => void,
  path: string[] = [],
  containers: tf.LayersModel[] = [],
): void {
  for (const layer of model.layers) {
    if (isContainer(layer)) walkLayers(layer, visit, [...path, layer.name], [...containers, layer]);
    else visit(layer, [...path, layer.name], containers);
  }
}

/**
 * Parameters with their live objects, in layer order. `model` may carry its aliases (a `{ model, aliases }`
 * wrapper or `attachAliases`); `opts.aliases` wins over both.
 */
export function paramRefs(modelLike: ModelLike, opts: { aliases?: AliasFn } = {}): ParamRef[] {
  const { model, aliases } = resolveModel(modelLike, opts.aliases);
  const out: ParamRef[] = [];
  const seen = new Set<tf.LayerVariable>();
  walkLayers(model, (layer, path, containers) => {
    const used = new Map<string, number>();
    for (const v of layerVariables(layer)) {
      // A layer shared by two paths owns its weights once: the first path wins.
      if (seen.has(v)) continue;
      seen.add(v);
      let short = weightShortName(layer, v);
      const n = used.get(short) ?? 0;
      used.set(short, n + 1);
      if (n > 0) short = `${short}_${n}`;
      const name = paramName(path, short);
      const cls = layerClassName(layer);
      const info: ParamInfo = {
        name,
        shape: [...v.shape] as number[],
        layer: path.join('/'),
        layerType: cls,
        trainable: layer.trainable && v.trainable && containers.every((c) => c.trainable),
        kind: BUFFER_WEIGHTS.has(short) ? 'buffer' : 'parameter',
      };
      if (aliases) {
        const a = aliases(info);
        if (a.length > 0) info.aliases = a;
      }
      out.push({ info, layer, containers, variable: v });
    }
  });
  return out;
}

/**
 * List a LayersModel's weights for `@frostline/core`: `block_16_project/kernel`, nested models as
 * `backbone/block_16_project/kernel`; BatchNorm moving statistics are `kind: 'buffer'`.
 */
export function listParams(model: ModelLike, opts: { aliases?: AliasFn } = {}): ParamInfo[] {
  return paramRefs(model, opts).map((r) => r.info);
}
