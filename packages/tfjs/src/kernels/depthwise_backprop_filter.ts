import type {
  KernelBackend,
  KernelConfig,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { type ConvPad, convGeometry, filterGradWindow } from './geometry';
import { withKernelOps } from './wasm_ops';

interface DepthwiseBackpropFilterAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * Depthwise filter gradient as ONE depthwise convolution (XNNPACK in wasm):
 *   dW[i,j,c,m] = sum_{n,oy,ox} xpad[n, i*dh + oy*sh, j*dw + ox*sw, c] * dy[n,oy,ox,c*M+m]
 * Folding the batch into channels, xpad -> [1, H, W, n*C] and dy -> a [Ho, Wo, n*C, M] filter,
 * makes every (n, c) pair its own depthwise channel with multiplier M; a 'valid' depthwise conv
 * with stride = forward dilation and dilation = forward stride gives [1, kh, kw, n*C*M], and a sum
 * over n finishes it. (Per-tap strided slices were 10-20x slower in wasm.)
 */
export function depthwiseConv2dNativeBackpropFilterWasm(args: {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseBackpropFilterAttrs;
  const [kh, kw, c, mult] = attrs.filterShape;
  if (x.shape[3] !== c || dy.shape[3] !== c * mult) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `frostline DepthwiseConv2dNativeBackpropFilter: filterShape ${attrs.filterShape} does not match x ${x.shape} / dy ${dy.shape}.`,
    );
  }
  const g = convGeometry(
    'DepthwiseConv2dNativeBackpropFilter',
    x.shape,
    dy.shape,
    [kh, kw],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const n = x.shape[0] as number;
  return withKernelOps(args.backend, 'wasm', (ops) => {
    const xp = ops.padOrCrop(x, [[0, 0], filterGradWindow(g.h), filterGradWindow(g.w), [0, 0]]);
    const [, hp, wp] = xp.shape as [number, number, number, number];
    const xt = n === 1 ? xp : ops.transpose(xp, [1, 2, 0, 3]);
    const dyt = n === 1 ? dy : ops.transpose(dy, [1, 2, 0, 3]);
    const out = ops.run(
      'DepthwiseConv2dNative',
      { x: ops.reshape(xt, [1, hp, wp, n * c]), filter: ops.reshape(dyt, [g.h.out, g.w.out, n * c, mult]) },
      { strides: [g.h.dilation, g.w.dilation], dilations: [g.h.stride, g.w.stride], pad: 'valid' },
    ); // [1, kh, kw, n*c*mult]
    if (n === 1) return ops.reshape(out, [kh, kw, c, mult]);
    const summed = ops.sum(ops.reshape(out, [kh * kw, n, c * mult]), [1]);
    return ops.reshape(summed, [kh, kw, c, mult]);
  });
}

export const depthwiseConv2dNativeBackpropFilterWasmConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilterWasm as KernelConfig['kernelFunc'],
};
