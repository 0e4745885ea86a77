import type * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { ancestorNodes, type FlatGraph, type FlatNode, flattenModel, layerNodeIndex } from '../graph';
import { layerClassName } from '../params';
import { OnnxGraphBuilder, type Value } from './builder';
import { CONVERTERS, FOLDABLE, Unsupported } from './layers';
import { batchNormAffine, type ChannelAffine } from './weights';

export interface ExportOnnxOptions {
  /** Export only up to (and including) this layer: its output is the ONNX output. Name or '/'-joined path. */
  upTo?: string;
  /** ONNX opset (13–18, default 13). */
  opset?: number;
}

export const DEFAULT_OPSET = 13;
const MIN_OPSET = 13;
const MAX_OPSET = 18;

/**
 * Write a TF.js LayersModel (or its prefix up to `upTo`) as an ONNX `ModelProto`, inference mode:
 * dropout and noise are identities, BatchNormalization uses its moving statistics and is folded into
 * the conv/dense before it where that layer feeds only the BN. Inputs and outputs keep TF.js' shapes
 * (NHWC images); inside, image tensors run channels-first with one transpose at the input.
 * Unsupported layers throw `FrostlineTfjsError('UNSUPPORTED_LAYER')` naming the layer.
 */
export async function exportOnnx(model: tf.LayersModel, opts: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const g = flattenModel(model);
  let outputKeys = g.outputs;
  if (opts.upTo !== undefined) outputKeys = [g.nodes[layerNodeIndex(g, opts.upTo, 'upTo')]!.outputs[0]!];
  return flatGraphToOnnx(g, { outputKeys, opset: opts.opset, graphName: model.name });
}

export interface FlatToOnnxOptions {
  /** Tensor keys of the flat graph that become the ONNX outputs. */
  outputKeys: readonly string[];
  opset?: number;
  graphName?: string;
}

/** Export the part of a flat graph that computes `outputKeys`. */
export function flatGraphToOnnx(g: FlatGraph, opts: FlatToOnnxOptions): Uint8Array {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new FrostlineTfjsError('BAD_OPTION', `exportOnnx: opset ${opset} is not supported.`, {
      hint: `use an opset from ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`,
    });
  }
  const nodes = ancestorNodes(g, opts.outputKeys);
  const folds = foldPlan(nodes, opts.outputKeys);
  const b = new OnnxGraphBuilder();
  const values = new Map<string, Value>();
  const inputs: Value[] = [];
  g.inputs.forEach((k, i) => {
    if (!nodes.some((n) => n.inputs.includes(k)) && !opts.outputKeys.includes(k)) return;
    const name = b.fresh(`input_${i}`);
    const v: Value = { name, shape: g.inputShapes[i] ?? [], layout: 'last' };
    values.set(k, v);
    inputs.push(v);
  });
  for (const n of nodes) {
    const alias = folds.absorbed.get(n);
    if (alias !== undefined) {
      values.set(n.outputs[0]!, values.get(alias)!);
      continue;
    }
    values.set(n.outputs[0]!, convertNode(b, n, values, folds.into.get(n)));
  }
  const outputs = opts.outputKeys.map((k, i) => {
    const v = b.toLast(values.get(k)!);
    const name = b.op('Identity', [v.name], {}, b.fresh(`output_${i}`));
    return { ...v, name };
  });
  return b.encode({ inputs, outputs, opset, graphName: opts.graphName ?? 'frostline' });
}

function convertNode(
  b: OnnxGraphBuilder,
  n: FlatNode,
  values: Map<string, Value>,
  fold: ChannelAffine | undefined,
): Value {
  const cls = layerClassName(n.layer);
  const name = n.path.join('/');
  const convert = CONVERTERS[cls];
  if (!convert) {
    throw new FrostlineTfjsError(
      'UNSUPPORTED_LAYER',
      `Cannot export layer '${name}' (${cls}) to ONNX: the exporter has no converter for ${cls}.`,
      {
        hint: `supported layers: ${Object.keys(CONVERTERS).join(', ')}. Export a prefix that stops before it with { upTo }, or run this model on the 'tfjs' engine.`,
        details: { layer: name, className: cls },
      },
    );
  }
  if (n.outputs.length !== 1) {
    throw new FrostlineTfjsError(
      'UNSUPPORTED_LAYER',
      `Cannot export layer '${name}' (${cls}): it has several outputs.`,
      {
        details: { layer: name, className: cls },
      },
    );
  }
  try {
    return convert({
      b,
      layer: n.layer,
      name,
      cfg: n.layer.getConfig() as Record<string, unknown>,
      inputs: n.inputs.map((k) => values.get(k)!),
      outShape: n.outputShapes[0]!,
      ...(fold ? { fold } : {}),
    });
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    throw new FrostlineTfjsError(
      'UNSUPPORTED_LAYER',
      `Cannot export layer '${name}' (${cls}) to ONNX: ${e.message} is not supported.`,
      {
        hint: "export a prefix that stops before it with { upTo }, or run this model on the 'tfjs' engine",
        details: { layer: name, className: cls },
      },
    );
  }
}

/**
 * Which BatchNormalizations fold into the layer before them: that layer must be a conv/dense with a
 * linear activation whose output feeds only this BN (and is not itself an output), and the BN must
 * normalise the last axis.
 */
function foldPlan(nodes: FlatNode[], outputKeys: readonly string[]) {
  const consumers = new Map<string, FlatNode[]>();
  for (const n of nodes) for (const k of n.inputs) consumers.set(k, [...(consumers.get(k) ?? []), n]);
  const into = new Map<FlatNode, ChannelAffine>();
  const absorbed = new Map<FlatNode, string>();
  for (const n of nodes) {
    if (!FOLDABLE.has(layerClassName(n.layer))) continue;
    const cfg = n.layer.getConfig() as Record<string, unknown>;
    if (cfg.activation != null && cfg.activation !== 'linear') continue;
    const out = n.outputs[0]!;
    const users = consumers.get(out) ?? [];
    if (users.length !== 1 || outputKeys.includes(out)) continue;
    const bn = users[0]!;
    if (layerClassName(bn.layer) !== 'BatchNormalization' || bn.inputs.length !== 1) continue;
    const bnCfg = bn.layer.getConfig() as Record<string, unknown>;
    const axis = Array.isArray(bnCfg.axis) ? bnCfg.axis : [bnCfg.axis ?? -1];
    const rank = n.outputShapes[0]!.length;
    if (axis.length !== 1 || (Number(axis[0]) !== -1 && Number(axis[0]) !== rank - 1)) continue;
    into.set(n, batchNormAffine(bn.layer, Number(bnCfg.epsilon ?? 1e-3)));
    absorbed.set(bn, out);
  }
  return { into, absorbed };
}
