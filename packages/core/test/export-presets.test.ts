import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportPlan, freezeAllBut, freezeTo, PolicyError, planFreeze } from '../src/index';
import { cnn, mlp } from './fixtures/models';

function assertPython(code: string): void {
  execFileSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: code });
}

describe('exportPlan', () => {
  const plan = planFreeze(cnn, {
    rules: [{ freeze: ['conv1', 'bn1'] }],
    lr: {
      mult: [
        { select: 'fc', factor: 10 },
        { select: 'conv2', factor: 0.1 },
      ],
    },
  });
  it('pytorch: requires_grad_, BN eval helper, param groups per factor; valid Python', () => {
    const py = exportPlan(plan, 'pytorch', { modelVar: 'net', optimizer: 'SGD', lr: 0.01 });
    assertPython(py);
    expect(py).toContain('p.requires_grad_(name not in FROZEN)');
    expect(py).toContain('for name, p in net.named_parameters():');
    expect(py).toContain('torch.optim.SGD(');
    expect(py).toContain('LR = 0.01');
    expect(py).toMatch(/BN_INFERENCE = \[\n {4}"bn1",\n\]/);
    expect(py).toContain('(10.0, [');
    expect(py).toContain('(0.1, [');
    expect(py).toContain('"lr": LR * factor');
    expect(py).toContain('"conv1.weight"');
  });
  it('paddle: stop_gradient and learning_rate factors; valid Python', () => {
    const py = exportPlan(plan, 'paddle');
    assertPython(py);
    expect(py).toContain('p.stop_gradient = name in FROZEN');
    expect(py).toContain('paddle.optimizer.AdamW(');
    expect(py).toContain('"learning_rate": factor');
    expect(py).toContain('named_sublayers()');
  });
  it('odd names stay valid Python string literals', () => {
    const p = planFreeze(
      [
        { name: 'we"ird\\na\u00e9me/x', shape: [1] },
        { name: 'b.c', shape: [1] },
      ],
      { rules: [{ freeze: 'b' }] },
    );
    assertPython(exportPlan(p, 'pytorch'));
    assertPython(exportPlan(p, 'paddle'));
  });
  it('bad targets and options are PolicyErrors', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as PolicyError).code;
      }
    };
    expect(code(() => exportPlan(plan, 'pytroch' as never))).toBe('INVALID_FORMAT');
    expect(code(() => exportPlan(plan, 'pytorch', { modelVar: 'x; import os' }))).toBe('INVALID_TYPE');
    expect(code(() => exportPlan(plan, 'pytorch', { optimizer: 'Adam()' }))).toBe('INVALID_TYPE');
    expect(code(() => exportPlan(plan, 'pytorch', { lr: 0 }))).toBe('INVALID_FACTOR');
  });
});

describe('presets', () => {
  it('freezeAllBut keeps only the selected parameters trainable', () => {
    expect(planFreeze(mlp, freezeAllBut('fc2')).trainableNames()).toEqual(['fc2.weight', 'fc2.bias']);
    expect(planFreeze(mlp, freezeAllBut('fc2', 'fc10.bias')).trainableNames()).toEqual([
      'fc2.weight',
      'fc2.bias',
      'fc10.bias',
    ]);
    expect(() => freezeAllBut()).toThrow(PolicyError);
  });
  it('freezeTo(groups, n) freezes groups[0..n-1] (fastai)', () => {
    const groups = ['fc1', 'fc2', 'fc10'];
    expect(planFreeze(mlp, freezeTo(groups, 1)).frozenNames()).toEqual(['fc1.weight', 'fc1.bias']);
    expect(planFreeze(mlp, freezeTo(groups, -1)).trainableNames()).toEqual(['fc10.weight', 'fc10.bias']);
    expect(planFreeze(mlp, freezeTo(groups, 0)).frozenNames()).toEqual([]);
    expect(planFreeze(mlp, freezeTo(groups, 9)).trainableNames()).toEqual([]);
    expect(() => freezeTo([], 1)).toThrow(PolicyError);
    expect(() => freezeTo(groups, 1.5)).toThrow(PolicyError);
  });
});
