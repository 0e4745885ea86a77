/** Policies for the common cases, built from the same vocabulary users write by hand. */
import { PolicyError } from './errors';
import { describeValue } from './model';
import { definePolicy } from './policy';
import type { PolicySpec, Rule, Selector } from './types';

/** Freeze everything except what `keep` selects (the classic "train only the head"). */
export function freezeAllBut(...keep: Selector[]): PolicySpec {
  if (keep.length === 0) {
    throw new PolicyError('EMPTY_RULE', 'freezeAllBut() needs at least one selector to keep trainable', {
      path: 'keep',
      hint: "Write e.g. freezeAllBut('head') or freezeAllBut('fc', 'type:BatchNormalization').",
    });
  }
  return definePolicy({ default: 'frozen', rules: [{ unfreeze: keep.length === 1 ? keep[0]! : keep }] });
}

/**
 * fastai `freeze_to(n)`: with groups ordered earliest first, freeze `groups[0..n-1]` and unfreeze
 * the rest. Negative `n` counts from the end (`freezeTo(groups, -1)`: train only the last group).
 */
export function freezeTo(groups: readonly Selector[], n: number): PolicySpec {
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new PolicyError('EMPTY_RULE', 'freezeTo() needs a non-empty list of groups, earliest first', {
      path: 'groups',
    });
  }
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new PolicyError('INVALID_TYPE', `n must be an integer, got ${describeValue(n)}`, { path: 'n' });
  }
  const k = Math.max(0, Math.min(groups.length, n < 0 ? groups.length + n : n));
  const rules: Rule[] = [];
  if (k > 0) rules.push({ freeze: groups.slice(0, k) });
  if (k < groups.length) rules.push({ unfreeze: groups.slice(k) });
  return definePolicy({ rules });
}
