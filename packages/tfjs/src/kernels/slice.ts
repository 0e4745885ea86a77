import {
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  slice_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import { runNativeKernel } from './native';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Slice for wasm. tfjs-backend-wasm 4.22's Slice is JavaScript that first copies the ENTIRE input out
 * of the wasm heap (readSync) and then the slice: taking one 32-image batch of a 256x96x96x3 set cost
 * ~70 ms, as much as a forward pass of a small net. A contiguous slice (a range of rows, which is what
 * batching does) is one copy between two views of the heap here; every other slice goes to the
 * native kernel.
 */
export function sliceWasm(args: {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { begin, size } = (args.attrs ?? {}) as { begin: number | number[]; size?: number | number[] };
  if (x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool') {
    const [b, s] = slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    if (slice_util.isSliceContinous(x.shape, b, s)) {
      const backend = args.backend as unknown as WasmHeapBackend;
      const out = backend.makeOutput(s, x.dtype);
      const n = util.sizeFromShape(s);
      if (n > 0) {
        const offset = slice_util.computeFlatOffset(b, util.computeStrides(x.shape));
        // makeOutput may grow the heap (detaching old views): take the views after it.
        const src = backend.typedArrayFromHeap(x);
        backend.typedArrayFromHeap(out).set(src.subarray(offset, offset + n));
      }
      return out;
    }
  }
  return runNativeKernel('Slice', args as Parameters<KernelFunc>[0]);
}

export const sliceWasmConfig: KernelConfig = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kernelFunc: sliceWasm as KernelConfig['kernelFunc'],
};
