/**
 * Reads a LayersModel's weight bytes keyed by frostline parameter names, for core's `fingerprint`:
 * layer path + '/' + the weight's short name, built with @frostline/tfjs's `paramName`.
 */
import { paramName } from '@frostline/tfjs';
import type * as tfTypes from '@tensorflow/tfjs';

export function weightValues(model: tfTypes.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  walk(model, [], out);
  return out;
}

function walk(model: tfTypes.LayersModel, prefix: readonly string[], out: Map<string, Float32Array>): void {
  for (const layer of model.layers) {
    const path = [...prefix, layer.name];
    if ('layers' in layer && Array.isArray((layer as unknown as tfTypes.LayersModel).layers)) {
      walk(layer as unknown as tfTypes.LayersModel, path, out);
      continue;
    }
    for (const w of layer.weights) {
      const shortName = (w.originalName ?? w.name).split('/').pop() as string;
      out.set(paramName(path, shortName), w.read().dataSync() as Float32Array);
    }
  }
}
