import { describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, parsePolicy, planFreeze, validatePolicy } from '../src/index';
import { mlp } from './fixtures/models';

function err(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('validatePolicy', () => {
  it('normalises: defaults filled, RegExp → string, JSON-safe', () => {
    const p = definePolicy({ rules: [{ freeze: /^fc1\./ }] });
    expect(p).toEqual({ default: 'trainable', batchNorm: 'frozen', rules: [{ freeze: '/^fc1\\./' }] });
    expect(planFreeze(mlp, p).frozenNames()).toEqual(['fc1.weight', 'fc1.bias']);
  });
  it.each([
    [{ rulez: [] }, 'UNKNOWN_KEY', 'rulez', ['rules']],
    [{ rules: [{ freeze: 'a', stritc: true }] }, 'UNKNOWN_KEY', 'rules[0].stritc', ['strict']],
    [{ lr: { mul: [] } }, 'UNKNOWN_KEY', 'lr.mul', ['mult']],
    [
      { schedule: [{ kind: 'unfreeze', at: 1, select: 'a', every: 2 }] },
      'UNKNOWN_KEY',
      'schedule[0].every',
      [],
    ],
    [{ rules: [{ freeze: { nmae: 'fc1' } }] }, 'UNKNOWN_KEY', 'rules[0].freeze.nmae', ['name']],
    [{ default: 'frozn' }, 'INVALID_TYPE', 'default', ['frozen']],
    [{ batchNorm: 'training' }, 'INVALID_TYPE', 'batchNorm', ['train']],
    [{ rules: 'fc1' }, 'INVALID_TYPE', 'rules', []],
    [{ rules: [null] }, 'INVALID_TYPE', 'rules[0]', []],
    [{ rules: [{ freeze: 'a', strict: 'yes' }] }, 'INVALID_TYPE', 'rules[0].strict', []],
    [{ rules: [{ freeze: 'a', note: 1 }] }, 'INVALID_TYPE', 'rules[0].note', []],
    [{ rules: [{ freeze: 3 }] }, 'INVALID_SELECTOR', 'rules[0].freeze', []],
    [{ rules: [{}] }, 'EMPTY_RULE', 'rules[0]', []],
    [{ rules: [{ freeze: [] }] }, 'EMPTY_RULE', 'rules[0].freeze', []],
    [{ rules: [{ freeze: 'a' }, { freeze: 'a', unfreeze: 'b' }] }, 'CONTRADICTORY_RULE', 'rules[1]', []],
    [{ rules: [{ freeze: '/fc(/' }] }, 'INVALID_REGEX', 'rules[0].freeze', []],
    [{ rules: [{ freeze: ['a', { regex: '*' }] }] }, 'INVALID_REGEX', 'rules[0].freeze[1].regex', []],
    [{ schedule: [{ kind: 'unfreeze', at: -1, select: 'a' }] }, 'INVALID_EPOCH', 'schedule[0].at', []],
    [{ schedule: [{ kind: 'unfreeze', at: 1.5, select: 'a' }] }, 'INVALID_EPOCH', 'schedule[0].at', []],
    [{ schedule: [{ kind: 'gradual', groups: ['a'], every: 0 }] }, 'INVALID_EPOCH', 'schedule[0].every', []],
    [
      { schedule: [{ kind: 'gradual', groups: ['a'], every: 1, start: -2 }] },
      'INVALID_EPOCH',
      'schedule[0].start',
      [],
    ],
    [{ schedule: [{ kind: 'gradual', groups: [], every: 1 }] }, 'EMPTY_RULE', 'schedule[0].groups', []],
    [
      { schedule: [{ kind: 'graduall', groups: ['a'], every: 1 }] },
      'INVALID_TYPE',
      'schedule[0].kind',
      ['gradual'],
    ],
    [{ schedule: [{ at: 1 }] }, 'INVALID_TYPE', 'schedule[0].kind', []],
    [
      { schedule: [{ kind: 'warmup', at: 1, select: 'a', growth: 0 }] },
      'INVALID_FACTOR',
      'schedule[0].growth',
      [],
    ],
    [{ schedule: [{ kind: 'freeze', at: 1 }] }, 'INVALID_SELECTOR', 'schedule[0].select', []],
    [{ lr: { mult: [{ select: 'a', factor: 0 }] } }, 'INVALID_FACTOR', 'lr.mult[0].factor', []],
    [{ lr: { mult: [{ select: 'a', factor: -1 }] } }, 'INVALID_FACTOR', 'lr.mult[0].factor', []],
    [{ lr: { mult: [{ select: 'a', factor: Number.NaN }] } }, 'INVALID_FACTOR', 'lr.mult[0].factor', []],
    [
      { lr: { discriminative: { groups: ['a'], lo: 0, hi: 1 } } },
      'INVALID_FACTOR',
      'lr.discriminative.lo',
      [],
    ],
    [{ lr: { layerwiseDecay: { decay: '0.5' } } }, 'INVALID_FACTOR', 'lr.layerwiseDecay.decay', []],
    [{ lr: [] }, 'INVALID_TYPE', 'lr', []],
  ])('%j → %s at %s', (policy, code, path, suggestions) => {
    const e = err(() => validatePolicy(policy));
    expect(e.code).toBe(code);
    expect(e.path).toBe(path);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
    for (const s of suggestions as string[]) expect(e.suggestions).toContain(s);
  });
  it('non-objects are INVALID_TYPE', () => {
    for (const v of [null, undefined, 42, 'x', [], true])
      expect(err(() => validatePolicy(v)).code).toBe('INVALID_TYPE');
  });
  it('never throws anything but PolicyError on garbage (fuzz)', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const atoms = [
      null,
      undefined,
      0,
      -1,
      1.5,
      Number.NaN,
      '',
      'fc1',
      '/(/',
      '!',
      '**',
      'layers:x',
      true,
      [],
      {},
      /x/,
    ];
    const keys = [
      'default',
      'rules',
      'freeze',
      'unfreeze',
      'lr',
      'mult',
      'select',
      'factor',
      'schedule',
      'kind',
      'at',
      'groups',
      'every',
      'not',
      'any',
      'layers',
      'from',
      'name',
      'strict',
      'batchNorm',
    ];
    const gen = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.35) return atoms[Math.floor(rand() * atoms.length)];
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 3) }, () => gen(depth + 1));
      const o: Record<string, unknown> = {};
      for (let k = Math.floor(rand() * 4); k > 0; k--)
        o[keys[Math.floor(rand() * keys.length)]!] = gen(depth + 1);
      if (rand() < 0.3)
        o.kind = ['unfreeze', 'gradual', 'warmup', 'progressive-freeze', 'freeze'][Math.floor(rand() * 5)];
      return o;
    };
    for (let i = 0; i < 3000; i++) {
      const v = gen(0);
      try {
        const p = validatePolicy(v);
        planFreeze(mlp, p, { epoch: Math.floor(rand() * 4) });
      } catch (e) {
        if (!(e instanceof PolicyError))
          throw new Error(`bare ${(e as Error).name} for ${JSON.stringify(v)}: ${(e as Error).message}`);
      }
    }
  });
});

describe('parsePolicy', () => {
  it('reads YAML and JSON (auto-detected)', () => {
    const y = parsePolicy(`
rules:
  - freeze: fc1
  - unfreeze: "!fc1"
    strict: false
schedule:
  - { kind: unfreeze, at: 3, select: fc1 }
`);
    expect(y.rules).toEqual([{ freeze: 'fc1' }, { unfreeze: '!fc1', strict: false }]);
    expect(y.schedule).toEqual([{ kind: 'unfreeze', at: 3, select: 'fc1' }]);
    const j = parsePolicy('{"default": "frozen", "rules": [{"unfreeze": "fc2"}]}');
    expect(j.default).toBe('frozen');
    expect(parsePolicy('rules: []', { format: 'yaml' }).rules).toEqual([]);
  });
  it('reports parse errors, empty text and unknown formats', () => {
    expect(err(() => parsePolicy('{"rules": [')).code).toBe('PARSE_ERROR');
    expect(err(() => parsePolicy('rules: [\n  - a: b')).code).toBe('PARSE_ERROR');
    expect(err(() => parsePolicy('a: 1\na: 2')).code).toBe('PARSE_ERROR');
    expect(err(() => parsePolicy('')).code).toBe('PARSE_ERROR');
    expect(err(() => parsePolicy('rules: []', { format: 'toml' as never })).code).toBe('INVALID_FORMAT');
    expect(err(() => parsePolicy(5 as never)).code).toBe('INVALID_TYPE');
    expect(err(() => parsePolicy('rules:\n  - frezee: fc1')).path).toBe('rules[0].frezee');
  });
});
