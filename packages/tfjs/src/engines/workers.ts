import * as tf from '@tensorflow/tfjs';
import { nodeRequireResolve, wasmBinaryDir } from '../backend';
import { FrostlineTfjsError } from '../errors';
import { nodeWorkerThreads } from '../node';
import { defaultThreads } from './onnxruntime';
import { prefixArtifacts } from './prefix-model';
import type { FrozenEngine, FrozenPrefix } from './types';
import { WORKER_SOURCE } from './worker-source';

type Worker = import('node:worker_threads').Worker;

export interface WorkersEngineOptions {
  /** Number of worker threads (default: every core). */
  workers?: number;
}

interface Reply {
  type: 'ready' | 'result' | 'error' | 'memory';
  id?: number;
  data?: Float32Array;
  shape?: number[];
  message?: string;
  numTensors?: number;
}

/** One worker thread with its own TF.js wasm backend and a copy of the prefix model. */
class PoolWorker {
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure?: Error;

  constructor(readonly worker: Worker) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id ?? -1);
      if (!p) return;
      this.pending.delete(r.id!);
      if (r.type === 'error') p.reject(new Error(r.message));
      else p.resolve(r);
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
  }

  request(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }
}

/** Start one worker and wait until its model is loaded (or it reports why not). */
async function startWorker(
  threads: typeof import('node:worker_threads'),
  workerData: Record<string, unknown>,
): Promise<PoolWorker> {
  const worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData });
  // biome-ignore lint/suspicious/noExplicitAny: heterogeneous event listeners
  const listeners: Array<[string, (...a: any[]) => void]> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      listeners.push(
        [
          'message',
          (r: Reply) => (r.type === 'ready' ? resolve() : r.id === -1 && reject(new Error(r.message))),
        ],
        ['error', reject],
        ['exit', (code: number) => reject(new Error(`worker exited with code ${code} while starting`))],
      );
      for (const [event, fn] of listeners) worker.on(event, fn);
    });
  } catch (e) {
    await worker.terminate();
    throw e;
  } finally {
    // Only our own listeners: removeAllListeners() would also drop Node's internal ones on the port.
    for (const [event, fn] of listeners) worker.off(event, fn);
  }
  return new PoolWorker(worker);
}

export interface WorkersEngine extends FrozenEngine {
  /** Live TF.js tensors inside each worker (leak checks). */
  workerTensors(): Promise<number[]>;
}

/**
 * A pool of worker_threads, each with its own TF.js wasm backend (wasm in Node is single-threaded):
 * every batch is split into one slice per worker, so all cores work. Node.js only.
 */
export async function workersEngine(
  prefix: FrozenPrefix,
  opts: WorkersEngineOptions = {},
): Promise<WorkersEngine> {
  const count = opts.workers ?? (await defaultThreads());
  if (!Number.isInteger(count) || count < 1) {
    throw new FrostlineTfjsError('BAD_OPTION', `workers must be a positive integer, got ${count}.`);
  }
  const threads = await nodeWorkerThreads();
  const artifacts = await prefixArtifacts(prefix);
  const workerData = {
    tfjsPath: await nodeRequireResolve('@tensorflow/tfjs'),
    wasmPath: await nodeRequireResolve('@tensorflow/tfjs-backend-wasm'),
    wasmDir: await wasmBinaryDir(),
    artifacts,
  };
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startWorker(threads, workerData)),
  );
  const pool = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) {
    await Promise.all(pool.map((w) => w.worker.terminate()));
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  return {
    name: 'workers',
    detail: `${count} worker thread${count === 1 ? '' : 's'}, TF.js wasm each`,
    run: (x) => runSplit(pool, x),
    workerTensors: () =>
      Promise.all(pool.map(async (w) => (await w.request({ type: 'memory' })).numTensors!)),
    async dispose() {
      await Promise.all(pool.splice(0).map((w) => w.worker.terminate()));
    },
  };
}

/** Split the batch into one contiguous slice per worker and join the answers in order. */
async function runSplit(pool: PoolWorker[], x: tf.Tensor): Promise<tf.Tensor> {
  if (pool.length === 0) throw new FrostlineTfjsError('ENGINE_FAILED', 'the workers engine was disposed');
  const data = (await x.data()) as Float32Array;
  const rows = x.shape[0]!;
  const rowSize = rows === 0 ? 0 : data.length / rows;
  const parts = Math.min(pool.length, Math.max(1, rows));
  const per = Math.ceil(rows / parts);
  const replies = await Promise.all(
    Array.from({ length: parts }, (_, i) => {
      const start = i * per;
      const end = Math.min(rows, start + per);
      const slice = data.slice(start * rowSize, end * rowSize);
      return pool[i]!.request({ type: 'run', data: slice, shape: [end - start, ...x.shape.slice(1)] }, [
        slice.buffer,
      ]);
    }),
  );
  const total = replies.reduce((a, r) => a + r.data!.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const r of replies) {
    out.set(r.data!, offset);
    offset += r.data!.length;
  }
  return tf.tensor(out, [rows, ...replies[0]!.shape!.slice(1)]);
}
