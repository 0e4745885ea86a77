import type {
  KernelBackend,
  KernelConfig,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import { type ConvPad, convGeometry, filterGradWindow } from './geometry';
import { type KernelOps, withKernelOps } from './wasm_ops';

interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  /** not passed by tfjs-core 4.x (its conv2d gradient rejects dilations), honoured if present */
  dilations?: number | [number, number];
}

/**
 * dW = x^T dy for a pointwise conv: one matrix product over all N*H*W positions. The operand with
 * fewer channels is transposed (wasm's BatchMatMul is much faster on untransposed operands than
 * with transposeA; a transpose is a cheap copy).
 */
function pointwiseFilterGrad(
  ops: KernelOps,
  x: TensorInfo,
  dy: TensorInfo,
  ci: number,
  co: number,
): TensorInfo {
  const m = (x.shape[0] as number) * (x.shape[1] as number) * (x.shape[2] as number);
  const x2 = ops.reshape(x, [m, ci]);
  const dy2 = ops.reshape(dy, [m, co]);
  if (ci <= co) {
    const xt = ops.transpose(x2, [1, 0]);
    return ops.reshape(ops.matMul(xt, dy2, false, false), [1, 1, ci, co]);
  }
  const dyt = ops.transpose(dy2, [1, 0]);
  const dwT = ops.matMul(dyt, x2, false, false); // [co, ci]
  return ops.reshape(ops.transpose(dwT, [1, 0]), [1, 1, ci, co]);
}

/**
 * Filter gradient as a forward convolution, which wasm runs through XNNPACK:
 *   dW[i,j,ci,co] = sum_{n,oy,ox} xpad[n, i*dh + oy*sh, j*dw + ox*sw, ci] * dy[n,oy,ox,co]
 * is a 'valid' conv of xpad transposed to [ci, H, W, n] (channels become the batch, the batch
 * becomes the reduced channel axis) with dy transposed to a [Ho, Wo, n, co] filter, run with
 * stride = forward dilation and dilation = forward stride. Output [ci, kh, kw, co] -> transpose.
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const [kh, kw, ci, co] = attrs.filterShape;
  return withKernelOps(args.backend, 'wasm', (ops) => {
    let xh = x;
    let dyh = dy;
    if (attrs.dataFormat === 'NCHW') {
      xh = ops.transpose(x, [0, 2, 3, 1]);
      dyh = ops.transpose(dy, [0, 2, 3, 1]);
    }
    if (xh.shape[3] !== ci || dyh.shape[3] !== co) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `frostline Conv2DBackpropFilter: filterShape ${attrs.filterShape} does not match x ${x.shape} / dy ${dy.shape}.`,
      );
    }
    const g = convGeometry(
      'Conv2DBackpropFilter',
      xh.shape,
      dyh.shape,
      [kh, kw],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
    );
    const winH = filterGradWindow(g.h);
    const winW = filterGradWindow(g.w);
    if (
      kh === 1 &&
      kw === 1 &&
      g.h.stride === 1 &&
      g.w.stride === 1 &&
      winH.every((v) => v === 0) &&
      winW.every((v) => v === 0)
    ) {
      return pointwiseFilterGrad(ops, xh, dyh, ci, co);
    }
    const xp = ops.padOrCrop(xh, [[0, 0], winH, winW, [0, 0]]);
    const xt = ops.transpose(xp, [3, 1, 2, 0]); // [ci, Hwin, Wwin, n]
    const dyt = ops.transpose(dyh, [1, 2, 0, 3]); // [Ho, Wo, n, co]
    const out = ops.run(
      'Conv2D',
      { x: xt, filter: dyt },
      {
        strides: [g.h.dilation, g.w.dilation],
        dilations: [g.h.stride, g.w.stride],
        pad: 'valid',
        dataFormat: 'NHWC',
      },
    ); // [ci, kh, kw, co]
    return ops.transpose(out, [1, 2, 0, 3]);
  });
}

export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as KernelConfig['kernelFunc'],
};
