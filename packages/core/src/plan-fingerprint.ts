/**
 * One short digest per plan, so a run can say which plan it used: the same policy on the same
 * parameter list gives the same digest, and any change to the trainable set, an LR factor or a
 * BatchNorm mode gives another.
 */
import { PolicyError } from './errors';
import { hashBytes } from './fingerprint';
import { describeValue } from './model';
import type { Plan } from './types';

/** 16 hex digits over the plan's decisions (parameter name, trainable, LR factor; BN modes). */
export function planFingerprint(plan: Plan): string {
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.entries)) {
    throw new PolicyError('INVALID_TYPE', `expected a plan from planFreeze(), got ${describeValue(plan)}`, {
      path: 'plan',
    });
  }
  const lines: string[] = [];
  for (const e of plan.entries) {
    if (e.kind !== 'parameter') continue;
    const factor = e.trainable ? Number(e.lrFactor.toPrecision(12)) : 0;
    lines.push(`p\t${e.name}\t${e.trainable ? 1 : 0}\t${factor}`);
  }
  for (const l of plan.layers) if (l.bnMode !== undefined) lines.push(`bn\t${l.name}\t${l.bnMode}`);
  // Sorted: the same decisions give the same digest whatever order the parameter list had.
  lines.sort();
  return hashBytes(new TextEncoder().encode(['frostline-plan/1', ...lines].join('\n')));
}
