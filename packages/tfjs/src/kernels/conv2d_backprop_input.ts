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

interface Conv2DBackpropInputAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
  /** not passed by tfjs-core 4.x, honoured if present */
  dilations?: number | [number, number];
}

/**
 * Conv input gradient as a forward Conv2D (XNNPACK in wasm) of dy with the spatially flipped,
 * in/out-swapped filter: a transposed convolution. tfjs-backend-wasm 4.22 HAS this kernel, but as a
 * plain loop that measured 6-10x slower than its forward conv on MobileNet pointwise layers, and
 * it is on the critical path of every partially unfrozen conv net (it carries the gradient from
 * the unfrozen layers back into earlier unfrozen layers), so frostline replaces it on wasm.
 *  1x1, stride 1, no padding: dx = dy . W^T, a 1x1 conv with the [co, ci] transposed filter;
 *  otherwise: interleave dy with stride-1 zeros, pad/crop (inputGradWindow), conv with
 *  reverse(W)[kh, kw, co, ci] at the forward dilation.
 */
export function conv2DBackpropInputWasm(args: {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const nchw = attrs.dataFormat === 'NCHW';
  const s = attrs.inputShape;
  const xShape: [number, number, number, number] = nchw ? [s[0], s[2], s[3], s[1]] : [...s];
  return withKernelOps(args.backend, 'wasm', (ops) => {
    const dyh = nchw ? ops.transpose(dy, [0, 2, 3, 1]) : dy;
    if (xShape[3] !== ci || dyh.shape[3] !== co) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `frostline Conv2DBackpropInput: filter ${filter.shape} does not match inputShape ${s} / dy ${dy.shape}.`,
      );
    }
    const g = convGeometry(
      'Conv2DBackpropInput',
      xShape,
      dyh.shape,
      [kh, kw],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
    );
    const [, h, w] = xShape;
    const winH = inputGradWindow(g.h);
    const winW = inputGradWindow(g.w);
    const conv = (x: TensorInfo, f: TensorInfo, dilations: [number, number]) =>
      ops.run('Conv2D', { x, filter: f }, { strides: [1, 1], dilations, pad: 'valid', dataFormat: 'NHWC' });
    let dx: TensorInfo;
    if (
      kh === 1 &&
      kw === 1 &&
      g.h.stride === 1 &&
      g.w.stride === 1 &&
      winH.every((v) => v === 0) &&
      winW.every((v) => v === 0)
    ) {
      const wt = ops.transpose(ops.reshape(filter, [ci, co]), [1, 0]);
      dx = conv(dyh, ops.reshape(wt, [1, 1, co, ci]), [1, 1]);
    } else {
      const dyd = interleaveStrideZeros(ops, dyh, g);
      const dyp = ops.padOrCrop(dyd, [[0, 0], winH, winW, [0, 0]]);
      const flipped = ops.transpose(ops.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
      dx = conv(dyp, flipped, [g.h.dilation, g.w.dilation]);
    }
    if (dx.shape[1] !== h || dx.shape[2] !== w) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `frostline Conv2DBackpropInput: internal shape ${dx.shape} != ${xShape}.`,
      );
    }
    return nchw ? ops.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}

export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm as KernelConfig['kernelFunc'],
};
