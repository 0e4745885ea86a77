import { backend_util } from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';

/** Padding as the conv kernels' attrs carry it. */
export type ConvPad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

/** One spatial axis of a forward convolution, as its gradients need it. */
export interface ConvAxis {
  /** input length */
  size: number;
  /** output length (dy) */
  out: number;
  kernel: number;
  stride: number;
  dilation: number;
  /** zeros added before the input on this axis in the forward pass */
  padBefore: number;
}

export interface ConvGeometry {
  h: ConvAxis;
  w: ConvAxis;
}

function pair(v: number | number[] | undefined, fallback: number): [number, number] {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  return [v[0] ?? fallback, v[1] ?? v[0] ?? fallback];
}

/**
 * Geometry of the forward convolution whose gradient is wanted, from the same attrs the kernel gets.
 * The padding comes from tfjs' own computeConv2DInfo so 'same', 'valid', numeric pads with a
 * rounding mode and explicit pads all mean exactly what they mean to the forward kernel; the output
 * size must agree with dy, which catches callers passing inconsistent shapes.
 */
export function convGeometry(
  op: string,
  xShape: number[],
  dyShape: number[],
  kernelHW: [number, number],
  strides: number | number[],
  dilations: number | number[] | undefined,
  pad: ConvPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
): ConvGeometry {
  if (xShape.length !== 4 || dyShape.length !== 4) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `frostline ${op}: x and dy must be rank 4 (NHWC), got ${xShape} and ${dyShape}.`,
    );
  }
  const [sh, sw] = pair(strides, 1);
  const [dh, dw] = pair(dilations, 1);
  const [kh, kw] = kernelHW;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    // channels do not influence the spatial geometry
    [kh, kw, xShape[3] as number, depthwise ? 1 : (dyShape[3] as number)],
    [sh, sw],
    [dh, dw],
    pad,
    dimRoundingMode,
    depthwise,
  );
  if (info.outHeight !== dyShape[1] || info.outWidth !== dyShape[2]) {
    throw new FrostlineTfjsError(
      'BAD_DATA',
      `frostline ${op}: dy has spatial size ${dyShape[1]}x${dyShape[2]} but x ${xShape} with a ` +
        `${kh}x${kw} filter, strides ${[sh, sw]}, dilations ${[dh, dw]} and pad ${JSON.stringify(pad)} ` +
        `gives ${info.outHeight}x${info.outWidth}.`,
    );
  }
  return {
    h: {
      size: xShape[1] as number,
      out: info.outHeight,
      kernel: kh,
      stride: sh,
      dilation: dh,
      padBefore: info.padInfo.top,
    },
    w: {
      size: xShape[2] as number,
      out: info.outWidth,
      kernel: kw,
      stride: sw,
      dilation: dw,
      padBefore: info.padInfo.left,
    },
  };
}

/**
 * Pad/crop amounts that turn the input into exactly the window the filter gradient reads:
 * (kernel-1)*dilation + (out-1)*stride + 1 positions starting at -padBefore. Rows the forward pass
 * never read (bottom/right remainder of a strided 'valid' conv) are cropped, not computed.
 */
export function filterGradWindow(a: ConvAxis): [number, number] {
  const span = (a.kernel - 1) * a.dilation + (a.out - 1) * a.stride + 1;
  return [a.padBefore, span - a.size - a.padBefore];
}

/**
 * Pad/crop amounts for the input gradient computed as a stride-1 correlation of the
 * zero-interleaved dy (length out*stride) with the flipped filter (same dilation).
 */
export function inputGradWindow(a: ConvAxis): [number, number] {
  const before = (a.kernel - 1) * a.dilation - a.padBefore;
  const after = a.size + a.padBefore - a.out * a.stride;
  return [before, after];
}
