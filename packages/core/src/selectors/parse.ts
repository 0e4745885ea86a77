/**
 * Selector parsing: every form (string, RegExp, list, object) becomes a `SelectorNode`, fully checked,
 * so a policy that `definePolicy` accepts never fails later at planning for a malformed selector.
 */
import { PolicyError, q } from '../errors';
import { describeValue, splitPath } from '../model';
import { nearestNames } from '../suggest';
import { compileGlob, compileWildcard } from './glob';
import { isPlainObject, MAX_DEPTH, MAX_GLOB_SEGMENTS, MAX_SELECTOR_LENGTH, type SelectorNode } from './node';
import { compileRegex } from './regex';

const OBJECT_KEYS = [
  'name',
  'names',
  'glob',
  'regex',
  'flags',
  'layerType',
  'layers',
  'first',
  'last',
  'any',
  'all',
  'not',
];
const PREFIXES = ['type', 'layers', 'first', 'last', 'name', 'glob'];
const SELECTOR_EXAMPLES =
  "Write e.g. 'fc1', 'layer4.**', '/^enc/', 'type:BatchNormalization', 'layers:0..3' or ['fc1', 'fc2'].";

/** Parse any selector form; throws `PolicyError` with `path` on malformed input. */
export function parseSelector(sel: unknown, path = 'selector'): SelectorNode {
  return parseNode(sel, path, 0);
}

function parseNode(sel: unknown, path: string, depth: number): SelectorNode {
  if (depth > MAX_DEPTH) throw new PolicyError('INVALID_SELECTOR', 'selector is nested too deeply', { path });
  if (typeof sel === 'string') return parseString(sel, path, depth);
  if (sel instanceof RegExp) return { t: 'regex', re: compileRegex(sel.source, sel.flags, path) };
  if (Array.isArray(sel)) {
    const items = parseList(sel, path, depth, 'a selector list');
    return items.length === 1 ? items[0]! : { t: 'any', items };
  }
  if (isPlainObject(sel)) return parseObject(sel, path, depth);
  throw new PolicyError(
    'INVALID_SELECTOR',
    `expected a selector (string, RegExp, list or object), got ${describeValue(sel)}`,
    { path, hint: SELECTOR_EXAMPLES },
  );
}

function checkLength(text: string, path: string, what: string): void {
  if (text.length <= MAX_SELECTOR_LENGTH) return;
  throw new PolicyError(
    'SELECTOR_TOO_LONG',
    `${what} ${q(text)} is longer than ${MAX_SELECTOR_LENGTH} characters`,
    { path, hint: 'Select with a shorter path or glob, or with { names: [...] } for an exact list.' },
  );
}

function parseString(raw: string, path: string, depth: number): SelectorNode {
  const s = raw.trim();
  if (s === '') {
    throw new PolicyError('INVALID_SELECTOR', 'empty selector string', {
      path,
      hint: "Name a layer or parameter, e.g. 'fc1', or use '**' for everything.",
    });
  }
  if (s.startsWith('!')) {
    if (depth > MAX_DEPTH)
      throw new PolicyError('INVALID_SELECTOR', 'selector is nested too deeply', { path });
    return { t: 'not', item: parseString(s.slice(1), path, depth + 1) };
  }
  if (s.startsWith('/')) {
    const m = /^\/(.+)\/([a-z]*)$/s.exec(s);
    if (!m) {
      throw new PolicyError(
        'INVALID_REGEX',
        `${q(s)} starts with '/' but is not a /pattern/flags regular expression`,
        {
          path,
          hint: "Write regular expressions as '/pattern/flags'; for a path, drop the leading '/'.",
        },
      );
    }
    return { t: 'regex', re: compileRegex(m[1]!, m[2]!, path) };
  }
  checkLength(s, path, 'selector');
  const colon = /^([a-zA-Z]+):(.*)$/s.exec(s);
  if (colon && PREFIXES.includes(colon[1]!)) return parsePrefixed(s, colon[1]!, colon[2]!.trim(), path);
  if (s.includes('*')) return globNode(s, path);
  return nameNode(s, path);
}

/** `type:…`, `name:…`, `glob:…`, `first:N`, `last:N`, `layers:A..B`. */
function parsePrefixed(s: string, kind: string, rest: string, path: string): SelectorNode {
  switch (kind) {
    case 'type':
      return parseTypes(rest.split(','), path);
    case 'name':
      return nameNode(rest, path);
    case 'glob':
      return globNode(rest, path);
    case 'first':
    case 'last': {
      const k = parseInt10(rest);
      if (k === undefined || k < 0) {
        throw new PolicyError('INVALID_SELECTOR', `${q(s)}: ${kind}:N needs a non-negative integer N`, {
          path,
          hint: `Write e.g. '${kind}:3'.`,
        });
      }
      return firstOrLast(kind, k);
    }
    default:
      return parseRange(s, rest, path);
  }
}

function parseInt10(s: string): number | undefined {
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

function firstOrLast(kind: 'first' | 'last', k: number): SelectorNode {
  if (k === 0) return { t: 'layers', none: true };
  return kind === 'first' ? { t: 'layers', from: 0, to: k - 1 } : { t: 'layers', from: -k, to: -1 };
}

function parseRange(s: string, rest: string, path: string): SelectorNode {
  const single = parseInt10(rest);
  if (single !== undefined) return { t: 'layers', from: single, to: single };
  const m = /^(-?\d+)?\s*\.\.\s*(-?\d+)?$/.exec(rest);
  if (!m) {
    throw new PolicyError('INVALID_SELECTOR', `${q(s)} is not a layer range`, {
      path,
      hint: "Write 'layers:A..B' (inclusive, 0-based, negative counts from the end), 'layers:3..' or 'layers:..-2'.",
    });
  }
  const node: SelectorNode = { t: 'layers' };
  if (m[1] !== undefined) node.from = Number(m[1]);
  if (m[2] !== undefined) node.to = Number(m[2]);
  return node;
}

function parseTypes(list: readonly string[], path: string): SelectorNode {
  const types = list.map((t) => t.trim()).filter((t) => t !== '');
  if (types.length === 0) {
    throw new PolicyError('INVALID_SELECTOR', 'a layer-type selector needs at least one type name', {
      path,
      hint: "Write e.g. 'type:BatchNormalization' or { layerType: ['Conv2D', 'Dense'] }.",
    });
  }
  for (const t of types) checkLength(t, path, 'layer type');
  return { t: 'type', types, patterns: types.map((t) => compileWildcard(t, true)) };
}

function nameNode(s: string, path: string): SelectorNode {
  checkLength(s, path, 'path');
  const segs = splitPath(s);
  if (segs.length === 0) {
    throw new PolicyError('INVALID_SELECTOR', `${q(s)} has no path segments`, {
      path,
      hint: "Name a layer or parameter, e.g. 'fc1' or 'layer4.0'.",
    });
  }
  return { t: 'name', segs };
}

function globNode(s: string, path: string): SelectorNode {
  checkLength(s, path, 'glob');
  const segs = splitPath(s);
  if (segs.length === 0) throw new PolicyError('INVALID_SELECTOR', `${q(s)} has no path segments`, { path });
  if (segs.length > MAX_GLOB_SEGMENTS) {
    throw new PolicyError(
      'SELECTOR_TOO_LONG',
      `glob ${q(s)} has ${segs.length} segments, more than ${MAX_GLOB_SEGMENTS}`,
      { path, hint: 'A glob matches a run of segments anywhere in a name: name only the part that matters.' },
    );
  }
  return { t: 'glob', glob: compileGlob(s) };
}

/** `{ names: [...] }`: an exact set of full parameter names (or aliases); no segments, globs or regexes. */
function namesNode(v: unknown, path: string): SelectorNode {
  if (!Array.isArray(v)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `names must be an array of full parameter names, got ${describeValue(v)}`,
      {
        path,
        hint: "Write e.g. { names: ['fc1.weight', 'fc1.bias'] }.",
      },
    );
  }
  if (v.length === 0) {
    throw new PolicyError('EMPTY_RULE', 'names is empty, so it selects nothing', {
      path,
      hint: 'List at least one full parameter name, or remove the rule.',
    });
  }
  v.forEach((name, i) => {
    if (typeof name !== 'string' || splitPath(name).length === 0) {
      throw new PolicyError(
        'INVALID_SELECTOR',
        `names[${i}] must be a full parameter name, got ${describeValue(name)}`,
        {
          path: `${path}[${i}]`,
          hint: "Each entry is one parameter's exact name, e.g. 'fc1.weight'.",
        },
      );
    }
  });
  return { t: 'names', set: new Set(v as string[]) };
}

function parseList(items: unknown, path: string, depth: number, what: string): SelectorNode[] {
  if (!Array.isArray(items)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `${what} must be an array of selectors, got ${describeValue(items)}`,
      {
        path,
      },
    );
  }
  if (items.length === 0) {
    throw new PolicyError('EMPTY_RULE', 'selector list is empty, so it selects nothing', {
      path,
      hint: 'Name at least one layer or parameter, or remove the rule.',
    });
  }
  return items.map((it, i) => parseNode(it, `${path}[${i}]`, depth + 1));
}

/** The one key of a selector object (besides `flags`), after checking the key set. */
function objectKey(o: Record<string, unknown>, path: string): string {
  const keys = Object.keys(o);
  for (const k of keys) {
    if (!OBJECT_KEYS.includes(k)) {
      throw new PolicyError('UNKNOWN_KEY', `unknown selector key ${q(k)}`, {
        path: `${path}.${k}`,
        suggestions: nearestNames(k, OBJECT_KEYS, 1),
        hint: `Selector objects take one of: ${OBJECT_KEYS.filter((x) => x !== 'flags').join(', ')}.`,
      });
    }
  }
  const main = keys.filter((k) => k !== 'flags');
  if (main.length === 0) {
    throw new PolicyError('EMPTY_RULE', 'empty selector object selects nothing', {
      path,
      hint: "Use one key, e.g. { name: 'fc1' } or { layerType: 'BatchNormalization' }.",
    });
  }
  if (main.length > 1) {
    throw new PolicyError(
      'INVALID_SELECTOR',
      `a selector object takes exactly one key, got ${main.map(q).join(', ')}`,
      {
        path,
        hint: 'Combine selectors with { any: [...] } or { all: [...] }.',
      },
    );
  }
  if (o.flags !== undefined && main[0] !== 'regex') {
    throw new PolicyError('UNKNOWN_KEY', '`flags` only goes with `regex`', { path: `${path}.flags` });
  }
  return main[0]!;
}

function parseObject(o: Record<string, unknown>, path: string, depth: number): SelectorNode {
  const key = objectKey(o, path);
  const v = o[key];
  const at = `${path}.${key}`;
  switch (key) {
    case 'name':
      return nameNode(stringValue(key, v, at), at);
    case 'names':
      return namesNode(v, at);
    case 'glob':
      return globNode(stringValue(key, v, at), at);
    case 'regex':
      return regexObject(o, path, at);
    case 'layerType':
      return layerTypeObject(v, at);
    case 'layers':
      return rangeObject(v, at);
    case 'first':
    case 'last':
      return firstOrLast(key, countValue(key, v, at));
    case 'any':
    case 'all':
      return { t: key, items: parseList(v, at, depth, key) };
    default:
      return { t: 'not', item: parseNode(v, at, depth + 1) };
  }
}

function stringValue(key: string, v: unknown, at: string): string {
  if (typeof v !== 'string') {
    throw new PolicyError('INVALID_TYPE', `${key} must be a string, got ${describeValue(v)}`, { path: at });
  }
  if (v.trim() === '') throw new PolicyError('INVALID_SELECTOR', `empty ${key}`, { path: at });
  return v;
}

function countValue(key: string, v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new PolicyError(
      'INVALID_SELECTOR',
      `${key} must be a non-negative integer, got ${describeValue(v)}`,
      {
        path: at,
      },
    );
  }
  return v;
}

function regexObject(o: Record<string, unknown>, path: string, at: string): SelectorNode {
  const src = stringValue('regex', o.regex, at);
  const flags = o.flags ?? '';
  if (typeof flags !== 'string') {
    throw new PolicyError('INVALID_TYPE', `flags must be a string, got ${describeValue(flags)}`, {
      path: `${path}.flags`,
    });
  }
  return { t: 'regex', re: compileRegex(src, flags, at) };
}

function layerTypeObject(v: unknown, at: string): SelectorNode {
  if (typeof v === 'string') return parseTypes(v.split(','), at);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return parseTypes(v as string[], at);
  throw new PolicyError(
    'INVALID_TYPE',
    `layerType must be a string or an array of strings, got ${describeValue(v)}`,
    {
      path: at,
    },
  );
}

function rangeObject(v: unknown, at: string): SelectorNode {
  if (!isPlainObject(v)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `layers must be an object { from?, to? }, got ${describeValue(v)}`,
      {
        path: at,
      },
    );
  }
  const node: SelectorNode = { t: 'layers' };
  for (const k of Object.keys(v)) {
    if (k !== 'from' && k !== 'to') {
      throw new PolicyError('UNKNOWN_KEY', `unknown key ${q(k)} in a layer range`, {
        path: `${at}.${k}`,
        suggestions: nearestNames(k, ['from', 'to'], 1),
      });
    }
    const b = v[k];
    if (typeof b !== 'number' || !Number.isInteger(b)) {
      throw new PolicyError(
        'INVALID_SELECTOR',
        `${k} must be an integer layer index, got ${describeValue(b)}`,
        {
          path: `${at}.${k}`,
        },
      );
    }
    node[k] = b;
  }
  return node;
}
