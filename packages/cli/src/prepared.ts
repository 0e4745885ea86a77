import type { ParamInfo, Plan, PolicySpec } from '@frostline/core';
import type { EpochLogs, LayersModel, StreamSource, Tensor, TrainEvent } from './adapters';
import type { ModelStage } from './models';

/** What a prepare step may use while it works (loading, embedding). */
export interface PrepareContext {
  note(message: string): void;
}

/** Input and one-hot targets of one split. */
export interface TensorSplit {
  x: Tensor;
  y: Tensor;
}

interface PreparedBase {
  /** Display name of the model (backbone or encoder + head). */
  modelName: string;
  stages?: ModelStage[];
  classes: string[];
  counts: { train: number; validation: number; test?: number };
  notes: string[];
  /** Frees tensors and runtimes (the trained model itself is disposed by the caller after saving). */
  dispose(): void | Promise<void>;
}

/** A split read a batch at a time (a streamed image folder): what @frostline/tfjs' `train` takes as a stream. */
export type StreamSplit = StreamSource;

/** A model and tensors (or streams) for @frostline/tfjs `train` (image runs). */
export interface PreparedTfjsRun extends PreparedBase {
  kind: 'tfjs';
  model: LayersModel;
  data: { train: TensorSplit; validation?: TensorSplit } | { train: StreamSplit; validation?: StreamSplit };
  /** Held-out test split, evaluated after training when present. */
  test?: TensorSplit;
  aliases?: (p: ParamInfo) => string[];
}

/** What `runTraining` hands a run that trains itself. */
export interface OwnTrainArgs {
  policy: PolicySpec;
  onEvent: (e: TrainEvent) => void;
  signal?: AbortSignal;
  /** Where to keep a checkpoint every epoch, and the one to continue from (`--resume`). */
  checkpoint: { dir: string; every: number };
  resumeFrom?: string;
}

export interface OwnTrainResult {
  /** The trained model, saved to `model/` by the caller (and disposed by it). */
  model: LayersModel;
  history: EpochLogs[];
  backend: string;
  /** The one plan over every parameter (a frozen encoder's and the head's), made once. */
  plan: Plan;
  /** Stages known only once the model exists (a text run's head). */
  stages?: ModelStage[];
  /** Accuracy on the held-out test split, when there is one. */
  test?: { acc: number; examples: number };
}

/**
 * A run that trains through its domain package (text runs: @frostline/nlp's `trainTextClassifier`,
 * which embeds with the frozen encoder, plans encoder + head once and trains the head).
 */
export interface PreparedOwnRun extends PreparedBase {
  kind: 'own';
  train(args: OwnTrainArgs): Promise<OwnTrainResult>;
}

export type PreparedRun = PreparedTfjsRun | PreparedOwnRun;
