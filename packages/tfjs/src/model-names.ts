import type { ParamInfo } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';

/** Extra names of a parameter (stage names such as `head`, `layer4`) that selectors may match. */
export type AliasFn = (p: ParamInfo) => string[];

/** A model that carries the names of its parts, e.g. a `@frostline/vision` backbone (duck-typed). */
export interface ModelWithAliases {
  model: tf.LayersModel;
  aliases?: AliasFn;
}

/** What `train`, `applyPolicy`, `applyPlan` and `listParams` accept: a model, or a model with its names. */
export type ModelLike = tf.LayersModel | ModelWithAliases;

// Weak: a registry entry never keeps a disposed model alive.
const attached = new WeakMap<tf.LayersModel, AliasFn>();

/**
 * Attach alias names to a model so they travel with it: every later `train`, `applyPolicy` or
 * `listParams` of this model matches `{ unfreeze: 'head' }` without an `aliases` option. Returns the model.
 */
export function attachAliases<M extends tf.LayersModel>(model: M, aliases: AliasFn): M {
  if (typeof aliases !== 'function') {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `attachAliases(model, aliases): aliases must be a function (param) => string[], got ${typeof aliases}.`,
    );
  }
  attached.set(model, aliases);
  return model;
}

/** The aliases attached to `model` with `attachAliases`, if any. */
export function attachedAliases(model: tf.LayersModel): AliasFn | undefined {
  return attached.get(model);
}

const isLayersModel = (m: unknown): m is tf.LayersModel =>
  typeof m === 'object' &&
  m !== null &&
  Array.isArray((m as { layers?: unknown }).layers) &&
  typeof (m as { getClassName?: unknown }).getClassName === 'function';

/**
 * The model and the aliases to name its parameters with. Precedence: an explicit `aliases` option, then
 * the wrapper's `aliases`, then aliases attached to the model.
 */
export function resolveModel(m: ModelLike, explicit?: AliasFn): { model: tf.LayersModel; aliases?: AliasFn } {
  let model: tf.LayersModel;
  let own: AliasFn | undefined;
  if (isLayersModel(m)) model = m;
  else if (typeof m === 'object' && m !== null && isLayersModel((m as ModelWithAliases).model)) {
    const wrapper = m as ModelWithAliases;
    model = wrapper.model;
    // Called through the wrapper so a method that reads `this` keeps working.
    if (typeof wrapper.aliases === 'function') own = (p) => wrapper.aliases!(p);
  } else {
    throw new FrostlineTfjsError(
      'UNSUPPORTED_MODEL',
      `Expected a tf.LayersModel or { model: LayersModel, aliases? }, got ${m === null ? 'null' : typeof m}.`,
    );
  }
  const aliases = explicit ?? own ?? attached.get(model);
  return aliases ? { model, aliases } : { model };
}
