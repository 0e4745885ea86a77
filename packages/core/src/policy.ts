/**
 * Policies as data: validation with path-precise errors, normalisation, and loading from JSON/YAML.
 * A validated policy is a plain copy of the input with defaults filled in (`default`, `batchNorm`,
 * `rules`) and RegExp selectors written as '/source/flags' strings, so it survives JSON (plans,
 * checkpoints, exported reports).
 */
import { parse as parseYaml } from 'yaml';
import { PolicyError, q } from './errors';
import { checkFactors, discriminativeFactors, layerwiseFactors } from './lr';
import { describeValue } from './model';
import { parseSelector } from './selectors';
import { nearestNames } from './suggest';
import type { PolicySpec, Rule, ScheduleStep, Selector } from './types';

type Obj = Record<string, unknown>;

const TOP_KEYS = ['default', 'rules', 'batchNorm', 'lr', 'schedule'];
const RULE_KEYS = ['freeze', 'unfreeze', 'strict', 'note'];
const LR_KEYS = ['mult', 'discriminative', 'layerwiseDecay'];
const STEP_KEYS: Record<ScheduleStep['kind'], string[]> = {
  unfreeze: ['kind', 'at', 'select', 'strict'],
  freeze: ['kind', 'at', 'select', 'strict'],
  gradual: ['kind', 'groups', 'every', 'start', 'strict'],
  warmup: ['kind', 'select', 'at', 'initialRatio', 'growth', 'cap', 'strict'],
  'progressive-freeze': ['kind', 'groups', 'every', 'start', 'strict'],
};
const KINDS = Object.keys(STEP_KEYS);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

function expectObj(v: unknown, path: string, what: string): Obj {
  if (!isObj(v))
    throw new PolicyError('INVALID_TYPE', `${what} must be an object, got ${describeValue(v)}`, { path });
  return v;
}

function checkKeys(o: Obj, allowed: readonly string[], path: string, what: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new PolicyError('UNKNOWN_KEY', `unknown key ${q(k)} in ${what}`, {
        path: path ? `${path}.${k}` : k,
        suggestions: nearestNames(k, allowed, 1),
        hint: `Allowed keys: ${allowed.join(', ')}.`,
      });
    }
  }
}

/** Validate a selector and return it JSON-safe (RegExp → '/source/flags'). */
function selector(v: unknown, path: string): Selector {
  if (v === undefined) {
    throw new PolicyError('INVALID_SELECTOR', 'a selector is required here', {
      path,
      hint: "Write e.g. 'fc1', 'layer4.**', '/^enc/', 'type:BatchNormalization' or ['fc1', 'fc2'].",
    });
  }
  parseSelector(v, path);
  return jsonSafe(v) as Selector;
}

function jsonSafe(v: unknown): unknown {
  if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean')
    throw new PolicyError('INVALID_TYPE', `expected true or false, got ${describeValue(v)}`, { path });
  return v;
}

function positive(v: unknown, path: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new PolicyError('INVALID_FACTOR', `${what} must be a finite number > 0, got ${describeValue(v)}`, {
      path,
      hint: 'Learning-rate factors multiply the base rate; to stop training a parameter, freeze it instead.',
    });
  }
  return v;
}

function epoch(v: unknown, path: string, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new PolicyError('INVALID_EPOCH', `${what} must be an integer ≥ ${min}, got ${describeValue(v)}`, {
      path,
      hint: min === 0 ? 'Epochs are counted from 0.' : undefined,
    });
  }
  return v;
}

function groups(v: unknown, path: string): Selector[] {
  if (!Array.isArray(v)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `groups must be an array of selectors (earliest first), got ${describeValue(v)}`,
      {
        path,
      },
    );
  }
  if (v.length === 0) {
    throw new PolicyError('EMPTY_RULE', 'groups is empty', {
      path,
      hint: 'List the groups, earliest layers first.',
    });
  }
  return v.map((g, i) => selector(g, `${path}[${i}]`));
}

function rule(v: unknown, path: string): Rule {
  const o = expectObj(v, path, 'a rule');
  checkKeys(o, RULE_KEYS, path, 'a rule');
  const hasF = o.freeze !== undefined;
  const hasU = o.unfreeze !== undefined;
  if (hasF && hasU) {
    throw new PolicyError('CONTRADICTORY_RULE', 'a rule cannot both freeze and unfreeze', {
      path,
      hint: 'Split it into two rules; the later one wins where both match.',
    });
  }
  if (!hasF && !hasU) {
    throw new PolicyError('EMPTY_RULE', 'a rule needs `freeze` or `unfreeze`', {
      path,
      hint: "Write e.g. { freeze: 'backbone' } or { unfreeze: 'head' }.",
    });
  }
  const action = hasF ? 'freeze' : 'unfreeze';
  const sel = selector(o[action], `${path}.${action}`);
  const strict = bool(o.strict, `${path}.strict`);
  if (o.note !== undefined && typeof o.note !== 'string') {
    throw new PolicyError('INVALID_TYPE', `note must be a string, got ${describeValue(o.note)}`, {
      path: `${path}.note`,
    });
  }
  const out: Obj = { [action]: sel };
  if (strict !== undefined) out.strict = strict;
  if (o.note !== undefined) out.note = o.note;
  return out as unknown as Rule;
}

function step(v: unknown, path: string): ScheduleStep {
  const o = expectObj(v, path, 'a schedule step');
  if (o.kind === undefined) {
    throw new PolicyError('INVALID_TYPE', 'a schedule step needs a `kind`', {
      path: `${path}.kind`,
      hint: `One of: ${KINDS.join(', ')}.`,
    });
  }
  if (typeof o.kind !== 'string' || !KINDS.includes(o.kind)) {
    throw new PolicyError('INVALID_TYPE', `unknown schedule kind ${describeValue(o.kind)}`, {
      path: `${path}.kind`,
      suggestions: typeof o.kind === 'string' ? nearestNames(o.kind, KINDS, 1) : [],
      hint: `One of: ${KINDS.join(', ')}.`,
    });
  }
  const kind = o.kind as ScheduleStep['kind'];
  checkKeys(o, STEP_KEYS[kind], path, `a '${kind}' step`);
  const out: Obj = { kind };
  const strict = bool(o.strict, `${path}.strict`);
  switch (kind) {
    case 'unfreeze':
    case 'freeze':
      out.at = epoch(o.at, `${path}.at`, 'at');
      out.select = selector(o.select, `${path}.select`);
      break;
    case 'gradual':
    case 'progressive-freeze':
      out.groups = groups(o.groups, `${path}.groups`);
      out.every = epoch(o.every, `${path}.every`, 'every', 1);
      if (o.start !== undefined) out.start = epoch(o.start, `${path}.start`, 'start');
      break;
    default:
      out.select = selector(o.select, `${path}.select`);
      out.at = epoch(o.at, `${path}.at`, 'at');
      if (o.initialRatio !== undefined)
        out.initialRatio = positive(o.initialRatio, `${path}.initialRatio`, 'initialRatio');
      if (o.growth !== undefined) out.growth = positive(o.growth, `${path}.growth`, 'growth');
      if (o.cap !== undefined) out.cap = positive(o.cap, `${path}.cap`, 'cap');
  }
  if (strict !== undefined) out.strict = strict;
  return out as unknown as ScheduleStep;
}

function lr(v: unknown, path: string): NonNullable<PolicySpec['lr']> {
  const o = expectObj(v, path, 'lr');
  checkKeys(o, LR_KEYS, path, 'lr');
  const out: Obj = {};
  if (o.mult !== undefined) {
    const p = `${path}.mult`;
    if (!Array.isArray(o.mult)) {
      throw new PolicyError(
        'INVALID_TYPE',
        `mult must be an array of { select, factor }, got ${describeValue(o.mult)}`,
        {
          path: p,
        },
      );
    }
    out.mult = o.mult.map((m, i) => {
      const at = `${p}[${i}]`;
      const mo = expectObj(m, at, 'an lr multiplier');
      checkKeys(mo, ['select', 'factor', 'strict'], at, 'an lr multiplier');
      const item: Obj = {
        select: selector(mo.select, `${at}.select`),
        factor: positive(mo.factor, `${at}.factor`, 'factor'),
      };
      const strict = bool(mo.strict, `${at}.strict`);
      if (strict !== undefined) item.strict = strict;
      return item;
    });
  }
  if (o.discriminative !== undefined) {
    const p = `${path}.discriminative`;
    const d = expectObj(o.discriminative, p, 'discriminative');
    checkKeys(d, ['groups', 'lo', 'hi'], p, 'discriminative');
    const disc = {
      groups: groups(d.groups, `${p}.groups`),
      lo: positive(d.lo, `${p}.lo`, 'lo'),
      hi: positive(d.hi, `${p}.hi`, 'hi'),
    };
    const what = `slice(lo ${disc.lo}, hi ${disc.hi})`;
    checkFactors(discriminativeFactors(disc.lo, disc.hi, disc.groups.length), p, what);
    out.discriminative = disc;
  }
  if (o.layerwiseDecay !== undefined) {
    const p = `${path}.layerwiseDecay`;
    const d = expectObj(o.layerwiseDecay, p, 'layerwiseDecay');
    checkKeys(d, ['decay', 'groups'], p, 'layerwiseDecay');
    const item: Obj = { decay: positive(d.decay, `${p}.decay`, 'decay') };
    if (d.groups !== undefined) {
      const list = groups(d.groups, `${p}.groups`);
      const what = `decay ${item.decay} over ${list.length} groups`;
      checkFactors(layerwiseFactors(item.decay as number, list.length), `${p}.decay`, what);
      item.groups = list;
    }
    out.layerwiseDecay = item;
  }
  return out as NonNullable<PolicySpec['lr']>;
}

/**
 * Validate an untyped policy (from JSON, YAML, a form…). Returns a normalised copy; throws
 * `PolicyError` with `code` and `path` (e.g. `rules[2].freeze`) on the first problem.
 */
export function validatePolicy(value: unknown): PolicySpec {
  const o = expectObj(value, '', 'a policy');
  checkKeys(o, TOP_KEYS, '', 'the policy');
  const out: Obj = {};
  const def = o.default ?? 'trainable';
  if (def !== 'trainable' && def !== 'frozen') {
    throw new PolicyError(
      'INVALID_TYPE',
      `default must be 'trainable' or 'frozen', got ${describeValue(def)}`,
      {
        path: 'default',
        suggestions: typeof def === 'string' ? nearestNames(def, ['trainable', 'frozen'], 1) : [],
      },
    );
  }
  out.default = def;
  const bn = o.batchNorm ?? 'frozen';
  if (bn !== 'frozen' && bn !== 'train') {
    throw new PolicyError('INVALID_TYPE', `batchNorm must be 'frozen' or 'train', got ${describeValue(bn)}`, {
      path: 'batchNorm',
      suggestions: typeof bn === 'string' ? nearestNames(bn, ['frozen', 'train'], 1) : [],
      hint: "'frozen': a frozen BN layer runs in inference mode (Keras); 'train': BN stays trainable (fastai train_bn).",
    });
  }
  out.batchNorm = bn;
  if (o.rules !== undefined && !Array.isArray(o.rules)) {
    throw new PolicyError('INVALID_TYPE', `rules must be an array, got ${describeValue(o.rules)}`, {
      path: 'rules',
      hint: "Write rules: [{ freeze: 'backbone' }, { unfreeze: 'head' }].",
    });
  }
  out.rules = ((o.rules as unknown[] | undefined) ?? []).map((r, i) => rule(r, `rules[${i}]`));
  if (o.lr !== undefined) out.lr = lr(o.lr, 'lr');
  if (o.schedule !== undefined) {
    if (!Array.isArray(o.schedule)) {
      throw new PolicyError(
        'INVALID_TYPE',
        `schedule must be an array of steps, got ${describeValue(o.schedule)}`,
        {
          path: 'schedule',
        },
      );
    }
    out.schedule = o.schedule.map((s, i) => step(s, `schedule[${i}]`));
  }
  return out as PolicySpec;
}

/** Typed policy authoring: validates (throws `PolicyError`) and returns the normalised copy. */
export function definePolicy(spec: PolicySpec): PolicySpec {
  return validatePolicy(spec);
}

/**
 * Parse a policy from JSON or YAML text and validate it. Without `format`, text starting with `{`
 * is JSON, anything else YAML.
 */
export function parsePolicy(text: string, opts: { format?: 'json' | 'yaml' } = {}): PolicySpec {
  if (typeof text !== 'string') {
    throw new PolicyError('INVALID_TYPE', `policy text must be a string, got ${describeValue(text)}`, {});
  }
  const format = opts?.format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  if (format !== 'json' && format !== 'yaml') {
    throw new PolicyError('INVALID_FORMAT', `unknown policy format ${describeValue(format)}`, {
      suggestions: typeof format === 'string' ? nearestNames(format, ['json', 'yaml'], 1) : [],
      hint: "Use 'json' or 'yaml'.",
    });
  }
  let data: unknown;
  try {
    if (format === 'json') data = JSON.parse(text);
    else data = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    const msg = ((e as Error)?.message ?? String(e)).split('\n')[0];
    throw new PolicyError('PARSE_ERROR', `the policy is not valid ${format.toUpperCase()}: ${msg}`, {
      hint: format === 'yaml' ? 'Check indentation and quote selectors that start with ! or *.' : undefined,
      cause: e,
    });
  }
  if (data === null || data === undefined) {
    throw new PolicyError('PARSE_ERROR', `the ${format.toUpperCase()} text holds no policy`, {
      hint: "Write at least { rules: [] } or 'rules: []'.",
    });
  }
  return validatePolicy(data);
}
