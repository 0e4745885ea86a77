import type { ParamInfo } from '@frostline/core';
import * as core from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend';
import {
  applyPolicy,
  attachAliases,
  attachedAliases,
  listParams,
  policyFromModel,
  seededRandom,
  type TrainEvent,
  train,
} from '../src/index';
import { convNet, imageData, mlp, same, toyData, values } from './helpers';

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
});

/** What a vision backbone looks like to tfjs: a model plus stage aliases (duck-typed, no import). */
const stageAliases = (p: ParamInfo) =>
  p.layer === 'head' ? ['classifier'] : p.layer === 'd1' ? ['stem'] : [];

describe('a model carries its names', () => {
  it('train / applyPolicy / listParams accept a duck-typed { model, aliases }', async () => {
    const m = mlp();
    const backbone = { model: m, aliases: stageAliases, extra: 'ignored' };
    expect(listParams(backbone).find((p) => p.name === 'head/kernel')?.aliases).toEqual(['classifier']);
    const plan = applyPolicy(backbone, { default: 'frozen', rules: [{ unfreeze: 'classifier' }] });
    expect(plan.trainableNames()).toEqual(['head/kernel', 'head/bias']);
    const { x, y } = toyData(16, 6, 3);
    const before = values(m);
    const res = await train(backbone, { x, y }, { epochs: 1, policy: { rules: [{ freeze: 'stem' }] } });
    expect(res.plans[0]!.frozenNames()).toEqual(['d1/kernel', 'd1/bias']);
    const after = values(m);
    expect(same(before.get('d1/kernel')!, after.get('d1/kernel')!)).toBe(true);
    expect(same(before.get('d2/kernel')!, after.get('d2/kernel')!)).toBe(false);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a method `aliases` that reads `this` keeps working through the wrapper', () => {
    const m = mlp();
    const wrapper = {
      model: m,
      names: { head: ['classifier'] } as Record<string, string[]>,
      aliases(this: { names: Record<string, string[]> }, p: ParamInfo) {
        return this.names[p.layer ?? ''] ?? [];
      },
    };
    expect(
      listParams(wrapper)
        .filter((p) => p.aliases)
        .map((p) => p.name),
    ).toEqual(['head/kernel', 'head/bias']);
    m.dispose();
  });

  it('attachAliases makes { unfreeze: name } work on the bare model; an explicit option wins', async () => {
    const m = attachAliases(mlp(), stageAliases);
    expect(attachedAliases(m)).toBe(stageAliases);
    const { x, y } = toyData(16, 6, 3);
    const res = await train(
      m,
      { x, y },
      { epochs: 1, policy: { default: 'frozen', rules: [{ unfreeze: 'classifier' }] } },
    );
    expect(res.plans[0]!.trainableNames()).toEqual(['head/kernel', 'head/bias']);
    const explicit = listParams(m, { aliases: () => ['x'] });
    expect(explicit.every((p) => p.aliases?.[0] === 'x')).toBe(true);
    // Without aliases the same rule matches nothing: core says so.
    const bare = mlp();
    const err = await train(
      bare,
      { x, y },
      { epochs: 1, policy: { rules: [{ unfreeze: 'classifier' }] } },
    ).catch((e) => e);
    expect(err.code).toBe('NO_MATCH');
    expect(() => attachAliases(bare, 'head' as never)).toThrow(/aliases must be a function/);
    tf.dispose([x, y]);
    m.dispose();
    bare.dispose();
  });
});

describe('one plan covers parameters the model does not own (externalParams)', () => {
  it('plans a fixed encoder with the head; only the head trains; the plan event shows both', async () => {
    const m = mlp();
    const encoder: ParamInfo[] = [
      { name: 'encoder/emb', shape: [10, 6], layer: 'encoder', fixed: true },
      { name: 'encoder/proj', shape: [6, 6], layer: 'encoder', fixed: true },
    ];
    const { x, y } = toyData(16, 6, 3);
    const plans: TrainEvent[] = [];
    const res = await train(
      m,
      { x, y },
      {
        epochs: 2,
        externalParams: encoder,
        policy: { rules: [{ freeze: 'd1' }], lr: { mult: [{ select: 'head', factor: 2 }] } },
        onEvent: (e) => e.type === 'plan' && plans.push(e),
      },
    );
    const plan = res.plans[0]!;
    expect(plan.entries.map((e) => e.name).slice(0, 2)).toEqual(['encoder/emb', 'encoder/proj']);
    expect(plan.trainableNames()).toEqual(['d2/kernel', 'd2/bias', 'head/kernel', 'head/bias']);
    expect(plan.get('head/kernel')!.lrFactor).toBe(2);
    // encoder 60 + 36, d1 56, d2 72, head 27: the summary counts encoder + head.
    expect(plan.summary.totalParams).toBe(251);
    expect(plan.summary.trainableParams).toBe(99);
    expect(plans).toHaveLength(1);
    // Unfreezing a fixed external parameter is core's FIXED_PARAMETER.
    const err = await train(
      m,
      { x, y },
      { epochs: 1, externalParams: encoder, policy: { rules: [{ unfreeze: 'encoder' }] } },
    ).catch((e) => e);
    expect(err.code).toBe('FIXED_PARAMETER');
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('EpochLogs.cache', () => {
  it('records built / hit / invalidated per epoch without folding events', async () => {
    const { x, y } = imageData(16, 8, 1, 3);
    const m = convNet();
    const res = await train(
      m,
      { x, y },
      {
        policy: {
          rules: [{ freeze: 'backbone' }],
          schedule: [
            { kind: 'unfreeze', at: 1, select: 'conv2' },
            { kind: 'unfreeze', at: 2, select: 'conv1' },
          ],
        },
        epochs: 4,
        batchSize: 8,
      },
    );
    // epoch 1: prefix shrinks to conv1/bn1/relu1 (rebuilt); epoch 2: nothing left to cache.
    expect(res.history.map((h) => h.cache)).toEqual(['built', 'built', 'invalidated', 'disabled']);
    const aug = await train(
      m,
      { x, y },
      { policy: { rules: [{ freeze: 'backbone' }] }, epochs: 2, augment: (t) => tf.reverse(t, 2) },
    );
    expect(aug.history.map((h) => h.cache)).toEqual(['disabled', 'disabled']);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('policyFromModel', () => {
  it('reproduces the trainable flags with an exact-name selector, and train keeps them', async () => {
    const m = mlp();
    m.getLayer('d1').trainable = false;
    const policy = policyFromModel(listParams(m));
    expect(policy.rules).toEqual([{ freeze: { names: ['d1/kernel', 'd1/bias'] } }]);
    const { x, y } = toyData(16, 6, 3);
    const before = values(m);
    const res = await train(m, { x, y }, { epochs: 1 });
    expect(res.plans[0]!.frozenNames()).toEqual(['d1/kernel', 'd1/bias']);
    expect(same(before.get('d1/kernel')!, values(m).get('d1/kernel')!)).toBe(true);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('seededRandom lives in core', () => {
  it('tfjs re-exports the very same function under the same name', () => {
    expect(seededRandom).toBe(core.seededRandom);
    const r = seededRandom(42);
    // mulberry32(42): the draws of the tfjs 0.1 implementation (shuffles of saved runs depend on them).
    expect([r(), r(), r()].map((v) => v.toFixed(8))).toEqual(['0.60110375', '0.44829056', '0.85246579']);
  });
});
