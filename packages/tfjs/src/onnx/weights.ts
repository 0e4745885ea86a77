import type * as tf from '@tensorflow/tfjs';
import { weightShortName } from '../params';

export interface WeightData {
  data: Float32Array;
  shape: number[];
}

/** A layer's weight by short name (`kernel`, `moving_mean`, …), or undefined when the layer has none. */
export function layerWeight(layer: tf.layers.Layer, short: string): WeightData | undefined {
  const v = layer.weights.find((w) => weightShortName(layer, w) === short);
  if (!v) return undefined;
  const t = v.read();
  return { data: (t.dataSync() as Float32Array).slice(), shape: [...t.shape] };
}

/** Per-channel affine map `y = x * scale + shift` (a BatchNormalization in inference mode). */
export interface ChannelAffine {
  scale: Float64Array;
  shift: Float64Array;
}

/** Inference-mode BatchNormalization as a per-channel affine map, computed in float64. */
export function batchNormAffine(layer: tf.layers.Layer, epsilon: number): ChannelAffine {
  const mean = layerWeight(layer, 'moving_mean')!.data;
  const variance = layerWeight(layer, 'moving_variance')!.data;
  const gamma = layerWeight(layer, 'gamma')?.data;
  const beta = layerWeight(layer, 'beta')?.data;
  const n = mean.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + epsilon);
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/**
 * TF.js conv kernel `[kh, kw, in, out]` → ONNX `[out, in, kh, kw]`, each output channel scaled by
 * `fold.scale` when a following BatchNormalization is folded in.
 */
export function convKernelToOnnx(k: WeightData, fold?: ChannelAffine): WeightData {
  const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) {
          const v = k.data[((y * kw + x) * cin + i) * cout + o]!;
          out[((o * cin + i) * kh + y) * kw + x] = fold ? v * fold.scale[o]! : v;
        }
  return { data: out, shape: [cout, cin, kh, kw] };
}

/**
 * TF.js depthwise kernel `[kh, kw, in, mult]` → ONNX grouped-conv weight `[in*mult, 1, kh, kw]` (output
 * channel `c*mult + m`, TF.js' order).
 */
export function depthwiseKernelToOnnx(k: WeightData, fold?: ChannelAffine): WeightData {
  const [kh, kw, cin, mult] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < mult; m++) {
          const o = c * mult + m;
          const v = k.data[((y * kw + x) * cin + c) * mult + m]!;
          out[(o * kh + y) * kw + x] = fold ? v * fold.scale[o]! : v;
        }
  return { data: out, shape: [cin * mult, 1, kh, kw] };
}

/** Dense kernel `[in, out]` with folded columns. */
export function denseKernelFolded(k: WeightData, fold?: ChannelAffine): WeightData {
  if (!fold) return k;
  const [cin, cout] = k.shape as [number, number];
  const out = new Float32Array(k.data.length);
  for (let i = 0; i < cin; i++)
    for (let o = 0; o < cout; o++) out[i * cout + o] = k.data[i * cout + o]! * fold.scale[o]!;
  return { data: out, shape: k.shape };
}

/** Bias after folding: `b * scale + shift` (a missing bias counts as zeros). */
export function foldedBias(bias: Float32Array | undefined, channels: number, fold?: ChannelAffine) {
  if (!fold) return bias;
  const out = new Float32Array(channels);
  for (let o = 0; o < channels; o++) out[o] = (bias ? bias[o]! : 0) * fold.scale[o]! + fold.shift[o]!;
  return out;
}
