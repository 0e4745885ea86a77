import type * as tf from '@tensorflow/tfjs';
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

type Kwargs = Record<string, unknown>;
type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor | tf.Tensor[];
type Patchable = tf.layers.Layer & { call: CallFn; [MODE]?: BatchNormRunMode; [PATCHED]?: boolean };

export function isBatchNorm(layer: tf.layers.Layer): boolean {
  return layerClassName(layer) === 'BatchNormalization';
}

/**
 * tfjs-layers' BatchNormalization reads only `kwargs.training` and `fit` passes `training: true` to every
 * layer, so a frozen BN keeps moving its statistics. We patch the *instance's* `call` (not the class): the
 * saved file keeps `class_name: "BatchNormalization"` and loads in plain TF.js; the patch forces
 * `training: false` when the layer should run in inference mode.
 */
export function setBatchNormMode(layer: tf.layers.Layer, mode: BatchNormRunMode): void {
  const l = layer as Patchable;
  if (!l[PATCHED]) {
    const original = l.call;
    const patched: CallFn = function (this: Patchable, inputs, kwargs) {
      const m = this[MODE] ?? 'train';
      const inference = m === 'inference' || (m === 'auto' && !this.trainable);
      return original.call(this, inputs, inference ? { ...kwargs, training: false } : kwargs);
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
}

/** The mode a BN layer runs in now (`train` when never patched: TF.js' own behaviour). */
export function getBatchNormMode(layer: tf.layers.Layer): BatchNormRunMode {
  return (layer as Patchable)[MODE] ?? 'train';
}

/** True when this BN layer will run with its moving statistics during training right now. */
export function runsInInference(layer: tf.layers.Layer): boolean {
  const m = getBatchNormMode(layer);
  return m === 'inference' || (m === 'auto' && !layer.trainable);
}

/**
 * Keras semantics for users who call `model.fit` themselves: every BatchNormalization layer of `model`
 * (nested models included) runs in inference mode whenever it is not trainable.
 */
export function fixFrozenBatchNorm(model: tf.LayersModel): number {
  let n = 0;
  walkLayers(model, (layer) => {
    if (isBatchNorm(layer)) {
      setBatchNormMode(layer, 'auto');
      n++;
    }
  });
  return n;
}
