import type * as tf from '@tensorflow/tfjs';
import type { FlatGraph } from '../graph';

/** The engines that can run a frozen prefix. */
export type EngineName = 'onnxruntime' | 'workers' | 'tfjs';
/** What a caller asks for: one engine, or `auto` (the fastest one present). */
export type EngineChoice = 'auto' | EngineName;

export const ENGINE_NAMES: readonly EngineName[] = ['onnxruntime', 'workers', 'tfjs'];

/**
 * Runs a frozen, inference-only part of a model. `run` takes a batch with the model's input shape and
 * resolves to the prefix output (a new tensor the caller owns); it never keeps or disposes `x`.
 */
export interface FrozenEngine {
  readonly name: EngineName;
  /** A short description for reports (threads, workers, backend). */
  readonly detail: string;
  run(x: tf.Tensor): Promise<tf.Tensor>;
  dispose(): Promise<void>;
}

/** A frozen prefix of a flat graph: nodes `[0, nodeCount)` computing the tensor `outputKey`. */
export interface FrozenPrefix {
  graph: FlatGraph;
  nodeCount: number;
  outputKey: string;
}
