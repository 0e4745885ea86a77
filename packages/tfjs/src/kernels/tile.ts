import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';
import { runNativeKernel } from './native';
import { withKernelOps } from './wasm_ops';

/** XNNPACK's n-d binary ops take at most 6 dimensions. */
const MAX_RANK = 6;

/**
 * Tile as a broadcasting multiply: x reshaped to [1, d0, 1, d1, ...] times ones of shape
 * [r0, 1, r1, 1, ...] gives [r0, d0, r1, d1, ...] = tile(x, reps) after a free reshape. Axes of
 * size 1 are dropped and neighbours of the same kind merged so typical tiles (BatchNorm's gradient
 * broadcasting [1,1,1,C] to [N,H,W,C]) become rank 2. Returns undefined when that still needs
 * more than MAX_RANK axes or nothing is repeated.
 */
export function tileAsBroadcast(
  shape: readonly number[],
  reps: readonly number[],
): { xShape: number[]; onesShape: number[]; outShape: number[] } | undefined {
  const axes: Array<{ size: number; tiled: boolean }> = [];
  const push = (size: number, tiled: boolean) => {
    if (size === 1) return;
    const last = axes[axes.length - 1];
    if (last && last.tiled === tiled) last.size *= size;
    else axes.push({ size, tiled });
  };
  shape.forEach((d, i) => {
    push(reps[i] ?? 1, true);
    push(d, false);
  });
  if (!axes.some((a) => a.tiled) || axes.length > MAX_RANK) return undefined;
  return {
    xShape: axes.map((a) => (a.tiled ? 1 : a.size)),
    onesShape: axes.map((a) => (a.tiled ? a.size : 1)),
    outShape: shape.map((d, i) => d * (reps[i] ?? 1)),
  };
}

/**
 * Tile for wasm. tfjs-backend-wasm 4.22's Tile does per-element index arithmetic and measured
 * 80-200 ms to broadcast a [1,1,1,C] vector over a MobileNet activation — it sits in every
 * BatchNormalization gradient — while an XNNPACK broadcasting multiply does it in ~1 ms.
 * x * 1 is exact for every float32 (-0, NaN and Inf included). Non-float32 inputs and shapes
 * the broadcast cannot express go to the native kernel.
 */
export function tileWasm(args: {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const reps = (args.attrs?.reps ?? []) as number[];
  const plan = x.dtype === 'float32' ? tileAsBroadcast(x.shape, reps) : undefined;
  if (plan === undefined) return runNativeKernel('Tile', args as Parameters<KernelFunc>[0]);
  return withKernelOps(args.backend, 'wasm', (ops) => {
    const ones = ops.run('Fill', {}, { shape: plan.onesShape, value: 1, dtype: 'float32' });
    const out = ops.run('Multiply', { a: ops.reshape(x, plan.xShape), b: ones });
    return ops.reshape(out, plan.outShape);
  });
}

export const tileWasmConfig: KernelConfig = {
  kernelName: 'Tile',
  backendName: 'wasm',
  kernelFunc: tileWasm as KernelConfig['kernelFunc'],
};
