import type { Plan } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { isBatchNorm, runsInInference } from './batchnorm';
import { cutPoints, type FlatGraph, runFlat } from './graph';
import { layerClassName, type ParamRef } from './params';

/** Layers whose output is random in training mode: a cache would freeze one draw of their noise. */
const RANDOM_LAYERS = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);
/** Layers that produce masks: the head runner here does not carry masks, so stop before them. */
const MASKING_LAYERS = new Set(['Masking', 'Embedding']);

export interface CutDecision {
  /** Index of the last flat node in the frozen prefix; -1 = no usable prefix. */
  index: number;
  /** Tensor key of the prefix output (the head's input). */
  key?: string;
  /** Layer paths of the prefix, for reports. */
  prefixLayers: string[];
  /** Why no cache (or why the prefix stops where it does). */
  reason: string;
}

/**
 * Find the deepest single-tensor cut such that every layer up to it has only frozen parameters, runs
 * BatchNorm in inference mode and draws no random numbers in training mode. Call after applyPlan.
 */
export function findCut(g: FlatGraph, plan: Plan, refs: readonly ParamRef[]): CutDecision {
  const byLayer = new Map<tf.layers.Layer, ParamRef[]>();
  for (const r of refs) {
    const l = byLayer.get(r.layer);
    if (l) l.push(r);
    else byLayer.set(r.layer, [r]);
  }
  const cuts = cutPoints(g);
  let best = -1;
  let stop = 'every layer is frozen; nothing trains';
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i]!;
    const cls = layerClassName(n.layer);
    const name = n.path.join('/');
    const ps = byLayer.get(n.layer) ?? [];
    const trainable = ps.filter((r) => r.info.kind !== 'buffer' && plan.get(r.info.name)?.trainable);
    if (trainable.length > 0) {
      stop = `the frozen prefix ends before trainable layer '${name}'`;
      break;
    }
    if (isBatchNorm(n.layer) && !runsInInference(n.layer)) {
      stop = `BatchNormalization '${name}' runs in training mode (batchNorm: 'train'), so its output depends on the batch`;
      break;
    }
    if (RANDOM_LAYERS.has(cls)) {
      stop = `${cls} layer '${name}' is random in training mode; caching would fix one draw of its noise`;
      break;
    }
    if (MASKING_LAYERS.has(cls) || (n.layer as unknown as { stateful?: boolean }).stateful) {
      stop = `${cls} layer '${name}' carries masks or state`;
      break;
    }
    if (cuts[i] !== undefined) best = i;
  }
  if (best < 0) return { index: -1, prefixLayers: [], reason: `no frozen prefix to cache: ${stop}` };
  const prefix = g.nodes.slice(0, best + 1);
  const hasWeights = prefix.some((n) => (byLayer.get(n.layer) ?? []).length > 0);
  if (!hasWeights) {
    return { index: -1, prefixLayers: [], reason: `the frozen prefix has no weights (${stop})` };
  }
  return {
    index: best,
    key: cuts[best]!,
    prefixLayers: prefix.map((n) => n.path.join('/')),
    reason: stop,
  };
}

/** What runs a frozen prefix for the cache (a GuardedEngine from openEngine, or any FrozenEngine). */
export interface PrefixRunner {
  run(x: tf.Tensor): Promise<tf.Tensor>;
}

/**
 * Prefix outputs for a fixed set of rows, in memory. (Data that should not sit in memory goes through the
 * persistent feature store instead: streams, `cache: 'persist'` or `{ dir }`.)
 */
export class ActivationCache {
  readonly rows: number;
  readonly featureShape: number[];
  private memory?: tf.Tensor;

  private constructor(rows: number, featureShape: number[], memory: tf.Tensor) {
    this.rows = rows;
    this.featureShape = featureShape;
    this.memory = memory;
  }

  /**
   * Run the prefix (inference mode) over `x` in batches of `batchSize` and keep its outputs. `engine`
   * (from openEngine) runs the prefix on onnxruntime / a worker pool; without one, or for a
   * multi-input prefix, it runs on the active TF.js backend.
   */
  static async build(
    g: FlatGraph,
    cut: CutDecision,
    x: tf.Tensor | tf.Tensor[],
    batchSize: number,
    engine?: PrefixRunner,
  ): Promise<ActivationCache> {
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0]!.shape[0]!;
    const onTfjs = (start: number, end: number): tf.Tensor =>
      tf.tidy(() => {
        const feeds = new Map<string, tf.Tensor>();
        g.inputs.forEach((k, i) => {
          feeds.set(k, xs[i]!.slice(start, end - start));
        });
        return runFlat(g, 0, cut.index + 1, feeds, false).get(cut.key!)!;
      });
    const run = async (start: number, end: number): Promise<tf.Tensor> => {
      if (!engine || xs.length !== 1) return onTfjs(start, end);
      const batch = xs[0]!.slice(start, end - start);
      try {
        return await engine.run(batch);
      } finally {
        batch.dispose();
      }
    };
    const parts: tf.Tensor[] = [];
    try {
      for (let s = 0; s < n; s += batchSize) parts.push(await run(s, Math.min(n, s + batchSize)));
    } catch (e) {
      tf.dispose(parts);
      throw e;
    }
    const memory = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
    if (parts.length > 1) tf.dispose(parts);
    return new ActivationCache(n, memory.shape.slice(1), memory);
  }

  /** Features of rows `order[start..end)`. */
  take(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor {
    const m = this.memory!;
    if (contiguous) return m.slice(order[start]!, end - start);
    return tf.tidy(() => tf.gather(m, tf.tensor1d(order.subarray(start, end), 'int32')));
  }

  get bytes(): number {
    return this.rows * this.featureShape.reduce((a, b) => a * Math.max(1, b), 1) * 4;
  }

  get onDisk(): boolean {
    return false;
  }

  dispose(): void {
    this.memory?.dispose();
    this.memory = undefined;
  }
}
