import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';

// Kernels frostline replaced on wasm, kept for the inputs the replacements hand back.
const natives = new Map<string, KernelConfig>();
const setUp = new WeakMap<object, Set<string>>();

export function setNativeKernel(name: string, config: KernelConfig | undefined): void {
  if (config) natives.set(name, config);
}

/**
 * Runs the native kernel a frostline kernel replaced. Its setupFunc (which binds the wasm function)
 * only runs for kernels registered when the backend initialises, and ours may have replaced it
 * before that, so run it here once per backend instance (setup functions are idempotent).
 */
export function runNativeKernel(name: string, args: Parameters<KernelFunc>[0]): TensorInfo {
  const native = natives.get(name);
  if (native === undefined) {
    throw new FrostlineTfjsError(
      'KERNEL_UNAVAILABLE',
      `frostline ${name}: this input needs the native wasm kernel, which was not registered.`,
    );
  }
  let done = setUp.get(args.backend);
  if (!done) {
    done = new Set();
    setUp.set(args.backend, done);
  }
  if (!done.has(name)) {
    native.setupFunc?.(args.backend);
    done.add(name);
  }
  return native.kernelFunc(args) as TensorInfo;
}
