import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasmConfig } from './conv2d_backprop_filter';
import { conv2DBackpropInputWasmConfig } from './conv2d_backprop_input';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './depthwise_backprop_filter';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './depthwise_backprop_input';
import { setNativeKernel } from './native';
import { sliceWasmConfig } from './slice';
import { tileWasmConfig } from './tile';

/** The gradient kernels @tensorflow/tfjs-backend-wasm 4.x lacks for training conv nets. */
export const wasmGradKernelConfigs: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
];

/** Kernels wasm has but that are much slower than frostline's XNNPACK-based formulation. */
export const wasmFasterKernelConfigs: readonly KernelConfig[] = [
  conv2DBackpropInputWasmConfig,
  tileWasmConfig,
  sliceWasmConfig,
];

export interface RegisterWasmGradKernelsOptions {
  /**
   * Also replace wasm's own Conv2DBackpropInput (a plain loop, 6-10x slower than frostline's
   * XNNPACK-based one on MobileNet layers) and Tile (per-element index arithmetic, ~100x slower than
   * a broadcasting multiply; used by every BatchNormalization gradient) and Slice (copies the WHOLE
   * input out of the wasm heap for every slice: ~70 ms per batch slice of a 28 MB image set).
   * Default true.
   */
  replaceSlow?: boolean;
}

const ours = new Set([...wasmGradKernelConfigs, ...wasmFasterKernelConfigs].map((c) => c.kernelFunc));

/**
 * Registers frostline's gradient kernels for the 'wasm' backend so conv layers (Conv2D,
 * DepthwiseConv2D, SeparableConv2D) can be trained there. Idempotent. A missing kernel is always
 * added; a kernel wasm already has is replaced only for the known-slow ones (`replaceSlow`), so a
 * future tfjs-backend-wasm with native versions of the missing ones keeps them.
 * Needs no initialised backend: kernels are looked up by name when a gradient runs.
 *
 * @returns the names of the kernels this call registered (empty when all were in place).
 */
export function registerWasmGradKernels(opts: RegisterWasmGradKernelsOptions = {}): string[] {
  const added: string[] = [];
  for (const config of wasmGradKernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) != null) continue;
    registerKernel(config);
    added.push(config.kernelName);
  }
  if (opts.replaceSlow ?? true) {
    for (const config of wasmFasterKernelConfigs) {
      const existing = getKernel(config.kernelName, config.backendName);
      if (existing != null && ours.has(existing.kernelFunc)) continue;
      // unregister first: registerKernel over an existing one would log a warning
      if (existing != null) unregisterKernel(config.kernelName, config.backendName);
      setNativeKernel(config.kernelName, existing);
      registerKernel(config);
      added.push(config.kernelName);
    }
  }
  return added;
}
