import type { ParamInfo, PolicySpec } from '@frostline/core';
import type { AnyModel, StageLike } from './adapters';

/** What a prepare step may use while it works (loading, embedding). */
export interface PrepareContext {
  note(message: string): void;
}

/** A model and its data, ready for tfjs `train`; built from a run config by prepare-image / prepare-text. */
export interface PreparedRun {
  /** Display name of the model (backbone or encoder + head). */
  modelName: string;
  model: AnyModel;
  /** tfjs TrainData: `{ train: {x, y}, validation?: {x, y} }`. */
  data: { train: { x: AnyModel; y: AnyModel }; validation?: { x: AnyModel; y: AnyModel } };
  /** Held-out test split, evaluated after training when present. */
  test?: { x: AnyModel; y: AnyModel };
  aliases?: (p: ParamInfo) => string[];
  stages?: StageLike[];
  classes: string[];
  counts: { train: number; validation: number; test?: number };
  /**
   * Parameters that live outside the trained TF.js model (a frozen text encoder): shown in plans and
   * the report as fixed and frozen, never handed to the trainer.
   */
  externalParams?: ParamInfo[];
  notes: string[];
  /**
   * The policy handed to the trainer when it differs from the user's (a text head trains alone:
   * the user's policy is planned over encoder + head, and the head's share is what the trainer gets).
   */
  trainerPolicy?: (policy: PolicySpec) => PolicySpec;
  /** Frees tensors and runtimes (the model itself is disposed by the caller after saving). */
  dispose(): void | Promise<void>;
}
