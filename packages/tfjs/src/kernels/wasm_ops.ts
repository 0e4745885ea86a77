import {
  type DataId,
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';

/**
 * A tiny eager "op layer" over a backend's own registered kernels, for use INSIDE a kernelFunc.
 *
 * Why call kernelFuncs directly instead of `tf.*` ops or `engine().runKernel`: inside a kernel we
 * hold raw TensorInfos, not Tensors; going back through the engine would record nested kernels on
 * the gradient tape, count them as user tensors and profile them twice. The wasm backend's own
 * kernels compose the same way (Transpose calls Identity, BatchMatMul calls Reshape, ...).
 *
 * Every TensorInfo a kernelFunc returns owns one reference to its dataId; `track` remembers it and
 * `finish(result)` releases every reference except the one handed back, so intermediates never
 * leak even when a kernel throws half-way (`release` in a finally block).
 */
export class KernelOps {
  private readonly owned: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs a registered kernel of this backend and takes ownership of its output. */
  run(kernelName: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: object = {}): TensorInfo {
    const kernel = getKernel(kernelName, this.backendName);
    if (kernel == null) {
      throw new FrostlineTfjsError(
        'KERNEL_UNAVAILABLE',
        `frostline: kernel '${kernelName}' is not registered for backend '${this.backendName}', ` +
          'but a frostline gradient kernel needs it. Use @tensorflow/tfjs-backend-wasm >= 4.22.0.',
      );
    }
    const out = kernel.kernelFunc({
      // Concat takes its inputs as an array; the typing of KernelFunc does not say so.
      inputs: inputs as Record<string, TensorInfo>,
      backend: this.backend,
      attrs: attrs as NamedAttrMap,
    });
    if (Array.isArray(out)) {
      for (const o of out) this.owned.push(o);
      throw new FrostlineTfjsError(
        'KERNEL_UNAVAILABLE',
        `frostline: kernel '${kernelName}' returned several outputs where one was expected.`,
      );
    }
    this.owned.push(out);
    return out;
  }

  /**
   * A free reshape: a view on the same data. It takes no reference of its own, so it must not
   * outlive the tensor it views (finish() keeps the viewed tensor alive when the view is returned).
   */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    const size = shape.reduce((a, b) => a * b, 1);
    const xSize = x.shape.reduce((a, b) => a * b, 1);
    if (size !== xSize)
      throw new FrostlineTfjsError(
        'BAD_DATA',
        `frostline: internal reshape ${x.shape} -> ${shape} changes the size.`,
      );
    return { dataId: x.dataId, shape, dtype: x.dtype };
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Pads with zeros where an amount is positive and crops where it is negative. */
  padOrCrop(x: TensorInfo, amounts: Array<[number, number]>): TensorInfo {
    let cur = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = amounts.map(([a, b], i) => (x.shape[i] as number) - Math.max(0, -a) - Math.max(0, -b));
      if (size.some((s) => s <= 0))
        throw new FrostlineTfjsError('BAD_DATA', 'frostline: internal crop leaves an empty tensor.');
      cur = this.run('Slice', { x: cur }, { begin, size });
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      cur = this.run('PadV2', { x: cur }, { paddings, constantValue: 0 });
    }
    return cur;
  }

  /** x[begin : begin + step*(count-1) + 1 : step] along each axis. */
  stridedSlice(x: TensorInfo, begin: number[], counts: number[], steps: number[]): TensorInfo {
    if (steps.every((s) => s === 1)) return this.run('Slice', { x }, { begin, size: counts });
    const end = begin.map((b, i) => b + (steps[i] as number) * ((counts[i] as number) - 1) + 1);
    return this.run(
      'StridedSlice',
      { x },
      {
        begin,
        end,
        strides: steps,
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      },
    );
  }

  matMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA, transposeB });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  concat(xs: TensorInfo[], axis: number): TensorInfo {
    return this.run('Concat', xs, { axis });
  }

  /** Releases every intermediate except `result`, which the caller hands to the engine. */
  finish(result: TensorInfo): TensorInfo {
    const keepAt = this.owned.findIndex((t) => t.dataId === result.dataId);
    if (keepAt < 0) {
      // The result views data we do not own (an input): it needs a reference of its own.
      (this.backend as unknown as { incRef(id: DataId): void }).incRef(result.dataId);
    }
    this.owned.forEach((t, i) => {
      if (i !== keepAt) this.backend.disposeData(t.dataId);
    });
    this.owned.length = 0;
    return result;
  }

  /** Releases everything (error path). Safe to call after finish(). */
  release(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}

/** Runs `body` with a fresh KernelOps and guarantees no intermediate survives. */
export function withKernelOps(
  backend: KernelBackend,
  backendName: string,
  body: (ops: KernelOps) => TensorInfo,
): TensorInfo {
  const ops = new KernelOps(backend, backendName);
  try {
    return ops.finish(body(ops));
  } finally {
    ops.release();
  }
}

/**
 * dy of a strided convolution with stride-1 zeros interleaved ([n, out*stride, out*stride, k]), so an
 * input gradient can be computed as a stride-1 correlation (see inputGradWindow). Reshaping to
 * [n, Ho, 1, Wo, 1, k] and padding the unit axes puts the zeros in without a scatter.
 */
export function interleaveStrideZeros(
  ops: KernelOps,
  dy: TensorInfo,
  g: { h: { out: number; stride: number }; w: { out: number; stride: number } },
): TensorInfo {
  if (g.h.stride === 1 && g.w.stride === 1) return dy;
  const [n, , , k] = dy.shape as [number, number, number, number];
  const six = ops.reshape(dy, [n, g.h.out, 1, g.w.out, 1, k]);
  const spread = ops.padOrCrop(six, [
    [0, 0],
    [0, 0],
    [0, g.h.stride - 1],
    [0, 0],
    [0, g.w.stride - 1],
    [0, 0],
  ]);
  return ops.reshape(spread, [n, g.h.out * g.h.stride, g.w.out * g.w.stride, k]);
}
