import * as tf from '@tensorflow/tfjs';
import { hintNames } from './backbone';
import { VisionError } from './errors';

// Keras/TF.js layers-model JSON, loosely typed: we only touch a few well-known keys.
type Json = Record<string, unknown>;
interface LayerJson {
  name: string;
  class_name: string;
  config: Json;
  inbound_nodes?: unknown;
}

export interface ArtifactOptions {
  /** New square input side: edits the input shape and keeps global pools global. */
  inputSize?: number;
  /** Drop every layer after this one and make it the output (strip a classifier head). */
  outputLayer?: string;
  /**
   * Converted Keras models carry the `trainable` flags of their last training run (nsfwjs freezes its
   * first layers). Policies decide what trains, so by default every layer starts trainable.
   */
  resetTrainable?: boolean;
}

function modelConfig(topology: Json): { className: string; config: Json } {
  const mc = (topology.model_config as Json | undefined) ?? topology;
  const className = mc.class_name as string | undefined;
  const config = mc.config as Json | undefined;
  if (!className || !config || !Array.isArray(config.layers ?? config)) {
    throw new VisionError(
      'LOAD_FAILED',
      'the model topology is not a Keras/TF.js layers model (no class_name/config.layers)',
      'loadBackbone needs a LayersModel model.json (format "layers-model"); graph models are inference-only',
    );
  }
  return { className, config };
}

function layersOf(config: Json): LayerJson[] {
  return (Array.isArray(config) ? config : config.layers) as LayerJson[];
}

/** Names of the layers a functional model needs to compute `output` (walks inbound_nodes backwards). */
function ancestors(layers: LayerJson[], output: string): Set<string> {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const keep = new Set<string>();
  const stack = [output];
  while (stack.length) {
    const n = stack.pop()!;
    if (keep.has(n)) continue;
    keep.add(n);
    const nodes = (byName.get(n)?.inbound_nodes ?? []) as unknown[];
    for (const node of nodes) {
      // Keras 2: [[name, nodeIndex, tensorIndex, kwargs], ...]; Keras 3 style objects are not supported here.
      if (Array.isArray(node))
        for (const inbound of node) if (Array.isArray(inbound)) stack.push(String(inbound[0]));
    }
  }
  return keep;
}

/** Edit a layers-model topology (a deep copy is returned) for a new input size / cut point. */
export function editTopology(topology: Json, opts: ArtifactOptions, poolResize?: Map<string, number>): Json {
  const copy = structuredClone(topology) as Json;
  const { className, config } = modelConfig(copy);
  let layers = layersOf(config);
  if (opts.outputLayer) {
    const names = layers.map((l) => l.name);
    if (!names.includes(opts.outputLayer)) {
      throw new VisionError(
        'UNKNOWN_LAYER',
        `the model has no layer "${opts.outputLayer}"`,
        hintNames(opts.outputLayer, names),
      );
    }
    if (className === 'Sequential') {
      layers = layers.slice(0, names.indexOf(opts.outputLayer) + 1);
      if (Array.isArray(config))
        throw new VisionError('LOAD_FAILED', 'legacy Sequential config (a bare list) is not supported');
      config.layers = layers;
    } else {
      const keep = ancestors(layers, opts.outputLayer);
      layers = layers.filter((l) => keep.has(l.name));
      config.layers = layers;
      config.output_layers = [[opts.outputLayer, 0, 0]];
    }
  }
  for (const l of layers) {
    if (opts.resetTrainable !== false && 'trainable' in l.config) l.config.trainable = true;
    if (opts.inputSize != null) {
      const shape = l.config.batch_input_shape as (number | null)[] | undefined;
      if (shape && shape.length === 4)
        l.config.batch_input_shape = [shape[0], opts.inputSize, opts.inputSize, shape[3]];
      const p = poolResize?.get(l.name);
      if (p != null) {
        l.config.pool_size = [p, p];
        l.config.strides = [p, p];
      }
    }
  }
  return copy;
}

function inputSizeOf(topology: Json): number | undefined {
  const { config } = modelConfig(topology);
  for (const l of layersOf(config)) {
    const s = l.config.batch_input_shape as (number | null)[] | undefined;
    if (s && s.length === 4 && s[1] != null) return s[1];
  }
  return undefined;
}

/**
 * Pooling layers whose window covers their whole input are global pools written as fixed windows
 * (Keras 2.2 MobileNetV2's 7×7 AveragePooling2D); at a new input size their window must follow, or
 * the model fails to build. Returns the new window per such layer.
 */
async function globalPoolWindows(topology: Json, from: number, to: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { config } = modelConfig(topology);
  const pools = layersOf(config).filter((l) => /^(Average|Max)Pooling2D$/.test(l.class_name));
  if (pools.length === 0) return out;
  // Shape inference at the original size tells which pools are global. Building costs one random init.
  const probe = await tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
  try {
    for (const p of pools) {
      const inShape = probe.getLayer(p.name).input as tf.SymbolicTensor;
      const window = (p.config.pool_size as number[])[0]!;
      if (inShape.shape[1] === window && inShape.shape[2] === window) {
        const scaled = (window * to) / from;
        if (!Number.isInteger(scaled) || scaled < 1) {
          const step = from / window;
          throw new VisionError(
            'INVALID_INPUT_SIZE',
            `inputSize ${to} does not divide into the model's global pool "${p.name}" (total stride ${step})`,
            `use a multiple of ${step}, e.g. ${Math.max(step, Math.round(to / step) * step)}`,
          );
        }
        out.set(p.name, scaled);
      }
    }
  } finally {
    probe.dispose();
  }
  return out;
}

/**
 * Turn model artifacts (topology + weight specs + weight bytes) into a LayersModel, optionally at a
 * new input size and cut at a layer. Quantised weights are dequantised by `tf.io.decodeWeights`.
 */
export async function modelFromArtifacts(
  artifacts: tf.io.ModelArtifacts,
  opts: ArtifactOptions = {},
): Promise<tf.LayersModel> {
  const topology = artifacts.modelTopology as Json | undefined;
  if (!topology || topology instanceof ArrayBuffer) {
    throw new VisionError(
      'LOAD_FAILED',
      'the model artifacts have no JSON modelTopology',
      'pass a TF.js layers model (model.json + weights), not a GraphModel or a bare weights file',
    );
  }
  let poolResize: Map<string, number> | undefined;
  const original = inputSizeOf(topology);
  if (opts.inputSize != null && original != null && opts.inputSize !== original) {
    poolResize = await globalPoolWindows(topology, original, opts.inputSize);
  }
  const edited = editTopology(topology, opts, poolResize);
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: edited } as tf.io.ModelJSON);
  } catch (err) {
    throw new VisionError(
      'LOAD_FAILED',
      `could not build the model from its topology: ${(err as Error).message}`,
      opts.inputSize != null ? 'try the original input size, or a multiple of 32' : undefined,
    );
  }
  if (artifacts.weightSpecs && artifacts.weightData) {
    const data = artifacts.weightData;
    const buffer = Array.isArray(data) ? concatBuffers(data) : data;
    const decoded = tf.io.decodeWeights(buffer, artifacts.weightSpecs);
    const kept = new Set(model.layers.map((l) => l.name));
    const named: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(decoded)) {
      if (kept.has(name.split('/')[0]!)) named[name] = t;
    }
    try {
      model.loadWeights(named, true);
    } catch (err) {
      model.dispose();
      throw new VisionError(
        'LOAD_FAILED',
        `weights do not fit the topology: ${(err as Error).message}`,
        'check that model.json and its weight files belong together',
      );
    } finally {
      tf.dispose(Object.values(decoded));
    }
  }
  return model;
}

function concatBuffers(parts: ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out.buffer;
}
