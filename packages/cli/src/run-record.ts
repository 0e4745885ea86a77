import type { AppliedRule, LayerSummary, Plan, PlanEntry, PlanSummary } from '@frostline/core';

/** One epoch of a run, as the report and metrics.json show it. Epochs are 0-based. */
export interface EpochRecord {
  epoch: number;
  loss?: number;
  acc?: number;
  valLoss?: number;
  valAcc?: number;
  /** Wall time of the epoch, and the parts spent in the frozen prefix and the trainable rest. */
  ms?: number;
  frozenMs?: number;
  trainableMs?: number;
  examplesPerSec?: number;
  /** Activation cache status in this epoch: built, hit, invalidated, disabled. */
  cache?: string;
}

/** What a report needs of a plan; a core `Plan` is one (extra members are ignored). */
export interface PlanSnapshot {
  epoch: number;
  summary: PlanSummary;
  layers: readonly LayerSummary[];
  rules: readonly AppliedRule[];
  entries?: readonly PlanEntry[];
}

export interface CacheRecord {
  epoch?: number;
  status: string;
  reason?: string;
  ms?: number;
  prefixLayers?: number;
  /** What ran the frozen prefix for a build, how fast, and its speed-up over TF.js on the first batch. */
  engine?: string;
  examplesPerSec?: number;
  engineSpeedup?: number;
}

/** Everything a report shows about one training run; `RunRecorder` builds it from `TrainEvent`s. */
export interface RunRecord {
  title?: string;
  task?: string;
  model?: string;
  createdAt?: string;
  backend?: string;
  status?: 'completed' | 'interrupted' | 'stopped-early' | 'failed';
  epochs: EpochRecord[];
  /** One per epoch (index = epoch), or fewer when the plan never changes. */
  plans: PlanSnapshot[];
  /** Ordered stages of the model (vision backbones): the frost map brackets them. */
  stages?: ReadonlyArray<{ name: string; layers: readonly string[] }>;
  cache?: CacheRecord[];
  /** `engine`: what ran the frozen part (and usually the head) during evaluation, at `examplesPerSec`. */
  test?: { loss?: number; acc?: number; examples?: number; engine?: string; examplesPerSec?: number };
  dataset?: { train?: number; validation?: number; test?: number; classes?: readonly string[] };
  totalMs?: number;
  /** The run's configuration, shown as is. */
  config?: unknown;
  notes?: string[];
}

/** A plan as plain JSON (core's Plan carries methods); what plans.json stores. */
export function snapshotPlan(plan: PlanSnapshot, withEntries = true): PlanSnapshot {
  return {
    epoch: plan.epoch,
    summary: { ...plan.summary },
    rules: plan.rules.map((r) => ({ ...r })),
    layers: plan.layers.map((l) => ({ ...l, rules: [...l.rules] })),
    ...(withEntries && plan.entries
      ? { entries: plan.entries.map((e) => ({ ...e, shape: [...e.shape] })) }
      : {}),
  };
}

export function isPlan(value: unknown): value is Plan {
  return !!value && typeof value === 'object' && 'summary' in value && 'layers' in value;
}
