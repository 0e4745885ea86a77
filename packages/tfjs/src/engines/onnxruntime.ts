import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { flatGraphToOnnx } from '../onnx/export';
import type { FrozenEngine, FrozenPrefix } from './types';

export interface OnnxruntimeEngineOptions {
  /** Intra-op threads (default: every core). */
  threads?: number;
  /** How the optional peer is loaded (default: dynamic import of `onnxruntime-node`). */
  importer?: (specifier: string) => Promise<unknown>;
}

export const ONNXRUNTIME_PACKAGE = 'onnxruntime-node';

// A variable specifier keeps bundlers from resolving the optional peer at build time.
const defaultImporter = (s: string): Promise<unknown> =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ s);

/** Load onnxruntime-node (throws the import error when it is absent). */
export async function loadOnnxruntime(
  importer: (s: string) => Promise<unknown> = defaultImporter,
): Promise<typeof Ort> {
  const mod = (await importer(ONNXRUNTIME_PACKAGE)) as typeof Ort & { default?: typeof Ort };
  const ort = mod.InferenceSession ? mod : mod.default;
  if (!ort?.InferenceSession) throw new Error(`${ONNXRUNTIME_PACKAGE} exports no InferenceSession`);
  return ort;
}

export async function defaultThreads(): Promise<number> {
  const os = (await defaultImporter('node:os')) as typeof import('node:os');
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * The prefix exported to ONNX (exportOnnx) and run by onnxruntime-node's CPU provider on every core.
 * Throws UNSUPPORTED_LAYER when the prefix holds a layer the exporter cannot write.
 */
export async function onnxruntimeEngine(
  prefix: FrozenPrefix,
  opts: OnnxruntimeEngineOptions = {},
): Promise<FrozenEngine> {
  const ort = await loadOnnxruntime(opts.importer);
  const bytes = flatGraphToOnnx(prefix.graph, { outputKeys: [prefix.outputKey] });
  const threads = opts.threads ?? (await defaultThreads());
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  let closed = false;
  return {
    name: 'onnxruntime',
    detail: `onnxruntime-node CPU, ${threads} thread${threads === 1 ? '' : 's'}`,
    async run(x) {
      const data = (await x.data()) as Float32Array;
      const feeds = { [input]: new ort.Tensor('float32', data, x.shape) };
      const result = await session.run(feeds);
      const y = result[output]!;
      const t = tf.tensor(y.data as Float32Array, y.dims as number[]);
      y.dispose?.();
      return t;
    },
    async dispose() {
      if (closed) return;
      closed = true;
      await session.release();
    },
  };
}
