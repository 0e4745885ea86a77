import * as tf from '@tensorflow/tfjs';
import { describeImportError } from '../backend';
import { FrostlineTfjsError } from '../errors';
import { flattenModel, layerNodeIndex } from '../graph';
import type { GuardResult } from './guard';
import { GuardedEngine } from './guard';
import { defaultThreads, ONNXRUNTIME_PACKAGE, onnxruntimeEngine } from './onnxruntime';
import { tfjsEngine } from './tfjs';
import {
  ENGINE_NAMES,
  type EngineChoice,
  type EngineName,
  type FrozenEngine,
  type FrozenPrefix,
} from './types';
import { workersEngine } from './workers';

export type EngineFactory = (prefix: FrozenPrefix) => Promise<FrozenEngine>;

export interface OpenEngineOptions {
  /** `auto` (default): onnxruntime, else a worker pool on a multi-core wasm/cpu machine, else TF.js. */
  engine?: EngineChoice;
  /** Threads for onnxruntime / workers in the pool (default: every core). */
  threads?: number;
  /** Check the first batch against TF.js and fall back on a difference (default true). */
  guard?: boolean;
  /** Replace how an engine is created (custom runtimes, tests with a deliberately broken engine). */
  factories?: Partial<Record<EngineName, EngineFactory>>;
  /** How optional peers are loaded (default: dynamic import). */
  importer?: (specifier: string) => Promise<unknown>;
}

/** Which engine runs a frozen part, and why (`result.cache.engine`, the `cache` event, reports). */
export interface EngineReport {
  requested: EngineChoice;
  /** The engine that ran (TF.js after a guard fallback). */
  name: EngineName;
  detail: string;
  /** Why this engine was chosen (and why faster ones were skipped). */
  reason: string;
  tried: Array<{ name: EngineName; ok: boolean; reason?: string }>;
  /** The exactness guard's result on the first batch (absent when the engine is TF.js itself). */
  guard?: GuardResult;
  /** Set when the guard switched to TF.js: why. */
  fallback?: string;
}

const isNode = typeof process !== 'undefined' && process.versions?.node != null;

/** A frozen-prefix runner with its choice report. Dispose it when done (it may hold threads). */
export interface OpenedEngine {
  engine: GuardedEngine;
  report(): EngineReport;
  dispose(): Promise<void>;
}

/** Why an engine cannot run this prefix here, or undefined when it may be tried. */
async function precondition(
  name: EngineName,
  prefix: FrozenPrefix,
  auto: boolean,
): Promise<string | undefined> {
  if (name === 'tfjs') return undefined;
  if (!isNode) return 'needs Node.js';
  if (prefix.graph.inputs.length !== 1)
    return `the frozen part has ${prefix.graph.inputs.length} inputs (one supported)`;
  if (name === 'workers' && auto) {
    const backend = tf.getBackend();
    if (backend !== 'wasm' && backend !== 'cpu') return `TF.js backend '${backend}' already uses every core`;
    if ((await defaultThreads()) < 2) return 'one core only';
  }
  return undefined;
}

function defaultFactory(name: EngineName, opts: OpenEngineOptions): EngineFactory {
  if (name === 'onnxruntime')
    return (p) =>
      onnxruntimeEngine(p, {
        ...(opts.threads ? { threads: opts.threads } : {}),
        ...(opts.importer ? { importer: opts.importer } : {}),
      });
  if (name === 'workers') return (p) => workersEngine(p, opts.threads ? { workers: opts.threads } : {});
  return async (p) => tfjsEngine(p);
}

/**
 * Open the engine for a frozen prefix: the one asked for, or with `auto` the fastest that starts here
 * (onnxruntime, then the worker pool, then the active TF.js backend). Forcing an engine that cannot
 * start throws `FrostlineTfjsError('ENGINE_UNAVAILABLE')`. The result runs the exactness guard.
 */
export async function openEngine(prefix: FrozenPrefix, opts: OpenEngineOptions = {}): Promise<OpenedEngine> {
  const requested = opts.engine ?? 'auto';
  if (requested !== 'auto' && !ENGINE_NAMES.includes(requested)) {
    throw new FrostlineTfjsError('BAD_OPTION', `Unknown engine '${String(requested)}'.`, {
      hint: `use one of: auto, ${ENGINE_NAMES.join(', ')}`,
    });
  }
  const candidates = requested === 'auto' ? ENGINE_NAMES : [requested];
  const tried: EngineReport['tried'] = [];
  let chosen: FrozenEngine | undefined;
  for (const name of candidates) {
    let why = await precondition(name, prefix, requested === 'auto');
    if (why === undefined) {
      try {
        chosen = await (opts.factories?.[name] ?? defaultFactory(name, opts))(prefix);
      } catch (e) {
        why =
          name === 'onnxruntime'
            ? describeImportError(e, ONNXRUNTIME_PACKAGE)
            : (e as Error).message.split('\n')[0]!;
      }
    }
    tried.push({ name, ok: chosen !== undefined, ...(why ? { reason: why } : {}) });
    if (chosen) break;
  }
  if (!chosen) throw unavailable(requested as EngineName, tried[0]?.reason ?? 'unknown reason', tried);
  const reference = chosen.name === 'tfjs' ? chosen : tfjsEngine(prefix);
  const guarded = new GuardedEngine(chosen, reference, { check: opts.guard !== false });
  const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`);
  const reason =
    requested === 'auto'
      ? `fastest engine present${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
      : `forced with engine: '${requested}'`;
  return {
    engine: guarded,
    report: () => ({
      requested,
      name: guarded.name,
      detail: guarded.detail,
      reason: guarded.fallback ? `${reason}; ${guarded.fallback}` : reason,
      tried,
      ...(guarded.guard ? { guard: guarded.guard } : {}),
      ...(guarded.fallback ? { fallback: guarded.fallback } : {}),
    }),
    dispose: () => guarded.dispose(),
  };
}

function unavailable(name: EngineName, reason: string, tried: EngineReport['tried']): FrostlineTfjsError {
  const hint =
    name === 'onnxruntime'
      ? `install it: ONNXRUNTIME_NODE_INSTALL=skip npm i ${ONNXRUNTIME_PACKAGE} (the variable skips its CUDA download; the CPU library ships in the package), or use engine: 'auto'`
      : "use engine: 'auto' to fall back automatically";
  return new FrostlineTfjsError('ENGINE_UNAVAILABLE', `Engine '${name}' is unavailable: ${reason}.`, {
    hint,
    details: { tried },
  });
}

/** The frozen prefix of a whole model up to (and including) `upTo`, or the whole model. */
export function modelPrefix(model: tf.LayersModel, upTo?: string): FrozenPrefix {
  const graph = flattenModel(model);
  if (upTo === undefined) {
    if (graph.outputs.length !== 1)
      throw new FrostlineTfjsError('BAD_OPTION', 'the model has several outputs; pass upTo');
    return { graph, nodeCount: graph.nodes.length, outputKey: graph.outputs[0]! };
  }
  const i = layerNodeIndex(graph, upTo, 'upTo');
  return { graph, nodeCount: i + 1, outputKey: graph.nodes[i]!.outputs[0]! };
}
