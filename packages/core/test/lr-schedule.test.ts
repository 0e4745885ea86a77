import { describe, expect, it } from 'vitest';
import {
  diffPlans,
  discriminativeFactors,
  type ParamInfo,
  PolicyError,
  type PolicySpec,
  planFreeze,
  scheduleBoundaries,
} from '../src/index';
import { cnn } from './fixtures/models';

/** Three layers g0 < g1 < g2, one tensor each. */
const three: ParamInfo[] = ['g0', 'g1', 'g2'].map((l) => ({ name: `${l}.w`, shape: [1] }));
const lr = (policy: PolicySpec, epoch = 0) =>
  planFreeze(three, policy, { epoch }).entries.map((e) => e.lrFactor);
const trainable = (policy: PolicySpec, epoch: number) =>
  planFreeze(three, policy, { epoch }).trainableNames();

describe('learning-rate factors', () => {
  it('lr.mult multiplies every matching multiplier', () => {
    expect(
      lr({
        lr: {
          mult: [
            { select: 'g0', factor: 0.1 },
            { select: ['g0', 'g1'], factor: 3 },
          ],
        },
      }),
    ).toEqual([expect.closeTo(0.3, 12), 3, 1]);
  });
  it('discriminative lo=1e-3 hi=1e-1 over 3 groups → 1e-3, 1e-2, 1e-1', () => {
    const f = lr({ lr: { discriminative: { groups: ['g0', 'g1', 'g2'], lo: 1e-3, hi: 1e-1 } } });
    expect(f[0]).toBeCloseTo(1e-3, 12);
    expect(f[1]).toBeCloseTo(1e-2, 12);
    expect(f[2]).toBeCloseTo(1e-1, 12);
    expect(discriminativeFactors(1e-3, 1e-1, 1)).toEqual([1e-1]);
  });
  it('parameters in no discriminative group keep factor 1', () => {
    expect(lr({ lr: { discriminative: { groups: ['g0', 'g1'], lo: 0.25, hi: 0.5 } } })).toEqual([
      0.25, 0.5, 1,
    ]);
  });
  it('layer-wise decay 0.5 over layers → 0.25, 0.5, 1 (top = 1)', () => {
    expect(lr({ lr: { layerwiseDecay: { decay: 0.5 } } })).toEqual([0.25, 0.5, 1]);
    expect(lr({ lr: { layerwiseDecay: { decay: 0.5, groups: [['g0', 'g1'], 'g2'] } } })).toEqual([
      0.5, 0.5, 1,
    ]);
  });
  it('modes multiply', () => {
    const f = lr({
      lr: {
        mult: [{ select: 'g2', factor: 10 }],
        discriminative: { groups: ['g0', 'g1', 'g2'], lo: 0.01, hi: 1 },
        layerwiseDecay: { decay: 0.5 },
      },
    });
    expect(f[0]).toBeCloseTo(0.01 * 0.25, 12);
    expect(f[1]).toBeCloseTo(0.1 * 0.5, 12);
    expect(f[2]).toBeCloseTo(10, 12);
  });
  it('frozen parameters keep the factor they would have', () => {
    const plan = planFreeze(three, {
      rules: [{ freeze: 'g0' }],
      lr: { mult: [{ select: 'g0', factor: 0.5 }] },
    });
    expect(plan.get('g0.w')).toMatchObject({ trainable: false, lrFactor: 0.5 });
    expect(plan.explain('g0.w')).toBe("g0.w: frozen by rules[0] (freeze 'g0'); lr factor 0.5");
  });
});

describe('schedules', () => {
  it('unfreeze at epoch N (after declared rules)', () => {
    const p: PolicySpec = {
      rules: [{ freeze: '**' }],
      schedule: [{ kind: 'unfreeze', at: 2, select: 'g1' }],
    };
    expect(trainable(p, 0)).toEqual([]);
    expect(trainable(p, 1)).toEqual([]);
    expect(trainable(p, 2)).toEqual(['g1.w']);
    expect(trainable(p, 5)).toEqual(['g1.w']);
    const plan = planFreeze(three, p, { epoch: 2 });
    expect(plan.rules[1]).toMatchObject({ action: 'unfreeze', source: 'schedule[0]', selector: 'g1' });
    expect(plan.explain('g1.w')).toBe("g1.w: trainable by schedule[0] (unfreeze 'g1'); lr factor 1");
  });
  it('freeze at epoch N', () => {
    const p: PolicySpec = { schedule: [{ kind: 'freeze', at: 1, select: 'g0' }] };
    expect(trainable(p, 0)).toEqual(['g0.w', 'g1.w', 'g2.w']);
    expect(trainable(p, 1)).toEqual(['g1.w', 'g2.w']);
  });
  it('steps apply by epoch, then declaration', () => {
    const p: PolicySpec = {
      schedule: [
        { kind: 'unfreeze', at: 3, select: 'g0' },
        { kind: 'freeze', at: 1, select: 'g0' },
      ],
    };
    expect(trainable(p, 0)).toContain('g0.w');
    expect(trainable(p, 2)).not.toContain('g0.w');
    expect(trainable(p, 3)).toContain('g0.w');
  });
  it('gradual unfreezing: top group first, every k epochs, others held frozen', () => {
    const p: PolicySpec = { schedule: [{ kind: 'gradual', groups: ['g0', 'g1', 'g2'], every: 2, start: 1 }] };
    expect(trainable(p, 0)).toEqual([]);
    expect(trainable(p, 1)).toEqual(['g2.w']);
    expect(trainable(p, 2)).toEqual(['g2.w']);
    expect(trainable(p, 3)).toEqual(['g1.w', 'g2.w']);
    expect(trainable(p, 5)).toEqual(['g0.w', 'g1.w', 'g2.w']);
    expect(trainable(p, 9)).toEqual(['g0.w', 'g1.w', 'g2.w']);
    expect(planFreeze(three, p, { epoch: 3 }).get('g1.w')!.decidedBy).not.toBeNull();
    expect(scheduleBoundaries(p, 10)).toEqual([0, 1, 3, 5]);
  });
  it('warm-up: frozen until `at`, then initialRatio 0.1 × growth 2, capped at 1', () => {
    const p: PolicySpec = {
      schedule: [{ kind: 'warmup', select: 'g0', at: 2, initialRatio: 0.1, growth: 2, cap: 1 }],
    };
    expect(trainable(p, 1)).toEqual(['g1.w', 'g2.w']);
    const factors = [2, 3, 4, 5, 6, 7].map((e) => planFreeze(three, p, { epoch: e }).get('g0.w')!.lrFactor);
    expect(factors.map((f) => Number(f.toFixed(10)))).toEqual([0.1, 0.2, 0.4, 0.8, 1, 1]);
    expect(trainable(p, 2)).toEqual(['g0.w', 'g1.w', 'g2.w']);
    expect(planFreeze(three, p, { epoch: 3 }).get('g1.w')!.lrFactor).toBe(1);
    expect(scheduleBoundaries(p, 20)).toEqual([0, 2, 3, 4, 5, 6]);
    const d = diffPlans(planFreeze(three, p, { epoch: 2 }), planFreeze(three, p, { epoch: 3 }));
    expect(d.lrChanged).toEqual([
      { name: 'g0.w', from: expect.closeTo(0.1, 12), to: expect.closeTo(0.2, 12) },
    ]);
  });
  it('warm-up defaults: 0.1, ×1.5, cap 1', () => {
    const p: PolicySpec = { schedule: [{ kind: 'warmup', select: 'g0', at: 0 }] };
    expect(planFreeze(three, p, { epoch: 1 }).get('g0.w')!.lrFactor).toBeCloseTo(0.15, 12);
  });
  it('progressive freezing: bottom group first', () => {
    const p: PolicySpec = {
      schedule: [{ kind: 'progressive-freeze', groups: ['g0', 'g1'], every: 3, start: 2 }],
    };
    expect(trainable(p, 1)).toEqual(['g0.w', 'g1.w', 'g2.w']);
    expect(trainable(p, 2)).toEqual(['g1.w', 'g2.w']);
    expect(trainable(p, 4)).toEqual(['g1.w', 'g2.w']);
    expect(trainable(p, 5)).toEqual(['g2.w']);
    expect(scheduleBoundaries(p, 5)).toEqual([0, 2]);
  });
  it('a strict schedule selector with a typo fails at epoch 0, long before its step', () => {
    for (const step of [
      { kind: 'unfreeze', at: 10, select: 'g11' },
      { kind: 'progressive-freeze', groups: ['g0', 'g11'], every: 5 },
      { kind: 'gradual', groups: ['g11', 'g2'], every: 5 },
      { kind: 'warmup', select: 'g11', at: 10 },
    ] as const) {
      let e: unknown;
      try {
        planFreeze(three, { schedule: [step] }, { epoch: 0 });
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).code).toBe('NO_MATCH');
      expect((e as PolicyError).path).toMatch(/^schedule\[0\]\.(select|groups\[\d\])$/);
    }
    expect(
      trainable({ schedule: [{ kind: 'unfreeze', at: 10, select: 'g11', strict: false }] }, 0),
    ).toHaveLength(3);
  });
  it('BN mode follows the schedule', () => {
    const p: PolicySpec = {
      rules: [{ freeze: ['conv1', 'bn1'] }],
      schedule: [{ kind: 'unfreeze', at: 1, select: 'bn1' }],
    };
    expect(planFreeze(cnn, p, { epoch: 0 }).get('bn1.weight')!.bnMode).toBe('inference');
    expect(planFreeze(cnn, p, { epoch: 1 }).get('bn1.weight')!.bnMode).toBe('train');
  });
  it('scheduleBoundaries validates epochs', () => {
    expect(scheduleBoundaries({}, 0)).toEqual([]);
    expect(scheduleBoundaries({}, 3)).toEqual([0]);
    expect(() => scheduleBoundaries({}, -1)).toThrow(PolicyError);
    expect(() => scheduleBoundaries({}, 1.5)).toThrow(/epochs must be an integer/);
  });
});
