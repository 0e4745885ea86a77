import { diffPlans, fingerprint, type Plan, planFreeze, verifyFrozen } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import { applyPlan, matchPlan } from '../apply';
import { runsInInference } from '../batchnorm';
import { FrostlineTfjsError } from '../errors';
import type { OptimizedParam } from '../optimizer';
import type { TrainBus } from './bus';
import type { RunConfig } from './setup';
import { now, type TrainState } from './state';

/**
 * Plan for `epoch` and, when it differs from the plan in force (a schedule boundary, or the first epoch):
 * verify the frozen weights of the old plan, apply the new one, pick the parameters the optimizer updates,
 * fingerprint the frozen weights and emit `plan`. Returns whether the plan changed.
 */
export async function advancePlan(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
): Promise<boolean> {
  const tracked = state.plan;
  const next = planFreeze(run.plannedParams, run.policy, { epoch });
  const diff = tracked.current ? diffPlans(tracked.current, next) : undefined;
  if (diff?.empty) {
    tracked.current = next;
    return false;
  }
  if (tracked.current && run.verifyMode !== 'off') await verifyFrozenWeights(run, state, bus, epoch - 1);
  matchPlan(run.refs, next, run.externalNames);
  checkExternalFrozen(run, next);
  applyPlan(run.model, next, {
    ...(run.aliases ? { aliases: run.aliases } : {}),
    external: run.externalNames,
  });
  tracked.current = next;
  tracked.params = trainableParams(run, next);
  tracked.vars = tracked.params.map((p) => p.variable);
  if (tracked.params.length === 0) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `The plan for epoch ${epoch + 1} freezes every parameter, so there is nothing to train. ` +
        "Unfreeze a head (e.g. rules: [{ unfreeze: 'last:1' }]) or fix the policy's default.",
    );
  }
  if (run.verifyMode !== 'off') tracked.frozenBefore = fingerprint(frozenValues(run, next));
  else delete tracked.frozenBefore;
  await bus.emit({ type: 'plan', epoch, plan: next, ...(diff ? { diff } : {}), summary: next.summary });
  return true;
}

/** The model's parameters the plan trains, with their LR factors (decay on kernels of rank ≥ 2). */
function trainableParams(run: RunConfig, plan: Plan): OptimizedParam[] {
  return run.refs
    .filter((r) => r.info.kind !== 'buffer' && plan.get(r.info.name)?.trainable)
    .map(
      (r): OptimizedParam => ({
        name: r.info.name,
        variable: r.variable.read() as tf.Variable,
        lrFactor: plan.get(r.info.name)!.lrFactor,
        decay: r.variable.shape.length >= 2,
      }),
    );
}

/** External parameters (planned with the model, owned elsewhere) can never be updated by this loop. */
function checkExternalFrozen(run: RunConfig, plan: Plan): void {
  const trainable = [...run.externalNames].filter((n) => plan.get(n)?.trainable);
  if (trainable.length === 0) return;
  throw new FrostlineTfjsError(
    'BAD_OPTION',
    `The policy makes external parameters trainable (${trainable.slice(0, 5).join(', ')}), but train() can only ` +
      'update the weights of the model it is given. Freeze them (or mark them fixed) in the policy.',
    { details: { trainable } },
  );
}

/** Bytes of every weight that must not change: frozen parameters and buffers of inference-mode BN. */
function frozenValues(run: RunConfig, plan: Plan): Map<string, ArrayBufferView> {
  const values = new Map<string, ArrayBufferView>();
  for (const e of plan.entries) {
    const r = run.byName.get(e.name);
    if (!r) continue; // an external parameter: not held by this model
    const check = e.kind === 'buffer' ? runsInInference(r.layer) : !e.trainable;
    if (check) values.set(e.name, r.variable.read().dataSync() as Float32Array);
  }
  return values;
}

/** Check the frozen weights are bit-identical to the fingerprint taken when the plan was applied. */
export async function verifyFrozenWeights(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
): Promise<void> {
  const { current: plan, frozenBefore } = state.plan;
  if (!plan || !frozenBefore) return;
  const tv = now();
  const res = verifyFrozen(plan, frozenBefore, fingerprint(frozenValues(run, plan)));
  const ms = now() - tv;
  state.timing.verifyMs += ms;
  await bus.emit({ type: 'verify', epoch, ok: res.ok, checked: res.checked, changed: [...res.changed], ms });
  if (res.ok) return;
  const names = [...res.changed, ...res.missing];
  throw new FrostlineTfjsError(
    'FROZEN_CHANGED',
    `Frozen parameters changed during epoch ${epoch + 1}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` … (${names.length})` : ''}. ` +
      'Something outside the plan updated them (a constraint, a custom layer that writes its weights, or a BatchNorm not in inference mode). ' +
      "Freeze them with a policy rule, or use batchNorm: 'train' if BN statistics should adapt.",
    { details: { changed: [...res.changed], missing: [...res.missing], epoch } },
  );
}
