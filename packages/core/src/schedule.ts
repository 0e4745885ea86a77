/**
 * Schedules over epochs, expanded into plain freeze/unfreeze rules for one epoch. Steps that are
 * active at the epoch become rules ordered by the epoch they started at, then by declaration.
 * `gradual` and `warmup` also hold their groups frozen until their turn (ULMFiT and Lightning's
 * BackboneFinetuning start from a frozen body); `unfreeze`, `freeze` and `progressive-freeze` do
 * nothing before their epoch. Selectors of steps that are not active yet are still returned, so the
 * planner can check them for strictness at epoch 0 (a typo must not wait until epoch 10).
 */
import { PolicyError } from './errors';
import { describeValue } from './model';
import { validatePolicy } from './policy';
import type { PolicySpec, ScheduleStep, Selector } from './types';

export interface ScheduledRule {
  action: 'freeze' | 'unfreeze';
  select: Selector;
  /** e.g. `schedule[0]` or `schedule[1].groups[2]`. */
  source: string;
  /** Path of the selector in the policy, for errors: `schedule[0].select`. */
  path: string;
  strict: boolean;
  /** Epoch from which this rule holds (ordering key). */
  since: number;
}

export interface WarmupFactor {
  select: Selector;
  path: string;
  strict: boolean;
  factor: number;
}

export interface ExpandedSchedule {
  /** Rules active at the epoch, in the order the planner applies them. */
  rules: ScheduledRule[];
  /** Selectors of steps not active yet: checked (strictness), not applied. */
  pending: Array<{ select: Selector; path: string; strict: boolean }>;
  /** LR factors of warm-up steps at this epoch. */
  warmups: WarmupFactor[];
}

export const WARMUP_DEFAULTS = { initialRatio: 0.1, growth: 1.5, cap: 1 } as const;

/** LR factor of a warm-up step at `epoch`: initialRatio · growth^(epoch − at), capped. */
export function warmupFactor(step: Extract<ScheduleStep, { kind: 'warmup' }>, epoch: number): number {
  const initial = step.initialRatio ?? WARMUP_DEFAULTS.initialRatio;
  const growth = step.growth ?? WARMUP_DEFAULTS.growth;
  const cap = step.cap ?? WARMUP_DEFAULTS.cap;
  const k = Math.max(0, epoch - step.at);
  return Math.min(cap, initial * growth ** k);
}

/** Epoch at which group `i` of a gradual / progressive step turns. */
function turn(step: { every: number; start?: number }, i: number): number {
  return (step.start ?? 0) + i * step.every;
}

/**
 * What the per-step expanders write into. `order` counts pushed rules so that rules starting at
 * the same epoch keep their declaration order after sorting.
 */
interface ScheduleAccumulator {
  rules: Array<ScheduledRule & { order: number }>;
  pending: ExpandedSchedule['pending'];
  warmups: WarmupFactor[];
  order: number;
}

type StepOf<K extends ScheduleStep['kind']> = Extract<ScheduleStep, { kind: K }>;

/** `freeze` / `unfreeze` at an epoch: one rule from then on, only checked before. */
function expandAtStep(
  acc: ScheduleAccumulator,
  s: StepOf<'freeze' | 'unfreeze'>,
  src: string,
  strict: boolean,
  epoch: number,
): void {
  const path = `${src}.select`;
  if (epoch >= s.at)
    acc.rules.push({
      action: s.kind,
      select: s.select,
      source: src,
      path,
      strict,
      since: s.at,
      order: acc.order++,
    });
  else acc.pending.push({ select: s.select, path, strict });
}

/** `gradual`: groups unfreeze last-first, one every `every` epochs, and stay frozen until then. */
function expandGradual(
  acc: ScheduleAccumulator,
  s: StepOf<'gradual'>,
  src: string,
  strict: boolean,
  epoch: number,
): void {
  const n = s.groups.length;
  for (let i = 0; i < n; i++) {
    const g = n - 1 - i;
    const at = turn(s, i);
    const source = `${src}.groups[${g}]`;
    const active = epoch >= at;
    acc.rules.push({
      action: active ? 'unfreeze' : 'freeze',
      select: s.groups[g]!,
      source,
      path: source,
      strict,
      since: active ? at : 0,
      order: acc.order++,
    });
  }
}

/** `progressive-freeze`: groups freeze in declared order, one every `every` epochs; only checked before. */
function expandProgressiveFreeze(
  acc: ScheduleAccumulator,
  s: StepOf<'progressive-freeze'>,
  src: string,
  strict: boolean,
  epoch: number,
): void {
  s.groups.forEach((sel, i) => {
    const at = turn(s, i);
    const source = `${src}.groups[${i}]`;
    if (epoch >= at)
      acc.rules.push({
        action: 'freeze',
        select: sel,
        source,
        path: source,
        strict,
        since: at,
        order: acc.order++,
      });
    else acc.pending.push({ select: sel, path: source, strict });
  });
}

/** `warmup`: frozen until `at`, then unfrozen with a growing LR factor. */
function expandWarmup(
  acc: ScheduleAccumulator,
  s: StepOf<'warmup'>,
  src: string,
  strict: boolean,
  epoch: number,
): void {
  const path = `${src}.select`;
  const active = epoch >= s.at;
  acc.rules.push({
    action: active ? 'unfreeze' : 'freeze',
    select: s.select,
    source: src,
    path,
    strict,
    since: active ? s.at : 0,
    order: acc.order++,
  });
  acc.warmups.push({ select: s.select, path, strict, factor: warmupFactor(s, epoch) });
}

/** Expand a validated policy's schedule at one epoch. */
export function expandSchedule(policy: PolicySpec, epoch: number): ExpandedSchedule {
  const acc: ScheduleAccumulator = { rules: [], pending: [], warmups: [], order: 0 };
  (policy.schedule ?? []).forEach((s, k) => {
    const src = `schedule[${k}]`;
    const strict = s.strict !== false;
    switch (s.kind) {
      case 'unfreeze':
      case 'freeze':
        expandAtStep(acc, s, src, strict, epoch);
        break;
      case 'gradual':
        expandGradual(acc, s, src, strict, epoch);
        break;
      case 'progressive-freeze':
        expandProgressiveFreeze(acc, s, src, strict, epoch);
        break;
      default:
        expandWarmup(acc, s, src, strict, epoch);
    }
  });
  const { rules, pending, warmups } = acc;
  rules.sort((a, b) => a.since - b.since || a.order - b.order);
  return { rules: rules.map(({ order: _o, ...r }) => r), pending, warmups };
}

/**
 * Epochs in `[0, epochs)` at which a plan under this policy can differ from the epoch before
 * (always includes 0 when `epochs > 0`). Trainers re-plan (and recompile) only at these epochs.
 */
export function scheduleBoundaries(policy: PolicySpec, epochs: number): number[] {
  if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 0) {
    throw new PolicyError('INVALID_EPOCH', `epochs must be an integer ≥ 0, got ${describeValue(epochs)}`, {
      path: 'epochs',
    });
  }
  const spec = validatePolicy(policy);
  const out = new Set<number>();
  if (epochs > 0) out.add(0);
  for (const s of spec.schedule ?? []) {
    switch (s.kind) {
      case 'unfreeze':
      case 'freeze':
        out.add(s.at);
        break;
      case 'gradual':
      case 'progressive-freeze':
        for (let i = 0; i < s.groups.length; i++) out.add(turn(s, i));
        break;
      default: {
        out.add(s.at);
        let prev = warmupFactor(s, s.at);
        for (let e = s.at + 1; e < epochs; e++) {
          const f = warmupFactor(s, e);
          if (f === prev) break;
          out.add(e);
          prev = f;
        }
      }
    }
  }
  return [...out].filter((e) => e < epochs).sort((a, b) => a - b);
}
