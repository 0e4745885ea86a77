/**
 * Reads a LayersModel's weight bytes keyed by frostline parameter names, for core's `fingerprint`.
 * Prefers an exporter from @frostline/tfjs (names built in exactly one place); otherwise walks the
 * layers with the same rule the contract states (layer path + '/' + weight short name).
 */
import type * as tfTypes from '@tensorflow/tfjs';

type Ftf = Record<string, unknown>;

export function weightValues(model: tfTypes.LayersModel, ftf?: Ftf): Map<string, Float32Array> {
  for (const key of ['weightValues', 'readWeights', 'readParamValues', 'snapshotWeights']) {
    const fn = ftf?.[key];
    if (typeof fn === 'function') {
      const got = fn(model) as Map<string, ArrayBufferView> | Record<string, ArrayBufferView>;
      const entries = got instanceof Map ? [...got.entries()] : Object.entries(got);
      return new Map(entries.map(([k, v]) => [k, toF32(v)]));
    }
  }
  const out = new Map<string, Float32Array>();
  walk(model, '', out);
  return out;
}

function walk(model: tfTypes.LayersModel, prefix: string, out: Map<string, Float32Array>): void {
  for (const layer of model.layers) {
    const path = prefix ? `${prefix}/${layer.name}` : layer.name;
    if ('layers' in layer && Array.isArray((layer as unknown as tfTypes.LayersModel).layers)) {
      walk(layer as unknown as tfTypes.LayersModel, path, out);
      continue;
    }
    for (const w of layer.weights) {
      const shortName = (w.originalName ?? w.name).split('/').pop() as string;
      out.set(`${path}/${shortName}`, w.read().dataSync() as Float32Array);
    }
  }
}

function toF32(v: ArrayBufferView): Float32Array {
  return v instanceof Float32Array ? v : new Float32Array(v.buffer, v.byteOffset, v.byteLength / 4);
}
