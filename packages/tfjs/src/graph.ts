import type * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';
import { isContainer, layerClassName } from './params';

/** One layer call of a model with nested models expanded inline, in topological order. */
export interface FlatNode {
  layer: tf.layers.Layer;
  /** Layer path, outer models first (as in parameter names). */
  path: string[];
  callArgs: Record<string, unknown>;
  inputs: string[];
  outputs: string[];
  /** Static output shapes (batch dimension null). */
  outputShapes: Array<Array<number | null>>;
}

export interface FlatGraph {
  nodes: FlatNode[];
  inputs: string[];
  outputs: string[];
  /** Static shapes of the model inputs (batch dimension null), in `inputs` order. */
  inputShapes: Array<Array<number | null>>;
}

interface SymbolicLike {
  id: number;
  shape: Array<number | null>;
  sourceLayer: tf.layers.Layer;
  nodeIndex: number;
  tensorIndex: number;
}
interface NodeLike {
  inputTensors: SymbolicLike[];
  outputTensors: SymbolicLike[];
  callArgs?: Record<string, unknown>;
}

const isInputLayer = (l: tf.layers.Layer) => layerClassName(l) === 'InputLayer';

/**
 * Flatten a LayersModel into leaf layer calls (nested Sequential / functional models expanded), in an
 * order where every node comes after the nodes producing its inputs. Tensor keys are unique strings.
 */
export function flattenModel(model: tf.LayersModel): FlatGraph {
  const nodes: FlatNode[] = [];
  const m = model as unknown as { inputs: SymbolicLike[]; outputs: SymbolicLike[] };
  const rootAlias = new Map<number, string>();
  const inputs = m.inputs.map((t, i) => {
    const k = `in${i}`;
    rootAlias.set(t.id, k);
    return k;
  });
  const outputs = expand(model, [], '', rootAlias, nodes);
  return { nodes, inputs, outputs, inputShapes: m.inputs.map((t) => [...t.shape]) };
}

/** Emit the nodes of `container` (aliases map its input tensor ids to outer keys); returns its output keys. */
function expand(
  container: tf.LayersModel,
  path: string[],
  scope: string,
  alias: Map<number, string>,
  out: FlatNode[],
): string[] {
  const c = container as unknown as { outputs: SymbolicLike[] };
  const keyOf = (t: SymbolicLike) => alias.get(t.id) ?? `${scope}t${t.id}`;
  const done = new Set<string>();
  const visit = (t: SymbolicLike): void => {
    if (alias.has(t.id) || done.has(keyOf(t))) return;
    const layer = t.sourceLayer;
    const node = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes[t.nodeIndex]!;
    for (const inp of node.inputTensors) visit(inp);
    for (const o of node.outputTensors) done.add(keyOf(o));
    if (isInputLayer(layer)) return;
    if (isContainer(layer)) {
      const inner = layer as unknown as { inputs: SymbolicLike[]; outputs: SymbolicLike[] };
      const innerScope = `${scope}${layer.name}#${t.nodeIndex}/`;
      const innerAlias = new Map<number, string>();
      inner.inputs.forEach((it, i) => {
        innerAlias.set(it.id, keyOf(node.inputTensors[i]!));
      });
      const innerOut = expand(layer, [...path, layer.name], innerScope, innerAlias, out);
      // The nested model's outputs *are* the outer node's outputs: add identity aliases by renaming.
      node.outputTensors.forEach((o, i) => {
        const from = innerOut[i]!;
        const to = keyOf(o);
        if (from !== to) renameKey(out, from, to);
      });
      return;
    }
    out.push({
      layer,
      path: [...path, layer.name],
      callArgs: { ...(node.callArgs ?? {}) },
      inputs: node.inputTensors.map(keyOf),
      outputs: node.outputTensors.map(keyOf),
      outputShapes: node.outputTensors.map((o) => [...o.shape]),
    });
  };
  for (const o of c.outputs) visit(o);
  return c.outputs.map(keyOf);
}

function renameKey(nodes: FlatNode[], from: string, to: string): void {
  for (const n of nodes) {
    n.inputs = n.inputs.map((k) => (k === from ? to : k));
    n.outputs = n.outputs.map((k) => (k === from ? to : k));
  }
}

/**
 * Positions after which exactly one tensor is live, i.e. valid single-tensor cut points: node `i` is a cut
 * when every tensor produced up to `i` (and every model input), except one output of node `i`, is consumed
 * only by nodes up to `i`. Returns, per position, the cut tensor key or undefined.
 */
export function cutPoints(g: FlatGraph): Array<string | undefined> {
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const k of n.inputs) lastUse.set(k, i);
  });
  for (const k of g.outputs) lastUse.set(k, Number.POSITIVE_INFINITY);
  const res: Array<string | undefined> = [];
  // live = tensors produced so far whose last use lies after the current position
  const live = new Set<string>(g.inputs.filter((k) => (lastUse.get(k) ?? -1) >= 0));
  g.nodes.forEach((n, i) => {
    for (const k of n.outputs) live.add(k);
    for (const k of [...live]) if ((lastUse.get(k) ?? -1) <= i) live.delete(k);
    const only = live.size === 1 ? [...live][0] : undefined;
    res.push(only !== undefined && n.outputs.includes(only) && !g.outputs.includes(only) ? only : undefined);
  });
  return res;
}

/**
 * Run nodes `[from, to)` of a flat graph on concrete tensors. `feeds` holds the tensors already known
 * (by key); returns the map extended with every produced tensor. Call inside `tf.tidy`.
 */
export function runFlat(
  g: FlatGraph,
  from: number,
  to: number,
  feeds: Map<string, tf.Tensor>,
  training: boolean,
): Map<string, tf.Tensor> {
  const values = new Map(feeds);
  for (let i = from; i < to; i++) {
    const n = g.nodes[i]!;
    const ins = n.inputs.map((k) => values.get(k)!);
    const out = n.layer.apply(ins.length === 1 ? ins[0]! : ins, { ...n.callArgs, training }) as
      | tf.Tensor
      | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    n.outputs.forEach((k, j) => {
      values.set(k, outs[j]!);
    });
  }
  return values;
}

/** The nodes that the tensors `keys` depend on, in the flat graph's (topological) order. */
export function ancestorNodes(g: FlatGraph, keys: readonly string[]): FlatNode[] {
  const producer = new Map<string, FlatNode>();
  for (const n of g.nodes) for (const k of n.outputs) producer.set(k, n);
  const keep = new Set<FlatNode>();
  const stack = [...keys];
  while (stack.length) {
    const n = producer.get(stack.pop()!);
    if (!n || keep.has(n)) continue;
    keep.add(n);
    stack.push(...n.inputs);
  }
  return g.nodes.filter((n) => keep.has(n));
}

/** Index of the last node of layer `name` (a layer name or a '/'-joined path); a BAD_OPTION error if none. */
export function layerNodeIndex(g: FlatGraph, name: string, option: string): number {
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (n.layer.name === name || n.path.join('/') === name) return i;
  }
  const names = g.nodes.map((n) => n.path.join('/'));
  throw new FrostlineTfjsError('BAD_OPTION', `${option}: no layer '${name}' in the model.`, {
    hint: `give a layer name; the model's layers end with: ${names.slice(-5).join(', ')}`,
    details: { [option]: name },
  });
}
