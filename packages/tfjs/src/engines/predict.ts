import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { cutPoints, type FlatGraph, flattenModel, runFlat } from '../graph';
import { CONVERTERS } from '../onnx/layers';
import { layerClassName } from '../params';
import { type EngineReport, type OpenEngineOptions, openEngine } from './select';
import type { FrozenPrefix } from './types';

export interface PredictWithEngineOptions extends OpenEngineOptions {
  /** Rows per engine call (default 32). */
  batchSize?: number;
}

export interface PredictWithEngineResult {
  /** The model's output for every row (the caller owns it). */
  output: tf.Tensor;
  /** Which engine ran the prefix, why, and the guard's check. */
  engine: EngineReport;
  /** Layers run by the engine (the rest ran on TF.js). */
  prefixLayers: number;
  ms: number;
  examplesPerSec: number;
}

/**
 * The longest part of the model, from its input, that an engine can run: every layer exportable and
 * the part ending at a single tensor (the whole model when everything is exportable).
 */
export function enginePrefix(g: FlatGraph): FrozenPrefix | undefined {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) return undefined;
  const cuts = cutPoints(g);
  let best: FrozenPrefix | undefined;
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i]!;
    if (!CONVERTERS[layerClassName(n.layer)]) break;
    const key = i === g.nodes.length - 1 ? g.outputs[0] : cuts[i];
    if (key !== undefined) best = { graph: g, nodeCount: i + 1, outputKey: key };
  }
  return best;
}

/**
 * Inference through the fastest engine present: the model's longest exportable prefix (usually all of
 * it) runs on onnxruntime / a worker pool (checked against TF.js on the first batch), the rest on TF.js.
 * Same numbers as `model.predict` within 1e-4 (relative).
 */
export async function predictWithEngine(
  model: tf.LayersModel,
  x: tf.Tensor,
  opts: PredictWithEngineOptions = {},
): Promise<PredictWithEngineResult> {
  const g = flattenModel(model);
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    throw new FrostlineTfjsError(
      'UNSUPPORTED_MODEL',
      `predictWithEngine takes models with one input and one output; this one has ${g.inputs.length} and ${g.outputs.length}.`,
      { hint: 'use model.predict for multi-input or multi-output models' },
    );
  }
  const prefix = enginePrefix(g) ?? { graph: g, nodeCount: 0, outputKey: g.inputs[0]! };
  const opened = await openEngine(prefix, prefix.nodeCount === 0 ? { ...opts, engine: 'tfjs' } : opts);
  const batch = opts.batchSize ?? 32;
  const n = x.shape[0]!;
  const t = performance.now();
  const parts: tf.Tensor[] = [];
  try {
    for (let s = 0; s < n; s += batch) {
      const rows = x.slice(s, Math.min(batch, n - s));
      const mid = prefix.nodeCount === 0 ? rows : await opened.engine.run(rows);
      if (mid !== rows) rows.dispose();
      if (prefix.nodeCount === g.nodes.length) {
        parts.push(mid);
        continue;
      }
      const feeds = new Map([[prefix.outputKey, mid]]);
      parts.push(
        tf.tidy(() => runFlat(g, prefix.nodeCount, g.nodes.length, feeds, false).get(g.outputs[0]!)!),
      );
      mid.dispose();
    }
  } finally {
    await opened.dispose();
  }
  const output = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
  if (parts.length > 1) tf.dispose(parts);
  const ms = performance.now() - t;
  return {
    output,
    engine: opened.report(),
    prefixLayers: prefix.nodeCount,
    ms,
    examplesPerSec: ms > 0 ? (n * 1000) / ms : 0,
  };
}
