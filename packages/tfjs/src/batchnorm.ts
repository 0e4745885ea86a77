import * as tf from '@tensorflow/tfjs';
import { layerClassName, walkLayers } from './params';

/**
 * How a BatchNormalization layer runs while training:
 * - `inference`: always with its moving statistics, never updating them (Keras semantics for frozen BN);
 * - `train`: as TF.js does by default (batch statistics, moving averages updated);
 * - `auto`: `inference` when the layer is not trainable, else `train`.
 */
export type BatchNormRunMode = 'inference' | 'train' | 'auto';

const MODE = Symbol.for('frostline.bnMode');
const PATCHED = Symbol.for('frostline.bnPatched');
const CONTAINERS = Symbol.for('frostline.bnContainers');

type Kwargs = Record<string, unknown>;
type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor | tf.Tensor[];
type Readable = { read(): tf.Tensor };
type Patchable = tf.layers.Layer & {
  call: CallFn;
  [MODE]?: BatchNormRunMode;
  [PATCHED]?: boolean;
  /** Models that hold this layer (the root included): one of them frozen freezes the layer. */
  [CONTAINERS]?: readonly tf.LayersModel[];
  // tfjs-layers internals of BatchNormalization
  scale: boolean;
  center: boolean;
  gamma?: Readable | null;
  beta?: Readable | null;
  movingMean: Readable;
};

/** Frozen for Keras: the layer's own flag off, or that of any model holding it (`base.trainable = false`). */
function isFrozen(l: Patchable): boolean {
  return !l.trainable || (l[CONTAINERS] ?? []).some((c) => !c.trainable);
}

/**
 * TF.js 4.22 cannot differentiate through a BN built with `scale: false` or `center: false` (every BN of
 * Keras InceptionV3): the training branch reads the missing gamma/beta (`reading 'read'`) and the
 * inference branch's gradient needs a scale tensor (TF.js #2868). For the duration of one call the
 * layer gets constant gamma = 1 / beta = 0, which is exactly what "no scale / no center" means: the
 * outputs are bit-identical, the gradients flow, and nothing new becomes a weight.
 */
function withUnitScaleAndShift<T>(l: Patchable, run: () => T): T {
  const noGamma = l.gamma == null;
  const noBeta = l.beta == null;
  if (!noGamma && !noBeta) return run();
  const saved = { scale: l.scale, center: l.center, gamma: l.gamma, beta: l.beta };
  if (noGamma) {
    l.gamma = { read: () => tf.onesLike(l.movingMean.read()) };
    l.scale = true;
  }
  if (noBeta) {
    l.beta = { read: () => tf.zerosLike(l.movingMean.read()) };
    l.center = true;
  }
  try {
    return run();
  } finally {
    Object.assign(l, saved);
  }
}

export function isBatchNorm(layer: tf.layers.Layer): boolean {
  return layerClassName(layer) === 'BatchNormalization';
}

/**
 * tfjs-layers' BatchNormalization reads only `kwargs.training` and `fit` passes `training: true` to every
 * layer, so a frozen BN keeps moving its statistics. We patch the *instance's* `call` (not the class): the
 * saved file keeps `class_name: "BatchNormalization"` and loads in plain TF.js; the patch forces
 * `training: false` when the layer should run in inference mode.
 */
export function setBatchNormMode(
  layer: tf.layers.Layer,
  mode: BatchNormRunMode,
  containers?: readonly tf.LayersModel[],
): void {
  const l = layer as Patchable;
  if (!l[PATCHED]) {
    const original = l.call;
    const patched: CallFn = function (this: Patchable, inputs, kwargs) {
      const m = this[MODE] ?? 'train';
      const inference = m === 'inference' || (m === 'auto' && isFrozen(this));
      const args = inference ? { ...kwargs, training: false } : kwargs;
      return withUnitScaleAndShift(this, () => original.call(this, inputs, args));
    };
    Object.defineProperty(l, 'call', {
      value: patched,
      writable: true,
      configurable: true,
      enumerable: false,
    });
    Object.defineProperty(l, PATCHED, { value: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(l, MODE, { value: mode, writable: true, configurable: true, enumerable: false });
  if (containers)
    Object.defineProperty(l, CONTAINERS, {
      value: [...containers],
      writable: true,
      configurable: true,
      enumerable: false,
    });
}

/** The mode a BN layer runs in now (`train` when never patched: TF.js' own behaviour). */
export function getBatchNormMode(layer: tf.layers.Layer): BatchNormRunMode {
  return (layer as Patchable)[MODE] ?? 'train';
}

/** True when this BN layer will run with its moving statistics during training right now. */
export function runsInInference(layer: tf.layers.Layer): boolean {
  const m = getBatchNormMode(layer);
  return m === 'inference' || (m === 'auto' && isFrozen(layer as Patchable));
}

/**
 * Keras semantics for users who call `model.fit` themselves: every BatchNormalization layer of `model`
 * (nested models included) runs in inference mode whenever it is not trainable, or a model holding it
 * is not (`base.trainable = false` flips only the inner weights' flags in TF.js, not the layers').
 * BNs built with `scale: false` / `center: false` become trainable-through as well. Returns the
 * number of BN layers patched.
 */
export function fixFrozenBatchNorm(model: tf.LayersModel): number {
  let n = 0;
  walkLayers(model, (layer, _path, containers) => {
    if (isBatchNorm(layer)) {
      setBatchNormMode(layer, 'auto', [model, ...containers]);
      n++;
    }
  });
  return n;
}
