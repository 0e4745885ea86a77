import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSelector, type ParamInfo, PolicyError, selectParams, splitPath } from '../src/index';
import { mlp, readmeModel } from './fixtures/models';

const names = (params: ParamInfo[], sel: Parameters<typeof selectParams>[1]) =>
  selectParams(params, sel).map((p) => p.name);

describe('splitPath', () => {
  it('splits on / and . and drops empty segments', () => {
    expect(splitPath('block_16_project/kernel')).toEqual(['block_16_project', 'kernel']);
    expect(splitPath('layer4.0.conv1.weight')).toEqual(['layer4', '0', 'conv1', 'weight']);
    expect(splitPath('/a//b.')).toEqual(['a', 'b']);
  });
});

describe('name selectors', () => {
  it('match whole segments: fc1 never matches fc10', () => {
    expect(names(mlp, 'fc1')).toEqual(['fc1.weight', 'fc1.bias']);
    expect(names(mlp, 'fc10')).toEqual(['fc10.weight', 'fc10.bias']);
  });
  it('match a contiguous run anywhere, with either separator', () => {
    const p: ParamInfo[] = [
      { name: 'net/fc1/kernel', shape: [1] },
      { name: 'net.fc1.bias', shape: [1] },
      { name: 'fc1x/kernel', shape: [1] },
    ];
    expect(names(p, 'fc1')).toEqual(['net/fc1/kernel', 'net.fc1.bias']);
    expect(names(p, 'net.fc1')).toEqual(['net/fc1/kernel', 'net.fc1.bias']);
    expect(names(p, 'fc1/bias')).toEqual(['net.fc1.bias']);
    expect(names(p, 'net.kernel')).toEqual([]);
  });
  it('per-parameter granularity: a full name selects one tensor', () => {
    expect(names(mlp, 'fc1.weight')).toEqual(['fc1.weight']);
  });
  it('match aliases too', () => {
    expect(names(readmeModel, 'head')).toEqual(['fc10.weight']);
    expect(names(readmeModel, 'head/*')).toEqual(['fc10.weight']);
    expect(names(readmeModel, '/^head/')).toEqual(['fc10.weight']);
  });
  it('name: prefix takes the text literally', () => {
    expect(names(mlp, { name: 'fc1' })).toEqual(['fc1.weight', 'fc1.bias']);
    expect(names(mlp, 'name:fc1')).toEqual(['fc1.weight', 'fc1.bias']);
  });
});

describe('globs, regexes, types, ranges, lists, negation', () => {
  it('globs: * within a segment, ** across segments, a run of whole segments like a path', () => {
    // fc1* names modules: it selects their parameters, as `fc1` does for one module.
    expect(names(mlp, 'fc1*')).toEqual(['fc1.weight', 'fc1.bias', 'fc10.weight', 'fc10.bias']);
    expect(names(mlp, 'fc1*.*')).toEqual(['fc1.weight', 'fc1.bias', 'fc10.weight', 'fc10.bias']);
    expect(names(mlp, '*.bias')).toEqual(['fc1.bias', 'fc2.bias', 'fc10.bias']);
    expect(names(mlp, '**.weight')).toEqual(['fc1.weight', 'fc2.weight', 'fc10.weight']);
    expect(names(mlp, 'fc1.**')).toEqual(['fc1.weight', 'fc1.bias']);
    expect(names(mlp, { glob: 'fc?.weight' })).toEqual([]);
    const deep: ParamInfo[] = [
      { name: 'a.b.c.d', shape: [1] },
      { name: 'a.d', shape: [1] },
      { name: 'a.xd', shape: [1] },
    ];
    expect(names(deep, 'a.**.d')).toEqual(['a.b.c.d', 'a.d']);
    expect(names(deep, '**')).toEqual(['a.b.c.d', 'a.d', 'a.xd']);
    expect(names(deep, '*d')).toEqual(['a.b.c.d', 'a.d', 'a.xd']);
    expect(names(deep, 'b.*')).toEqual(['a.b.c.d']);
  });
  it('globs name modules anywhere in the path (issue 10)', () => {
    const p: ParamInfo[] = [
      { name: 'encoder.layer.0.attention.weight', shape: [1] },
      { name: 'encoder.layer.0.attention.bias', shape: [1] },
      { name: 'encoder.layer.10.output.weight', shape: [1] },
      { name: 'encoder.block.0.ln.weight', shape: [1] },
      { name: 'model.layers.3.ln1.weight', shape: [1] },
      { name: 'model.layers.3.ln1.bias', shape: [1] },
      { name: 'model.layers.4.ln10.weight', shape: [1] },
      { name: 'net/fc1_x/kernel', shape: [1] },
      { name: 'net/fc2/kernel', shape: [1] },
    ];
    expect(names(p, 'encoder.*.0')).toEqual([
      'encoder.layer.0.attention.weight',
      'encoder.layer.0.attention.bias',
      'encoder.block.0.ln.weight',
    ]);
    expect(names(p, 'model.layers.*.ln1')).toEqual(['model.layers.3.ln1.weight', 'model.layers.3.ln1.bias']);
    expect(names(p, 'fc1*')).toEqual(['net/fc1_x/kernel']);
    expect(names(p, 'layers.*.ln1*.weight')).toEqual([
      'model.layers.3.ln1.weight',
      'model.layers.4.ln10.weight',
    ]);
    // A run never skips a segment: `encoder.0` is not `encoder.*.0`.
    expect(names(p, 'encoder.0*')).toEqual([]);
  });
  it('regexes (string, RegExp, object), tested against the full name', () => {
    expect(names(mlp, '/^fc1\\./')).toEqual(['fc1.weight', 'fc1.bias']);
    expect(names(mlp, /bias$/)).toEqual(['fc1.bias', 'fc2.bias', 'fc10.bias']);
    expect(names(mlp, /BIAS$/gi)).toEqual(['fc1.bias', 'fc2.bias', 'fc10.bias']);
    expect(names(mlp, { regex: 'fc1\\d', flags: '' })).toEqual(['fc10.weight', 'fc10.bias']);
  });
  it('layer types (case-insensitive, comma lists, wildcards)', () => {
    expect(names(readmeModel, 'type:BatchNormalization')).toEqual([
      'bn1/gamma',
      'bn1/beta',
      'bn1/moving_mean',
      'bn1/moving_variance',
    ]);
    expect(names(readmeModel, 'type:conv2d,Linear')).toHaveLength(7);
    expect(names(readmeModel, { layerType: ['Conv*'] })).toEqual([
      'conv1/kernel',
      'layer4.0.conv1.weight',
      'layer4.0.conv1.bias',
    ]);
  });
  it('layer ranges over the order of first appearance', () => {
    // layers: conv1, bn1, layer4.0.conv1, fc1, fc10
    expect(names(readmeModel, 'layers:0..0')).toEqual(['conv1/kernel']);
    expect(names(readmeModel, 'layers:3..')).toEqual(['fc1.weight', 'fc1.bias', 'fc10.weight', 'fc10.bias']);
    expect(names(readmeModel, 'layers:..-2')).toHaveLength(9);
    expect(names(readmeModel, 'layers:2')).toEqual(['layer4.0.conv1.weight', 'layer4.0.conv1.bias']);
    expect(names(readmeModel, 'first:1')).toEqual(['conv1/kernel']);
    expect(names(readmeModel, 'last:1')).toEqual(['fc10.weight', 'fc10.bias']);
    expect(names(readmeModel, { layers: { from: -2, to: -2 } })).toEqual(['fc1.weight', 'fc1.bias']);
    expect(names(readmeModel, { first: 0 })).toEqual([]);
    expect(names(readmeModel, 'layers:10..20')).toEqual([]);
  });
  it('layer order is the order of first appearance, even when a layer reappears', () => {
    const p: ParamInfo[] = [
      { name: 'b.w', shape: [1] },
      { name: 'a.w', shape: [1] },
      { name: 'b.v', shape: [1] },
    ];
    expect(names(p, 'first:1')).toEqual(['b.w', 'b.v']);
    expect(names(p, 'last:1')).toEqual(['a.w']);
  });
  it('lists are unions; all() intersects; ! and not negate', () => {
    expect(names(mlp, ['fc1', 'fc2'])).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(names(mlp, { any: ['fc1.bias', 'fc2.bias'] })).toEqual(['fc1.bias', 'fc2.bias']);
    expect(names(mlp, { all: ['**.bias', '!fc1'] })).toEqual(['fc2.bias', 'fc10.bias']);
    expect(names(mlp, '!**.bias')).toEqual(['fc1.weight', 'fc2.weight', 'fc10.weight']);
    expect(names(mlp, { not: ['fc1', 'fc2'] })).toEqual(['fc10.weight', 'fc10.bias']);
    expect(names(mlp, '!!fc1')).toEqual(['fc1.weight', 'fc1.bias']);
  });
});

describe('compileSelector', () => {
  it('tests one parameter; layer ranges need a context', () => {
    const c = compileSelector('fc1');
    expect(c.source).toBe('fc1');
    expect(c.test({ name: 'fc1.weight', shape: [1] })).toBe(true);
    expect(c.test({ name: 'fc10.weight', shape: [1] })).toBe(false);
    expect(c.test({ name: 'x', shape: [1], aliases: ['fc1/kernel'] })).toBe(true);
    const r = compileSelector('layers:1..2');
    expect(r.test({ name: 'a', shape: [1] })).toBe(false);
    expect(r.test({ name: 'a', shape: [1] }, { layerIndex: 1, layerCount: 5 })).toBe(true);
    expect(compileSelector(/x/g).source).toBe('/x/g');
    expect(compileSelector({ all: ['a', { not: 'b' }] }).source).toBe('all(a, !b)');
    expect(compileSelector('type:Dense').test({ name: 'd/kernel', shape: [1], layerType: 'dense' })).toBe(
      true,
    );
    const g = compileSelector('**.bias');
    expect([1, 2].map(() => g.test({ name: 'x.bias', shape: [1] }))).toEqual([true, true]);
  });
  it('rejects malformed selectors with PolicyError codes', () => {
    const code = (s: unknown) => {
      try {
        compileSelector(s as never);
      } catch (e) {
        expect(e).toBeInstanceOf(PolicyError);
        return (e as PolicyError).code;
      }
      return 'ok';
    };
    expect(code('/a(/')).toBe('INVALID_REGEX');
    expect(code('/abc')).toBe('INVALID_REGEX');
    expect(code({ regex: '[', flags: 'g' })).toBe('INVALID_REGEX');
    expect(code('')).toBe('INVALID_SELECTOR');
    expect(code('layers:a..b')).toBe('INVALID_SELECTOR');
    expect(code('first:-1')).toBe('INVALID_SELECTOR');
    expect(code('type:')).toBe('INVALID_SELECTOR');
    expect(code([])).toBe('EMPTY_RULE');
    expect(code({})).toBe('EMPTY_RULE');
    expect(code({ nmae: 'x' })).toBe('UNKNOWN_KEY');
    expect(code({ name: 'a', glob: 'b' })).toBe('INVALID_SELECTOR');
    expect(code(42)).toBe('INVALID_SELECTOR');
    expect(code(null)).toBe('INVALID_SELECTOR');
    expect(code({ layers: { from: 'x' } })).toBe('INVALID_SELECTOR');
    expect(code({ layerType: 3 })).toBe('INVALID_TYPE');
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(code(deep)).toBe('INVALID_SELECTOR');
  });
});

/** The README's selector table is executed here, row by row, against its example model. */
describe('README selector table', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(
    readme.indexOf('<!-- selector-table:start -->'),
    readme.indexOf('<!-- selector-table:end -->'),
  );
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
      const sel = cells[1]!.replace(/^`|`$/g, '').replace(/\\\|/g, '|');
      const matches = cells[2] === '(nothing)' ? [] : [...cells[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      return { sel, matches };
    });
  it('has examples', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
  });
  for (const row of rows) {
    it(`${row.sel}`, () => {
      expect(names(readmeModel, row.sel)).toEqual(row.matches);
    });
  }
});
