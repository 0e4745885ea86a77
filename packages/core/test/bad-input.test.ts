/**
 * The catalogue of bad inputs a user can give core, as a table: every row must fail with exactly its
 * `code`, as a `PolicyError` that `isFrostlineError` recognises, at its `path`, with a one-line
 * message of reasonable length that names the offending input.
 */
import { describe, expect, it } from 'vitest';
import {
  definePolicy,
  formatPlan,
  freezeAllBut,
  freezeTo,
  isFrostlineError,
  isPolicyError,
  type ParamInfo,
  PolicyError,
  type PolicyErrorCode,
  parsePolicy,
  planFreeze,
  scheduleBoundaries,
  selectParams,
} from '../src/index';
import { mlp } from './fixtures/models';

interface Case {
  id: string;
  run: () => unknown;
  code: PolicyErrorCode;
  /** `error.path`; the message then starts with it. */
  path?: string;
  /** Text the message must contain: the offending input (or what it is about). */
  mentions: string;
}

const policy = (p: unknown) => () => definePolicy(p as never);
const rule = (freeze: unknown) => policy({ rules: [{ freeze }] });
const plan =
  (p: unknown, params: unknown = mlp) =>
  () =>
    planFreeze(params as ParamInfo[], p as never);
const deep = (n: number) => {
  let s: unknown = 'fc1';
  for (let i = 0; i < n; i++) s = [s];
  return s;
};
const manyLayers = Array.from({ length: 400 }, (_, i) => ({ name: `l${i}.w`, shape: [1] }));

const cases: Case[] = [
  // The policy's shape.
  { id: 'policy null', run: policy(null), code: 'INVALID_TYPE', mentions: 'got null' },
  { id: 'policy array', run: policy([]), code: 'INVALID_TYPE', mentions: 'an array' },
  { id: 'top key typo', run: policy({ rule: [] }), code: 'UNKNOWN_KEY', path: 'rule', mentions: '`rule`' },
  {
    id: '__proto__ key from JSON',
    run: policy(JSON.parse('{"__proto__": {"rules": []}}')),
    code: 'UNKNOWN_KEY',
    path: '__proto__',
    mentions: '`__proto__`',
  },
  {
    id: 'default typo',
    run: policy({ default: 'frozn' }),
    code: 'INVALID_TYPE',
    path: 'default',
    mentions: '"frozn"',
  },
  {
    id: 'batchNorm value',
    run: policy({ batchNorm: 'eval' }),
    code: 'INVALID_TYPE',
    path: 'batchNorm',
    mentions: '"eval"',
  },
  {
    id: 'rules object',
    run: policy({ rules: {} }),
    code: 'INVALID_TYPE',
    path: 'rules',
    mentions: 'an object',
  },
  {
    id: 'rule null',
    run: policy({ rules: [null] }),
    code: 'INVALID_TYPE',
    path: 'rules[0]',
    mentions: 'null',
  },
  {
    id: 'rule empty',
    run: policy({ rules: [{}] }),
    code: 'EMPTY_RULE',
    path: 'rules[0]',
    mentions: '`freeze`',
  },
  {
    id: 'rule both actions',
    run: policy({ rules: [{ freeze: 'a', unfreeze: 'b' }] }),
    code: 'CONTRADICTORY_RULE',
    path: 'rules[0]',
    mentions: 'both freeze and unfreeze',
  },
  {
    id: 'rule key typo',
    run: policy({ rules: [{ freze: 'a' }] }),
    code: 'UNKNOWN_KEY',
    path: 'rules[0].freze',
    mentions: '`freze`',
  },
  {
    id: 'strict not boolean',
    run: policy({ rules: [{ freeze: 'fc1', strict: 'yes' }] }),
    code: 'INVALID_TYPE',
    path: 'rules[0].strict',
    mentions: '"yes"',
  },
  {
    id: 'note not string',
    run: policy({ rules: [{ freeze: 'fc1', note: 3 }] }),
    code: 'INVALID_TYPE',
    path: 'rules[0].note',
    mentions: '3',
  },

  // Selectors.
  {
    id: 'empty string',
    run: rule(''),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: 'empty selector',
  },
  {
    id: 'blank string',
    run: rule('   '),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: 'empty selector',
  },
  { id: 'number', run: rule(42), code: 'INVALID_SELECTOR', path: 'rules[0].freeze', mentions: 'number 42' },
  {
    id: 'null selector',
    run: rule(null),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: 'null',
  },
  { id: 'empty list', run: rule([]), code: 'EMPTY_RULE', path: 'rules[0].freeze', mentions: 'list is empty' },
  {
    id: 'empty object',
    run: rule({}),
    code: 'EMPTY_RULE',
    path: 'rules[0].freeze',
    mentions: 'empty selector object',
  },
  {
    id: 'object key typo',
    run: rule({ nmae: 'fc1' }),
    code: 'UNKNOWN_KEY',
    path: 'rules[0].freeze.nmae',
    mentions: '`nmae`',
  },
  {
    id: 'two keys',
    run: rule({ name: 'a', glob: 'b*' }),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: '`name`, `glob`',
  },
  {
    id: 'name number',
    run: rule({ name: 3 }),
    code: 'INVALID_TYPE',
    path: 'rules[0].freeze.name',
    mentions: 'number 3',
  },
  {
    id: 'name blank',
    run: rule({ name: ' ' }),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze.name',
    mentions: 'empty name',
  },
  {
    id: 'path of separators',
    run: rule('./'),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: '`./`',
  },
  {
    id: 'flags without regex',
    run: rule({ glob: 'a*', flags: 'i' }),
    code: 'UNKNOWN_KEY',
    path: 'rules[0].freeze.flags',
    mentions: '`flags`',
  },
  {
    id: 'regex object bad',
    run: rule({ regex: '[' }),
    code: 'INVALID_REGEX',
    path: 'rules[0].freeze.regex',
    mentions: '`/[/`',
  },
  {
    id: 'regex flags number',
    run: rule({ regex: 'a', flags: 3 }),
    code: 'INVALID_TYPE',
    path: 'rules[0].freeze.flags',
    mentions: 'number 3',
  },
  {
    id: 'regex unterminated',
    run: rule('/abc'),
    code: 'INVALID_REGEX',
    path: 'rules[0].freeze',
    mentions: '`/abc`',
  },
  {
    id: 'regex does not compile',
    run: rule('/a(/'),
    code: 'INVALID_REGEX',
    path: 'rules[0].freeze',
    mentions: '`/a(/`',
  },
  {
    id: 'regex bad flag',
    run: rule({ regex: 'a', flags: 'q' }),
    code: 'INVALID_REGEX',
    path: 'rules[0].freeze.regex',
    mentions: '/a/q',
  },
  {
    id: 'catastrophic (a+)+',
    run: rule('/^(a+)+$/'),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze',
    mentions: '`/^(a+)+$/`',
  },
  {
    id: 'catastrophic RegExp (a|b)*',
    run: rule(/^(a|b)*$/),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze',
    mentions: '(a|b)*',
  },
  {
    id: 'optional parts repeated',
    run: rule('/^(a?b?)+c/'),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze',
    mentions: '(a?b?)+',
  },
  {
    id: 'unbounded group repeated',
    run: rule('/(.*a){3}/'),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze',
    mentions: '(.*a){3}',
  },
  {
    id: 'too many .*',
    run: rule('/.*a.*b.*c.*d.*e/'),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze',
    mentions: '.*a.*b',
  },
  {
    id: 'unsafe inside any',
    run: rule({ any: ['fc1', { regex: '(x+)*' }] }),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze.any[1].regex',
    mentions: '(x+)*',
  },
  {
    id: '100k-char regex',
    run: rule(`/${'a'.repeat(100_000)}/`),
    code: 'SELECTOR_TOO_LONG',
    path: 'rules[0].freeze',
    mentions: '100002 chars',
  },
  {
    id: '10k-segment glob',
    run: rule(Array.from({ length: 10_000 }, () => '*').join('.')),
    code: 'SELECTOR_TOO_LONG',
    path: 'rules[0].freeze',
    mentions: '19999 chars',
  },
  {
    id: '31-segment glob',
    run: rule({ glob: Array.from({ length: 31 }, () => 'a*').join('.') }),
    code: 'SELECTOR_TOO_LONG',
    path: 'rules[0].freeze.glob',
    mentions: '31 segments',
  },
  {
    id: '2,000-char path',
    run: rule('a'.repeat(2000)),
    code: 'SELECTOR_TOO_LONG',
    path: 'rules[0].freeze',
    mentions: 'aaaa',
  },
  {
    id: 'type empty',
    run: rule('type:'),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: 'layer-type',
  },
  {
    id: 'layerType number',
    run: rule({ layerType: 3 }),
    code: 'INVALID_TYPE',
    path: 'rules[0].freeze.layerType',
    mentions: 'number 3',
  },
  {
    id: 'layer range text',
    run: rule('layers:a..b'),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: '`layers:a..b`',
  },
  {
    id: 'layer range from',
    run: rule({ layers: { from: 'x' } }),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze.layers.from',
    mentions: '"x"',
  },
  {
    id: 'layer range key typo',
    run: rule({ layers: { form: 1 } }),
    code: 'UNKNOWN_KEY',
    path: 'rules[0].freeze.layers.form',
    mentions: '`form`',
  },
  {
    id: 'layers number',
    run: rule({ layers: 3 }),
    code: 'INVALID_TYPE',
    path: 'rules[0].freeze.layers',
    mentions: 'number 3',
  },
  {
    id: 'first negative',
    run: rule('first:-1'),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: '`first:-1`',
  },
  {
    id: 'last fractional',
    run: rule({ last: 1.5 }),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze.last',
    mentions: '1.5',
  },
  {
    id: 'any not a list',
    run: rule({ any: 'fc1' }),
    code: 'INVALID_TYPE',
    path: 'rules[0].freeze.any',
    mentions: '"fc1"',
  },
  {
    id: 'all empty',
    run: rule({ all: [] }),
    code: 'EMPTY_RULE',
    path: 'rules[0].freeze.all',
    mentions: 'list is empty',
  },
  { id: 'nested 100 deep', run: rule(deep(100)), code: 'INVALID_SELECTOR', mentions: 'nested too deeply' },
  {
    id: '100 negations',
    run: rule(`${'!'.repeat(100)}fc1`),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze',
    mentions: 'nested too deeply',
  },
  {
    id: 'names empty',
    run: rule({ names: [] }),
    code: 'EMPTY_RULE',
    path: 'rules[0].freeze.names',
    mentions: 'names is empty',
  },
  {
    id: 'names string',
    run: rule({ names: 'fc1.weight' }),
    code: 'INVALID_TYPE',
    path: 'rules[0].freeze.names',
    mentions: '"fc1.weight"',
  },
  {
    id: 'names entry number',
    run: rule({ names: ['fc1.weight', 7] }),
    code: 'INVALID_SELECTOR',
    path: 'rules[0].freeze.names[1]',
    mentions: 'number 7',
  },

  // Learning-rate factors.
  { id: 'lr array', run: policy({ lr: [] }), code: 'INVALID_TYPE', path: 'lr', mentions: 'an array' },
  {
    id: 'lr key typo',
    run: policy({ lr: { discrimnative: {} } }),
    code: 'UNKNOWN_KEY',
    path: 'lr.discrimnative',
    mentions: '`discrimnative`',
  },
  {
    id: 'mult not list',
    run: policy({ lr: { mult: { select: 'fc1', factor: 2 } } }),
    code: 'INVALID_TYPE',
    path: 'lr.mult',
    mentions: 'an object',
  },
  {
    id: 'factor 0',
    run: policy({ lr: { mult: [{ select: 'fc1', factor: 0 }] } }),
    code: 'INVALID_FACTOR',
    path: 'lr.mult[0].factor',
    mentions: 'number 0',
  },
  {
    id: 'factor NaN',
    run: policy({ lr: { mult: [{ select: 'fc1', factor: Number.NaN }] } }),
    code: 'INVALID_FACTOR',
    path: 'lr.mult[0].factor',
    mentions: 'NaN',
  },
  {
    id: 'factor Infinity',
    run: policy({ lr: { mult: [{ select: 'fc1', factor: Number.POSITIVE_INFINITY }] } }),
    code: 'INVALID_FACTOR',
    path: 'lr.mult[0].factor',
    mentions: 'Infinity',
  },
  {
    id: 'mult product overflows',
    run: plan({
      lr: {
        mult: [
          { select: 'fc1', factor: 1e200 },
          { select: '**', factor: 1e200 },
        ],
      },
    }),
    code: 'INVALID_FACTOR',
    path: 'lr.mult[1].factor',
    mentions: '`fc1.weight` multiply to Infinity',
  },
  {
    id: 'mult product underflows',
    run: plan({
      lr: {
        mult: [
          { select: 'fc2', factor: 1e-200 },
          { select: 'fc2.bias', factor: 1e-200 },
        ],
      },
    }),
    code: 'INVALID_FACTOR',
    path: 'lr.mult[1].factor',
    mentions: '`fc2.bias` multiply to 0',
  },
  {
    id: 'discriminative overflows',
    run: policy({ lr: { discriminative: { groups: ['fc1', 'fc2', 'fc10'], lo: 1e-300, hi: 1e300 } } }),
    code: 'INVALID_FACTOR',
    path: 'lr.discriminative',
    mentions: 'slice(lo 1e-300, hi 1e+300)',
  },
  {
    id: 'discriminative groups empty',
    run: policy({ lr: { discriminative: { groups: [], lo: 0.1, hi: 1 } } }),
    code: 'EMPTY_RULE',
    path: 'lr.discriminative.groups',
    mentions: 'groups is empty',
  },
  {
    id: 'grouped decay underflows',
    run: policy({ lr: { layerwiseDecay: { decay: 1e-200, groups: ['fc1', 'fc2', 'fc10'] } } }),
    code: 'INVALID_FACTOR',
    path: 'lr.layerwiseDecay.decay',
    mentions: 'decay 1e-200',
  },
  {
    id: 'decay over 400 layers underflows',
    run: plan({ lr: { layerwiseDecay: { decay: 0.01 } } }, manyLayers),
    code: 'INVALID_FACTOR',
    path: 'lr.layerwiseDecay.decay',
    mentions: "model's 400 layers",
  },
  {
    id: 'decay over 400 layers overflows',
    run: plan({ lr: { layerwiseDecay: { decay: 100 } } }, manyLayers),
    code: 'INVALID_FACTOR',
    path: 'lr.layerwiseDecay.decay',
    mentions: 'Infinity',
  },
  {
    id: 'mult strict not boolean',
    run: policy({ lr: { mult: [{ select: 'fc1', factor: 2, strict: 'no' }] } }),
    code: 'INVALID_TYPE',
    path: 'lr.mult[0].strict',
    mentions: '"no"',
  },

  // Schedules.
  {
    id: 'schedule object',
    run: policy({ schedule: {} }),
    code: 'INVALID_TYPE',
    path: 'schedule',
    mentions: 'an object',
  },
  {
    id: 'step without kind',
    run: policy({ schedule: [{ at: 1 }] }),
    code: 'INVALID_TYPE',
    path: 'schedule[0].kind',
    mentions: '`kind`',
  },
  {
    id: 'kind typo',
    run: policy({ schedule: [{ kind: 'graduel' }] }),
    code: 'INVALID_TYPE',
    path: 'schedule[0].kind',
    mentions: '"graduel"',
  },
  {
    id: 'negative epoch',
    run: policy({ schedule: [{ kind: 'unfreeze', at: -1, select: 'fc1' }] }),
    code: 'INVALID_EPOCH',
    path: 'schedule[0].at',
    mentions: 'number -1',
  },
  {
    id: 'every 0',
    run: policy({ schedule: [{ kind: 'gradual', groups: ['fc1'], every: 0 }] }),
    code: 'INVALID_EPOCH',
    path: 'schedule[0].every',
    mentions: 'number 0',
  },
  {
    id: 'warm-up growth 0',
    run: policy({ schedule: [{ kind: 'warmup', select: 'fc1', at: 1, growth: 0 }] }),
    code: 'INVALID_FACTOR',
    path: 'schedule[0].growth',
    mentions: 'number 0',
  },
  {
    id: 'step key typo',
    run: policy({ schedule: [{ kind: 'freeze', at: 1, select: 'fc1', strcit: true }] }),
    code: 'UNKNOWN_KEY',
    path: 'schedule[0].strcit',
    mentions: '`strcit`',
  },
  {
    id: 'boundaries of -1 epochs',
    run: () => scheduleBoundaries({}, -1),
    code: 'INVALID_EPOCH',
    path: 'epochs',
    mentions: 'number -1',
  },

  // Planning against a model.
  {
    id: 'no match',
    run: plan({ rules: [{ freeze: 'fc3' }] }),
    code: 'NO_MATCH',
    path: 'rules[0].freeze',
    mentions: '`fc3`',
  },
  {
    id: 'glob no match',
    run: plan({ rules: [{ freeze: 'enc*.0' }] }),
    code: 'NO_MATCH',
    path: 'rules[0].freeze',
    mentions: '`enc*.0`',
  },
  {
    id: 'type no match',
    run: plan({ rules: [{ freeze: 'type:Conv2D' }] }),
    code: 'NO_MATCH',
    path: 'rules[0].freeze',
    mentions: 'type:Conv2D',
  },
  {
    id: 'unknown name in names',
    run: plan({ rules: [{ unfreeze: { names: ['fc1.weight', 'fc1.wieght'] } }] }),
    code: 'NO_MATCH',
    path: 'rules[0].unfreeze',
    mentions: '`fc1.wieght`',
  },
  {
    id: 'future schedule step matches nothing',
    run: plan({ schedule: [{ kind: 'unfreeze', at: 5, select: 'head' }] }),
    code: 'NO_MATCH',
    path: 'schedule[0].select',
    mentions: '`head`',
  },
  { id: 'params null', run: plan({}, null), code: 'INVALID_TYPE', path: 'params', mentions: 'got null' },
  { id: 'params empty', run: plan({}, []), code: 'EMPTY_MODEL', path: 'params', mentions: 'no parameters' },
  {
    id: 'duplicate parameter',
    run: plan({}, [
      { name: 'a.w', shape: [1] },
      { name: 'a.w', shape: [1] },
    ]),
    code: 'DUPLICATE_PARAMETER',
    path: 'params[1].name',
    mentions: '"a.w"',
  },
  {
    id: 'parameter name number',
    run: plan({}, [{ name: 3, shape: [1] }]),
    code: 'INVALID_TYPE',
    path: 'params[0].name',
    mentions: 'number 3',
  },
  {
    id: 'negative size',
    run: plan({}, [{ name: 'a.w', shape: [-1] }]),
    code: 'INVALID_TYPE',
    path: 'params[0].shape',
    mentions: 'number -1',
  },
  {
    id: 'parameter kind typo',
    run: plan({}, [{ name: 'a.w', shape: [1], kind: 'buf' }]),
    code: 'INVALID_TYPE',
    path: 'params[0].kind',
    mentions: '"buf"',
  },
  {
    id: 'aliases string',
    run: plan({}, [{ name: 'a.w', shape: [1], aliases: 'x' }]),
    code: 'INVALID_TYPE',
    path: 'params[0].aliases',
    mentions: '"x"',
  },
  {
    id: 'epoch -1',
    run: () => planFreeze(mlp, {}, { epoch: -1 }),
    code: 'INVALID_EPOCH',
    path: 'epoch',
    mentions: 'number -1',
  },
  {
    id: 'unfreezing a fixed parameter',
    run: plan({ rules: [{ unfreeze: 'enc' }] }, [{ name: 'enc.w', shape: [1], fixed: true }]),
    code: 'FIXED_PARAMETER',
    path: 'rules[0].unfreeze',
    mentions: '`enc.w`',
  },
  {
    id: 'catastrophic RegExp straight to planFreeze, long name',
    run: plan({ rules: [{ freeze: /^(a+)+$/ }] }, [{ name: `${'a'.repeat(5000)}!`, shape: [1] }]),
    code: 'UNSAFE_REGEX',
    path: 'rules[0].freeze',
    mentions: '/^(a+)+$/',
  },
  {
    id: 'selectParams bad selector',
    run: () => selectParams(mlp, '/(a*)*/'),
    code: 'UNSAFE_REGEX',
    path: 'selector',
    mentions: '(a*)*',
  },

  // Policy text, formats and presets.
  {
    id: 'JSON syntax',
    run: () => parsePolicy('{ "rules": [ }'),
    code: 'PARSE_ERROR',
    mentions: 'not valid JSON',
  },
  {
    id: 'YAML syntax',
    run: () => parsePolicy('rules: [\n'),
    code: 'PARSE_ERROR',
    mentions: 'not valid YAML',
  },
  {
    id: 'YAML duplicate key',
    run: () => parsePolicy('default: frozen\ndefault: trainable\n'),
    code: 'PARSE_ERROR',
    mentions: 'not valid YAML',
  },
  {
    id: 'YAML alias bomb',
    run: () =>
      parsePolicy(
        [
          'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
          'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
          'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
          'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
          'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        ].join('\n'),
      ),
    code: 'PARSE_ERROR',
    mentions: 'not valid YAML',
  },
  { id: 'empty policy text', run: () => parsePolicy(''), code: 'PARSE_ERROR', mentions: 'holds no policy' },
  {
    id: 'policy text not a string',
    run: () => parsePolicy(3 as never),
    code: 'INVALID_TYPE',
    mentions: 'number 3',
  },
  {
    id: 'unknown text format',
    run: () => parsePolicy('{}', { format: 'toml' as never }),
    code: 'INVALID_FORMAT',
    mentions: '"toml"',
  },
  {
    id: 'unknown plan format',
    run: () => formatPlan(planFreeze(mlp, {}), 'csv' as never),
    code: 'INVALID_FORMAT',
    path: 'format',
    mentions: '"csv"',
  },
  {
    id: 'format a non-plan',
    run: () => formatPlan({} as never, 'table'),
    code: 'INVALID_TYPE',
    path: 'plan',
    mentions: 'an object',
  },
  {
    id: 'freezeAllBut()',
    run: () => freezeAllBut(),
    code: 'EMPTY_RULE',
    path: 'keep',
    mentions: 'freezeAllBut()',
  },
  {
    id: 'freezeTo([])',
    run: () => freezeTo([], 1),
    code: 'EMPTY_RULE',
    path: 'groups',
    mentions: 'freezeTo()',
  },
];

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('bad inputs to core', () => {
  it('the catalogue has at least 50 cases with distinct ids', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });
  for (const c of cases) {
    it(`${c.id} → ${c.code}`, () => {
      const e = thrown(c.run);
      expect(e, 'expected an error').toBeInstanceOf(PolicyError);
      expect(isFrostlineError(e)).toBe(true);
      expect(isPolicyError(e)).toBe(true);
      const err = e as PolicyError;
      expect(err.code).toBe(c.code);
      expect(err.userFault).toBe(true);
      if (c.path !== undefined) {
        expect(err.path).toBe(c.path);
        expect(err.message.startsWith(`${c.path}: `)).toBe(true);
      }
      expect(err.message).toContain(c.mentions);
      expect(err.message).not.toMatch(/[\r\n]/);
      expect(err.message.length).toBeLessThanOrEqual(600);
    });
  }
});
