import type {
  KernelBackend,
  KernelConfig,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { type ConvPad, convGeometry, inputGradWindow } from './geometry';
import { interleaveStrideZeros, withKernelOps } from './wasm_ops';

interface DepthwiseBackpropInputAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * Depthwise input gradient as a stride-1 depthwise convolution (XNNPACK in wasm) of dy with the
 * spatially flipped filter ("transposed convolution"):
 *  1. strides > 1: interleave dy with stride-1 zeros (reshape to [n,Ho,1,Wo,1,K] + pad + reshape);
 *  2. pad/crop so a 'valid' correlation yields exactly H x W (see inputGradWindow);
 *  3. depthwise conv with the flipped filter seen as [kh, kw, C*M, 1], same dilation as forward;
 *  4. channel multiplier M > 1: sum the M outputs that came from each input channel.
 */
export function depthwiseConv2dNativeBackpropInputWasm(args: {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseBackpropInputAttrs;
  const [kh, kw, c, mult] = filter.shape as [number, number, number, number];
  const xShape = attrs.inputShape;
  if (xShape[3] !== c || dy.shape[3] !== c * mult) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `frostline DepthwiseConv2dNativeBackpropInput: filter ${filter.shape} does not match inputShape ${xShape} / dy ${dy.shape}.`,
    );
  }
  const g = convGeometry(
    'DepthwiseConv2dNativeBackpropInput',
    xShape,
    dy.shape,
    [kh, kw],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const [n, h, w] = xShape;
  const k = c * mult;
  return withKernelOps(args.backend, 'wasm', (ops) => {
    const dyd = interleaveStrideZeros(ops, dy, g);
    const dyp = ops.padOrCrop(dyd, [[0, 0], inputGradWindow(g.h), inputGradWindow(g.w), [0, 0]]);
    const flipped = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
    const dx = ops.run(
      'DepthwiseConv2dNative',
      { x: dyp, filter: ops.reshape(flipped, [kh, kw, k, 1]) },
      { strides: [1, 1], dilations: [g.h.dilation, g.w.dilation], pad: 'valid' },
    ); // [n, h, w, C*M]
    if (mult === 1) return dx;
    return ops.sum(ops.reshape(dx, [n, h, w, c, mult]), [4]);
  });
}

export const depthwiseConv2dNativeBackpropInputWasmConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInputWasm as KernelConfig['kernelFunc'],
};
