import { describe, expect, it } from 'vitest';
import {
  compileSelector,
  definePolicy,
  formatSelector,
  isFrostlineError,
  type ParamInfo,
  PolicyError,
  planFreeze,
  selectParams,
} from '../src/index';
import { mlp, readmeModel } from './fixtures/models';

const names = (params: ParamInfo[], list: readonly string[]) =>
  selectParams(params, { names: list }).map((p) => p.name);

function err(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    expect(isFrostlineError(e)).toBe(true);
    return e as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('{ names: [...] }: an exact name set', () => {
  it('selects exactly the listed parameters, in model order', () => {
    expect(names(mlp, ['fc2.bias', 'fc1.weight'])).toEqual(['fc1.weight', 'fc2.bias']);
    expect(names(mlp, ['fc10.weight', 'fc10.bias', 'fc10.weight'])).toEqual(['fc10.weight', 'fc10.bias']);
  });
  it('fc1 vs fc10: no segment runs, no prefixes, no globs, no regexes', () => {
    expect(names(mlp, ['fc1.weight'])).toEqual(['fc1.weight']);
    // A layer path names no parameter exactly.
    expect(names(mlp, ['fc1'])).toEqual([]);
    expect(names(mlp, ['fc1*', '**', '/fc1/', 'fc1.*'])).toEqual([]);
    const p: ParamInfo[] = [
      { name: 'net/fc1/kernel', shape: [1] },
      { name: 'fc1/kernel', shape: [1] },
    ];
    expect(names(p, ['fc1/kernel'])).toEqual(['fc1/kernel']);
    // The other separator is another name.
    expect(names(p, ['fc1.kernel'])).toEqual([]);
  });
  it('matches aliases exactly', () => {
    expect(names(readmeModel, ['head/logits'])).toEqual(['fc10.weight']);
    expect(names(readmeModel, ['head'])).toEqual([]);
    expect(names(readmeModel, ['head/logits', 'fc10.weight', 'fc10.bias'])).toEqual([
      'fc10.weight',
      'fc10.bias',
    ]);
  });
  it('composes with not / all / any, and compileSelector agrees', () => {
    expect(selectParams(mlp, { not: { names: ['fc1.weight'] } }).map((p) => p.name)).toEqual([
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
      'fc10.weight',
      'fc10.bias',
    ]);
    expect(selectParams(mlp, { all: ['**.bias', { names: ['fc1.bias', 'fc2.weight'] }] }).length).toBe(1);
    const c = compileSelector({ names: ['fc1.weight', 'head/logits'] });
    expect(mlp.filter((p) => c.test(p)).map((p) => p.name)).toEqual(['fc1.weight']);
    expect(readmeModel.filter((p) => c.test(p)).map((p) => p.name)).toEqual(['fc1.weight', 'fc10.weight']);
  });
  it('a plan fed its own trainable names plans the same', () => {
    const a = planFreeze(mlp, { rules: [{ freeze: 'fc1' }] });
    const b = planFreeze(mlp, { default: 'frozen', rules: [{ unfreeze: { names: a.trainableNames() } }] });
    expect(b.trainableNames()).toEqual(a.trainableNames());
    expect(b.frozenNames()).toEqual(a.frozenNames());
  });
  it('formats short: names(a, b, c, … +N more)', () => {
    expect(formatSelector({ names: ['a.w', 'b.w'] })).toBe('names(a.w, b.w)');
    const many = Array.from({ length: 1000 }, (_, i) => `l${i}.w`);
    expect(formatSelector({ names: many })).toBe('names(l0.w, l1.w, l2.w, … +997 more)');
  });
  it('survives definePolicy as plain JSON', () => {
    const p = definePolicy({ rules: [{ freeze: { names: ['fc1.weight'] } }] });
    expect(JSON.parse(JSON.stringify(p)).rules[0]).toEqual({ freeze: { names: ['fc1.weight'] } });
  });
});

describe('{ names } errors', () => {
  it('an empty list is EMPTY_RULE', () => {
    const e = err(() => definePolicy({ rules: [{ freeze: { names: [] } }] }));
    expect(e).toMatchObject({ code: 'EMPTY_RULE', path: 'rules[0].freeze.names' });
  });
  it('a non-array is INVALID_TYPE; a non-string or empty entry is INVALID_SELECTOR', () => {
    expect(err(() => definePolicy({ rules: [{ freeze: { names: 'fc1.weight' as never } }] }))).toMatchObject({
      code: 'INVALID_TYPE',
      path: 'rules[0].freeze.names',
    });
    expect(err(() => definePolicy({ rules: [{ freeze: { names: ['a', 3 as never] } }] }))).toMatchObject({
      code: 'INVALID_SELECTOR',
      path: 'rules[0].freeze.names[1]',
    });
    expect(err(() => compileSelector({ names: ['./'] }))).toMatchObject({ code: 'INVALID_SELECTOR' });
    expect(err(() => compileSelector({ names: ['a'], glob: 'b' } as never)).code).toBe('INVALID_SELECTOR');
  });
  it('an unknown name is NO_MATCH with the nearest real name, even when others match', () => {
    const e = err(() => planFreeze(mlp, { rules: [{ freeze: { names: ['fc1.weight', 'fc1.wieght'] } }] }));
    expect(e.code).toBe('NO_MATCH');
    expect(e.path).toBe('rules[0].freeze');
    expect(e.message).toContain('`fc1.wieght`');
    expect(e.suggestions[0]).toBe('fc1.weight');
    const none = err(() => planFreeze(mlp, { rules: [{ freeze: { names: ['fc3.bias'] } }] }));
    expect(none.code).toBe('NO_MATCH');
    expect(none.message).toContain('names(fc3.bias)');
  });
  it('strict: false ignores unknown names', () => {
    const plan = planFreeze(mlp, {
      rules: [{ freeze: { names: ['fc1.weight', 'gone.weight'] }, strict: false }],
    });
    expect(plan.frozenNames()).toEqual(['fc1.weight']);
    const empty = planFreeze(mlp, { rules: [{ freeze: { names: ['gone.weight'] }, strict: false }] });
    expect(empty.frozenNames()).toEqual([]);
  });
  it('LR multipliers and schedules check names too', () => {
    expect(
      err(() => planFreeze(mlp, { lr: { mult: [{ select: { names: ['fc2.weight', 'x'] }, factor: 2 }] } })),
    ).toMatchObject({ code: 'NO_MATCH', path: 'lr.mult[0].select' });
    const plan = planFreeze(mlp, { lr: { mult: [{ select: { names: ['fc2.weight'] }, factor: 2 }] } });
    expect(plan.get('fc2.weight')!.lrFactor).toBe(2);
    expect(plan.get('fc2.bias')!.lrFactor).toBe(1);
  });
});
