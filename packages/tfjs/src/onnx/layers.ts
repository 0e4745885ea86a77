import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraphBuilder, Shape, Value } from './builder';
import {
  batchNormAffine,
  type ChannelAffine,
  convKernelToOnnx,
  denseKernelFolded,
  depthwiseKernelToOnnx,
  foldedBias,
  layerWeight,
} from './weights';

type Config = Record<string, unknown>;

/** One layer call being converted. */
export interface LayerCall {
  b: OnnxGraphBuilder;
  layer: tf.layers.Layer;
  /** Layer path joined by '/', for names and errors. */
  name: string;
  cfg: Config;
  inputs: Value[];
  outShape: Shape;
  /** A following BatchNormalization folded into this layer's weights. */
  fold?: ChannelAffine;
}

/** Thrown by a converter for a configuration it cannot express; the exporter adds the layer name. */
export class Unsupported extends Error {}

export type Converter = (c: LayerCall) => Value;

/** Layers whose weights a following inference BatchNormalization can be folded into. */
export const FOLDABLE = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense']);

const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];

function requireChannelsLast(cfg: Config): void {
  if (cfg.dataFormat === 'channelsFirst') throw new Unsupported("dataFormat 'channelsFirst'");
}

/** Normalised TF axis (0…rank-1) → the axis of the same data in the value's layout. */
export function layoutAxis(v: Value, axis: number): number {
  const rank = v.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (v.layout !== 'nchw') return a;
  return [0, 2, 3, 1][a]!;
}

/**
 * Explicit ONNX pads `[top, left, bottom, right]` for TF `same` padding (the odd pixel goes to the
 * bottom/right, as in TF), or undefined when the spatial size is unknown (then `SAME_UPPER` is used,
 * which places it the same way).
 */
function padAttrs(
  padding: unknown,
  inShape: Shape,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number] = [1, 1],
): Record<string, number[] | string> {
  if (padding === 'valid') return { pads: [0, 0, 0, 0] };
  if (padding !== 'same') throw new Unsupported(`padding '${String(padding)}'`);
  const spatial = [inShape[1], inShape[2]];
  if (spatial.some((d) => d == null)) return { auto_pad: 'SAME_UPPER' };
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const size = spatial[i]!;
    const effective = (kernel[i]! - 1) * dilations[i]! + 1;
    const out = Math.ceil(size / strides[i]!);
    const total = Math.max((out - 1) * strides[i]! + effective - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return { pads: [...before, ...after] };
}

/** Apply a Keras activation by its serialized name. */
export function activation(b: OnnxGraphBuilder, v: Value, act: unknown, base: string): Value {
  const name = act == null ? 'linear' : String(act);
  const out = (n: string): Value => ({ ...v, name: n });
  const channelAxis = v.shape.length - 1;
  switch (name) {
    case 'linear':
      return v;
    case 'relu':
      return out(b.op('Relu', [v.name], {}, b.fresh(base)));
    case 'relu6':
      return out(b.op('Clip', [v.name, scalar(b, base, 0), scalar(b, base, 6)], {}, b.fresh(base)));
    case 'sigmoid':
      return out(b.op('Sigmoid', [v.name], {}, b.fresh(base)));
    case 'tanh':
      return out(b.op('Tanh', [v.name], {}, b.fresh(base)));
    case 'elu':
      return out(b.op('Elu', [v.name], { alpha: { float: 1 } }, b.fresh(base)));
    case 'selu':
      return out(b.op('Selu', [v.name], {}, b.fresh(base)));
    case 'softplus':
      return out(b.op('Softplus', [v.name], {}, b.fresh(base)));
    case 'softsign':
      return out(b.op('Softsign', [v.name], {}, b.fresh(base)));
    case 'hardSigmoid':
      return out(
        b.op('HardSigmoid', [v.name], { alpha: { float: 0.2 }, beta: { float: 0.5 } }, b.fresh(base)),
      );
    case 'swish':
      return out(b.op('Mul', [v.name, b.op('Sigmoid', [v.name])], {}, b.fresh(base)));
    case 'softmax':
      return out(b.op('Softmax', [v.name], { axis: layoutAxis(v, channelAxis) }, b.fresh(base)));
    case 'logSoftmax':
      return out(b.op('LogSoftmax', [v.name], { axis: layoutAxis(v, channelAxis) }, b.fresh(base)));
    default:
      throw new Unsupported(`activation '${name}'`);
  }
}

function scalar(b: OnnxGraphBuilder, base: string, v: number): string {
  return b.floats(`${base}/const`, new Float32Array([v]), []);
}

function conv2d(c: LayerCall): Value {
  const { b, cfg, name } = c;
  requireChannelsLast(cfg);
  const x = b.toNCHW(c.inputs[0]!);
  const kernel = layerWeight(c.layer, 'kernel')!;
  const w = convKernelToOnnx(kernel, c.fold);
  const cout = w.shape[0]!;
  const bias = foldedBias(layerWeight(c.layer, 'bias')?.data, cout, c.fold);
  const k = pair(cfg.kernelSize);
  const s = pair(cfg.strides);
  const d = pair(cfg.dilationRate ?? 1);
  const ins = [x.name, b.floats(`${name}/kernel`, w.data, w.shape)];
  if (bias) ins.push(b.floats(`${name}/bias`, bias, [cout]));
  const y = b.op(
    'Conv',
    ins,
    { kernel_shape: k, strides: s, dilations: d, group: 1, ...padAttrs(cfg.padding, x.shape, k, s, d) },
    b.fresh(`${name}/conv`),
  );
  return activation(b, { name: y, shape: c.outShape, layout: 'nchw' }, cfg.activation, name);
}

/** The depthwise half of DepthwiseConv2D / SeparableConv2D (grouped Conv). */
function depthwise(c: LayerCall, kernelName: string, fold: ChannelAffine | undefined, withBias: boolean) {
  const { b, cfg, name } = c;
  requireChannelsLast(cfg);
  const x = b.toNCHW(c.inputs[0]!);
  const kernel = layerWeight(c.layer, kernelName)!;
  const cin = kernel.shape[2]!;
  const w = depthwiseKernelToOnnx(kernel, fold);
  const cout = w.shape[0]!;
  const bias = withBias ? foldedBias(layerWeight(c.layer, 'bias')?.data, cout, fold) : undefined;
  const k = pair(cfg.kernelSize);
  const s = pair(cfg.strides);
  const d = pair(cfg.dilationRate ?? 1);
  const ins = [x.name, b.floats(`${name}/${kernelName}`, w.data, w.shape)];
  if (bias) ins.push(b.floats(`${name}/bias`, bias, [cout]));
  return b.op(
    'Conv',
    ins,
    { kernel_shape: k, strides: s, dilations: d, group: cin, ...padAttrs(cfg.padding, x.shape, k, s, d) },
    b.fresh(`${name}/depthwise`),
  );
}

function depthwiseConv2d(c: LayerCall): Value {
  const y = depthwise(c, 'depthwise_kernel', c.fold, true);
  return activation(c.b, { name: y, shape: c.outShape, layout: 'nchw' }, c.cfg.activation, c.name);
}

function separableConv2d(c: LayerCall): Value {
  const { b, name } = c;
  const dw = depthwise(c, 'depthwise_kernel', undefined, false);
  const pk = layerWeight(c.layer, 'pointwise_kernel')!;
  const w = convKernelToOnnx(pk, c.fold);
  const cout = w.shape[0]!;
  const bias = foldedBias(layerWeight(c.layer, 'bias')?.data, cout, c.fold);
  const ins = [dw, b.floats(`${name}/pointwise_kernel`, w.data, w.shape)];
  if (bias) ins.push(b.floats(`${name}/bias`, bias, [cout]));
  const y = b.op(
    'Conv',
    ins,
    { kernel_shape: [1, 1], strides: [1, 1], group: 1 },
    b.fresh(`${name}/pointwise`),
  );
  return activation(b, { name: y, shape: c.outShape, layout: 'nchw' }, c.cfg.activation, name);
}

function dense(c: LayerCall): Value {
  const { b, name } = c;
  const x = b.toLast(c.inputs[0]!);
  const k = denseKernelFolded(layerWeight(c.layer, 'kernel')!, c.fold);
  const units = k.shape[1]!;
  const bias = foldedBias(layerWeight(c.layer, 'bias')?.data, units, c.fold);
  const kName = b.floats(`${name}/kernel`, k.data, k.shape);
  let y: string;
  if (x.shape.length === 2) {
    const ins = [x.name, kName];
    if (bias) ins.push(b.floats(`${name}/bias`, bias, [units]));
    y = b.op('Gemm', ins, {}, b.fresh(`${name}/gemm`));
  } else {
    y = b.op('MatMul', [x.name, kName], {}, b.fresh(`${name}/matmul`));
    if (bias) y = b.op('Add', [y, b.floats(`${name}/bias`, bias, [units])], {}, b.fresh(`${name}/add`));
  }
  return activation(b, { name: y, shape: c.outShape, layout: 'last' }, c.cfg.activation, name);
}

/** BatchNormalization that could not be folded: a per-channel Mul + Add in the value's layout. */
function batchNorm(c: LayerCall): Value {
  const { b, cfg, name } = c;
  const x = c.inputs[0]!;
  const rank = x.shape.length;
  const axisCfg = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
  const axis = Number(axisCfg[0]);
  if (axisCfg.length !== 1 || (axis !== -1 && axis !== rank - 1)) {
    throw new Unsupported(`axis ${JSON.stringify(cfg.axis)} (only the last axis is supported)`);
  }
  const { scale, shift } = batchNormAffine(c.layer, Number(cfg.epsilon ?? 1e-3));
  const dims = x.layout === 'nchw' ? [1, scale.length, 1, 1] : [scale.length];
  const mul = b.op('Mul', [x.name, b.floats(`${name}/scale`, Float32Array.from(scale), dims)]);
  const y = b.op('Add', [mul, b.floats(`${name}/shift`, Float32Array.from(shift), dims)], {}, b.fresh(name));
  return { name: y, shape: c.outShape, layout: x.layout };
}

function pool(c: LayerCall, op: 'MaxPool' | 'AveragePool'): Value {
  const { b, cfg, name } = c;
  requireChannelsLast(cfg);
  const x = b.toNCHW(c.inputs[0]!);
  const k = pair(cfg.poolSize);
  const s = pair(cfg.strides ?? cfg.poolSize);
  // TF averages only the pixels inside the image (count_include_pad = 0, ONNX's default).
  const attrs = { kernel_shape: k, strides: s, ...padAttrs(cfg.padding, x.shape, k, s) };
  return { name: b.op(op, [x.name], attrs, b.fresh(name)), shape: c.outShape, layout: 'nchw' };
}

function globalPool(c: LayerCall, op: 'GlobalAveragePool' | 'GlobalMaxPool'): Value {
  const { b, cfg, name } = c;
  requireChannelsLast(cfg);
  const x = b.toNCHW(c.inputs[0]!);
  const y = b.op(op, [x.name]);
  if (cfg.keepDims === true) return { name: y, shape: c.outShape, layout: 'nchw' };
  return { name: b.op('Flatten', [y], { axis: 1 }, b.fresh(name)), shape: c.outShape, layout: 'last' };
}

function zeroPadding(c: LayerCall): Value {
  const { b, cfg, name } = c;
  requireChannelsLast(cfg);
  const x = b.toNCHW(c.inputs[0]!);
  const p = cfg.padding as unknown;
  const [[t, bot], [l, r]] = (
    Array.isArray(p) ? (p as unknown[]).map((q) => pair(q)) : [pair(p), pair(p)]
  ) as [[number, number], [number, number]];
  const pads = b.ints(`${name}/pads`, [0, 0, t, l, 0, 0, bot, r]);
  return {
    name: b.op('Pad', [x.name, pads], { mode: 'constant' }, b.fresh(name)),
    shape: c.outShape,
    layout: 'nchw',
  };
}

/** Inputs of a merge layer in one shared layout (channels-first if any rank-4 input already is). */
function sameLayout(c: LayerCall): Value[] {
  const nchw = c.inputs.some((v) => v.layout === 'nchw');
  return c.inputs.map((v) => (nchw ? c.b.toNCHW(v) : c.b.toLast(v)));
}

function merge(c: LayerCall, op: 'Sum' | 'Mul' | 'Max' | 'Min' | 'Sub' | 'Mean'): Value {
  const xs = sameLayout(c);
  const y = c.b.op(
    op,
    xs.map((v) => v.name),
    {},
    c.b.fresh(c.name),
  );
  return { name: y, shape: c.outShape, layout: xs[0]!.layout };
}

function concatenate(c: LayerCall): Value {
  const xs = sameLayout(c);
  const axis = layoutAxis(xs[0]!, Number(c.cfg.axis ?? -1));
  const y = c.b.op(
    'Concat',
    xs.map((v) => v.name),
    { axis },
    c.b.fresh(c.name),
  );
  return { name: y, shape: c.outShape, layout: xs[0]!.layout };
}

function flatten(c: LayerCall): Value {
  const x = c.b.toLast(c.inputs[0]!);
  return {
    name: c.b.op('Flatten', [x.name], { axis: 1 }, c.b.fresh(c.name)),
    shape: c.outShape,
    layout: 'last',
  };
}

function reshape(c: LayerCall): Value {
  const x = c.b.toLast(c.inputs[0]!);
  const target = (c.cfg.targetShape as number[]).map(Number);
  // 0 copies the batch dimension (allowzero = 0).
  const shape = c.b.ints(`${c.name}/shape`, [0, ...target]);
  return {
    name: c.b.op('Reshape', [x.name, shape], {}, c.b.fresh(c.name)),
    shape: c.outShape,
    layout: 'last',
  };
}

function rescaling(c: LayerCall): Value {
  const { b, cfg, name } = c;
  const x = c.inputs[0]!;
  const mul = b.op('Mul', [x.name, scalar(b, name, Number(cfg.scale))]);
  const y = b.op('Add', [mul, scalar(b, name, Number(cfg.offset ?? 0))], {}, b.fresh(name));
  return { name: y, shape: c.outShape, layout: x.layout };
}

function relu(c: LayerCall): Value {
  const { cfg } = c;
  if (cfg.negativeSlope != null && Number(cfg.negativeSlope) !== 0)
    throw new Unsupported('negativeSlope ≠ 0');
  if (cfg.threshold != null && Number(cfg.threshold) !== 0) throw new Unsupported('threshold ≠ 0');
  const x = c.inputs[0]!;
  if (cfg.maxValue == null) return activation(c.b, x, 'relu', c.name);
  const max = Number(cfg.maxValue);
  const y = c.b.op('Clip', [x.name, scalar(c.b, c.name, 0), scalar(c.b, c.name, max)], {}, c.b.fresh(c.name));
  return { ...x, name: y, shape: c.outShape };
}

function softmaxLayer(c: LayerCall): Value {
  const x = c.inputs[0]!;
  const axis = layoutAxis(x, Number(Array.isArray(c.cfg.axis) ? c.cfg.axis[0] : (c.cfg.axis ?? -1)));
  return { ...x, name: c.b.op('Softmax', [x.name], { axis }, c.b.fresh(c.name)), shape: c.outShape };
}

function identity(c: LayerCall): Value {
  const x = c.inputs[0]!;
  return { ...x, name: c.b.op('Identity', [x.name], {}, c.b.fresh(c.name)), shape: c.outShape };
}

function leakyRelu(c: LayerCall): Value {
  const x = c.inputs[0]!;
  const alpha = Number(c.cfg.alpha ?? 0.3);
  return {
    ...x,
    name: c.b.op('LeakyRelu', [x.name], { alpha: { float: alpha } }, c.b.fresh(c.name)),
    shape: c.outShape,
  };
}

/** Every layer class the exporter writes, by its TF.js class name. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: (c) => activation(c.b, c.inputs[0]!, c.cfg.activation, c.name),
  ReLU: relu,
  LeakyReLU: leakyRelu,
  Softmax: softmaxLayer,
  Add: (c) => merge(c, 'Sum'),
  Multiply: (c) => merge(c, 'Mul'),
  Subtract: (c) => merge(c, 'Sub'),
  Average: (c) => merge(c, 'Mean'),
  Maximum: (c) => merge(c, 'Max'),
  Minimum: (c) => merge(c, 'Min'),
  Concatenate: concatenate,
  ZeroPadding2D: zeroPadding,
  MaxPooling2D: (c) => pool(c, 'MaxPool'),
  AveragePooling2D: (c) => pool(c, 'AveragePool'),
  GlobalAveragePooling2D: (c) => globalPool(c, 'GlobalAveragePool'),
  GlobalMaxPooling2D: (c) => globalPool(c, 'GlobalMaxPool'),
  Flatten: flatten,
  Reshape: reshape,
  Rescaling: rescaling,
  // Inference-mode identities: noise and dropout only act while training.
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};
