import type { Plan } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { isBatchNorm, runsInInference } from './batchnorm';
import { ensureDirSync, ioError } from './fs-safe';
import { cutPoints, type FlatGraph, runFlat } from './graph';
import { nodeFs, nodePath } from './node';
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

type NodeFs = typeof import('node:fs');

/** Prefix outputs for a fixed set of rows, in memory or spilled to a Float32 file. */
export class ActivationCache {
  readonly rows: number;
  readonly featureShape: number[];
  private memory?: tf.Tensor;
  private file?: { fs: NodeFs; path: string; fd: number; rowFloats: number };

  private constructor(rows: number, featureShape: number[]) {
    this.rows = rows;
    this.featureShape = featureShape;
  }

  /** Run the prefix (inference mode) over `x` in batches of `batchSize` and keep its outputs. */
  static async build(
    g: FlatGraph,
    cut: CutDecision,
    x: tf.Tensor | tf.Tensor[],
    batchSize: number,
    dir?: string,
  ): Promise<ActivationCache> {
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0]!.shape[0]!;
    const shape = g.nodes[cut.index]!.outputShapes[g.nodes[cut.index]!.outputs.indexOf(cut.key!)]!;
    const featureShape = shape.slice(1).map((d) => d ?? -1);
    const cache = new ActivationCache(n, featureShape);
    const run = (start: number, end: number): tf.Tensor =>
      tf.tidy(() => {
        const feeds = new Map<string, tf.Tensor>();
        g.inputs.forEach((k, i) => {
          feeds.set(k, xs[i]!.slice(start, end - start));
        });
        return runFlat(g, 0, cut.index + 1, feeds, false).get(cut.key!)!;
      });
    if (dir === undefined) {
      const parts: tf.Tensor[] = [];
      for (let s = 0; s < n; s += batchSize) parts.push(run(s, Math.min(n, s + batchSize)));
      cache.memory = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
      if (parts.length > 1) for (const p of parts) p.dispose();
      return cache;
    }
    const fs = await nodeFs();
    const path = await nodePath();
    ensureDirSync(fs, path, dir, 'create the activation cache folder');
    const file = path.join(
      dir,
      `frostline-cache-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.f32`,
    );
    let fd: number;
    try {
      fd = fs.openSync(file, 'w+');
    } catch (e) {
      throw ioError('create the activation cache file', file, e);
    }
    let rowFloats = 0;
    let offset = 0;
    try {
      for (let s = 0; s < n; s += batchSize) {
        const t = run(s, Math.min(n, s + batchSize));
        const data = t.dataSync() as Float32Array;
        rowFloats = data.length / t.shape[0]!;
        const buf = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        fs.writeSync(fd, buf, 0, buf.length, offset);
        offset += buf.length;
        t.dispose();
      }
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw e;
    }
    cache.file = { fs, path: file, fd, rowFloats };
    return cache;
  }

  /** Features of rows `order[start..end)`. */
  take(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor {
    if (this.memory) {
      const m = this.memory;
      if (contiguous) return m.slice(order[start]!, end - start);
      return tf.tidy(() => tf.gather(m, tf.tensor1d(order.subarray(start, end), 'int32')));
    }
    const f = this.file!;
    const count = end - start;
    const out = new Float32Array(count * f.rowFloats);
    const rowBytes = f.rowFloats * 4;
    const view = new Uint8Array(out.buffer);
    // Coalesce runs of consecutive rows into one read.
    let i = 0;
    while (i < count) {
      let j = i + 1;
      while (j < count && order[start + j]! === order[start + j - 1]! + 1) j++;
      f.fs.readSync(f.fd, view, i * rowBytes, (j - i) * rowBytes, order[start + i]! * rowBytes);
      i = j;
    }
    return tf.tensor(out, [count, ...this.featureShape.map((d) => (d < 0 ? f.rowFloats : d))]);
  }

  get bytes(): number {
    return this.rows * this.featureShape.reduce((a, b) => a * Math.max(1, b), 1) * 4;
  }

  get onDisk(): boolean {
    return this.file !== undefined;
  }

  dispose(): void {
    this.memory?.dispose();
    this.memory = undefined;
    if (this.file) {
      this.file.fs.closeSync(this.file.fd);
      this.file.fs.rmSync(this.file.path, { force: true });
      this.file = undefined;
    }
  }
}
