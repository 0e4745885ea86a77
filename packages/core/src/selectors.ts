/**
 * The one place where selectors are parsed and matched. A selector (string, RegExp, list or object
 * form) is parsed into a small tree once; the tree is then evaluated either against one parameter
 * (`compileSelector(...).test`) or against a whole indexed model (`matchIndex`), which is what plans
 * use: name selectors are answered from the segment index, globs only test the parameters that
 * contain their rarest literal segment, and layer/type selectors read precomputed layer lists.
 */
import { PolicyError, q } from './errors';
import { describeValue, indexModelCached, type ModelIndex, nameIndex, pathsOf, splitPath } from './model';
import { nearestNames } from './suggest';
import type { CompiledSelector, MatchContext, ParamInfo, Selector } from './types';

export { splitPath };

export type SelectorNode =
  | { t: 'name'; segs: string[] }
  | { t: 'names'; set: ReadonlySet<string> }
  | { t: 'glob'; re: RegExp; literals: string[]; segs: string[] }
  | { t: 'regex'; re: RegExp }
  | { t: 'type'; types: string[]; patterns: RegExp[] }
  | { t: 'layers'; from?: number; to?: number; none?: boolean }
  | { t: 'any'; items: SelectorNode[] }
  | { t: 'all'; items: SelectorNode[] }
  | { t: 'not'; item: SelectorNode };

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
const MAX_DEPTH = 32;

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Glob over the whole path: `*` = any run inside one segment, `**` = any number of whole segments. */
export function globToRegExp(glob: string): RegExp {
  const segs = splitPath(glob);
  let out = '';
  let afterDouble = false;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (seg === '**') {
      if (i === 0) out += last ? '.*' : '(?:.*[./])?';
      else out += last ? '(?:[./].*)?' : '[./](?:.*[./])?';
      afterDouble = true;
      continue;
    }
    if (i > 0 && !afterDouble) out += '[./]';
    out += seg.split(/\*+/).map(escapeRe).join('[^./]*');
    afterDouble = false;
  }
  return new RegExp(`^${out}$`);
}

function compileRegex(source: string, flags: string, path: string): RegExp {
  try {
    // g/y make `test` stateful (lastIndex); a selector must give the same answer every time.
    return new RegExp(source, flags.replace(/[gy]/g, ''));
  } catch (e) {
    throw new PolicyError(
      'INVALID_REGEX',
      `regular expression /${source}/${flags} does not compile (${(e as Error).message})`,
      {
        path,
        hint: 'Escape special characters with a backslash, e.g. /layer\\.0\\./ for the literal text "layer.0.".',
        cause: e,
      },
    );
  }
}

function parseInt10(s: string): number | undefined {
  return /^-?\d+$/.test(s) ? Number(s) : undefined;
}

function parseTypes(list: readonly string[], path: string): SelectorNode {
  const types = list.map((t) => t.trim()).filter((t) => t !== '');
  if (types.length === 0) {
    throw new PolicyError('INVALID_SELECTOR', 'a layer-type selector needs at least one type name', {
      path,
      hint: "Write e.g. 'type:BatchNormalization' or { layerType: ['Conv2D', 'Dense'] }.",
    });
  }
  const patterns = types.map((t) => new RegExp(`^${t.split(/\*+/).map(escapeRe).join('.*')}$`, 'i'));
  return { t: 'type', types, patterns };
}

function parseString(raw: string, path: string, depth: number): SelectorNode {
  const s = raw.trim();
  if (s === '') {
    throw new PolicyError('INVALID_SELECTOR', 'empty selector string', {
      path,
      hint: "Name a layer or parameter, e.g. 'fc1', or use '**' for everything.",
    });
  }
  if (depth > MAX_DEPTH) throw new PolicyError('INVALID_SELECTOR', 'selector is nested too deeply', { path });
  if (s.startsWith('!')) return { t: 'not', item: parseString(s.slice(1), path, depth + 1) };
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
  const colon = /^([a-zA-Z]+):(.*)$/s.exec(s);
  if (colon && PREFIXES.includes(colon[1]!)) {
    const kind = colon[1]!;
    const rest = colon[2]!.trim();
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
        if (k === 0) return { t: 'layers', none: true };
        return kind === 'first' ? { t: 'layers', from: 0, to: k - 1 } : { t: 'layers', from: -k, to: -1 };
      }
      default: {
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
    }
  }
  if (s.includes('*')) return globNode(s, path);
  return nameNode(s, path);
}

function nameNode(s: string, path: string): SelectorNode {
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
  const segs = splitPath(s);
  if (segs.length === 0) throw new PolicyError('INVALID_SELECTOR', `${q(s)} has no path segments`, { path });
  return { t: 'glob', re: globToRegExp(s), literals: segs.filter((x) => !x.includes('*')), segs };
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

function parseList(items: unknown, path: string, depth: number, what: string): SelectorNode[] {
  if (!Array.isArray(items)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `${what} must be an array of selectors, got ${describeValue(items)}`,
      { path },
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

function parseObject(o: Record<string, unknown>, path: string, depth: number): SelectorNode {
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
  const key = main[0]!;
  const v = o[key];
  const at = `${path}.${key}`;
  if (o.flags !== undefined && key !== 'regex') {
    throw new PolicyError('UNKNOWN_KEY', '`flags` only goes with `regex`', { path: `${path}.flags` });
  }
  const str = (): string => {
    if (typeof v !== 'string') {
      throw new PolicyError('INVALID_TYPE', `${key} must be a string, got ${describeValue(v)}`, { path: at });
    }
    if (v.trim() === '') throw new PolicyError('INVALID_SELECTOR', `empty ${key}`, { path: at });
    return v;
  };
  const count = (): number => {
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
  };
  switch (key) {
    case 'name':
      return nameNode(str(), at);
    case 'names':
      return namesNode(v, at);
    case 'glob':
      return globNode(str(), at);
    case 'regex': {
      const src = str();
      const flags = o.flags ?? '';
      if (typeof flags !== 'string') {
        throw new PolicyError('INVALID_TYPE', `flags must be a string, got ${describeValue(flags)}`, {
          path: `${path}.flags`,
        });
      }
      return { t: 'regex', re: compileRegex(src, flags, at) };
    }
    case 'layerType': {
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
    case 'layers': {
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
    case 'first':
    case 'last': {
      const k = count();
      if (k === 0) return { t: 'layers', none: true };
      return key === 'first' ? { t: 'layers', from: 0, to: k - 1 } : { t: 'layers', from: -k, to: -1 };
    }
    case 'any':
      return { t: 'any', items: parseList(v, at, depth, 'any') };
    case 'all':
      return { t: 'all', items: parseList(v, at, depth, 'all') };
    default:
      return { t: 'not', item: parseNode(v, at, depth + 1) };
  }
}

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
    {
      path,
      hint: "Write e.g. 'fc1', 'layer4.**', '/^enc/', 'type:BatchNormalization', 'layers:0..3' or ['fc1', 'fc2'].",
    },
  );
}

/** Canonical one-line string form of a selector, for plans, tables and messages. */
export function formatSelector(sel: Selector | unknown): string {
  if (typeof sel === 'string') return sel.trim();
  if (sel instanceof RegExp) return `/${sel.source}/${sel.flags}`;
  if (Array.isArray(sel))
    return sel.length === 1 ? formatSelector(sel[0]) : `[${sel.map(formatSelector).join(', ')}]`;
  if (!isPlainObject(sel)) return String(sel);
  const o = sel;
  if (typeof o.name === 'string') {
    const plain = !/[*!:]/.test(o.name) && !o.name.trim().startsWith('/');
    return plain ? o.name : `name:${o.name}`;
  }
  if (Array.isArray(o.names)) return formatNames(o.names);
  if (typeof o.glob === 'string') return o.glob.includes('*') ? o.glob : `glob:${o.glob}`;
  if (typeof o.regex === 'string') return `/${o.regex}/${typeof o.flags === 'string' ? o.flags : ''}`;
  if (o.layerType !== undefined) {
    return `type:${Array.isArray(o.layerType) ? o.layerType.join(',') : String(o.layerType)}`;
  }
  if (isPlainObject(o.layers)) return `layers:${o.layers.from ?? ''}..${o.layers.to ?? ''}`;
  if (o.first !== undefined) return `first:${o.first}`;
  if (o.last !== undefined) return `last:${o.last}`;
  if (Array.isArray(o.any)) return `[${o.any.map(formatSelector).join(', ')}]`;
  if (Array.isArray(o.all)) return `all(${o.all.map(formatSelector).join(', ')})`;
  if (o.not !== undefined) {
    const inner = formatSelector(o.not);
    return /^[^\s[(]+$/.test(inner) ? `!${inner}` : `!(${inner})`;
  }
  return JSON.stringify(o);
}

/** `names(a, b, c, … +97 more)`: a plan's name set can hold thousands of names; messages stay short. */
function formatNames(names: readonly unknown[]): string {
  const shown = names.slice(0, 3).map(String);
  const more = names.length > 3 ? `, … +${names.length - 3} more` : '';
  return `names(${shown.join(', ')}${more})`;
}

// ---------------------------------------------------------------------------------------------
// Matching one parameter

function runMatches(segs: readonly string[], sel: readonly string[]): boolean {
  const k = sel.length;
  outer: for (let i = 0; i + k <= segs.length; i++) {
    for (let j = 0; j < k; j++) if (segs[i + j] !== sel[j]) continue outer;
    return true;
  }
  return false;
}

function resolveRange(node: { from?: number; to?: number; none?: boolean }, count: number): [number, number] {
  if (node.none || count === 0) return [0, -1];
  let from = node.from ?? 0;
  let to = node.to ?? count - 1;
  if (from < 0) from += count;
  if (to < 0) to += count;
  return [Math.max(0, from), Math.min(count - 1, to)];
}

function testNode(node: SelectorNode, p: ParamInfo, paths: string[], ctx: MatchContext | undefined): boolean {
  switch (node.t) {
    case 'name':
      return paths.some((s) => runMatches(splitPath(s), node.segs));
    case 'names':
      return paths.some((s) => node.set.has(s));
    case 'glob':
      return paths.some((s) => node.re.test(s));
    case 'regex':
      return paths.some((s) => node.re.test(s));
    case 'type':
      return typeof p.layerType === 'string' && node.patterns.some((re) => re.test(p.layerType as string));
    case 'layers': {
      if (!ctx) return false;
      const [from, to] = resolveRange(node, ctx.layerCount);
      return ctx.layerIndex >= from && ctx.layerIndex <= to;
    }
    case 'any':
      return node.items.some((it) => testNode(it, p, paths, ctx));
    case 'all':
      return node.items.every((it) => testNode(it, p, paths, ctx));
    default:
      return !testNode(node.item, p, paths, ctx);
  }
}

class Compiled implements CompiledSelector {
  constructor(
    readonly source: string,
    readonly node: SelectorNode,
  ) {}
  test(p: ParamInfo, ctx?: MatchContext): boolean {
    if (typeof p !== 'object' || p === null || typeof p.name !== 'string') return false;
    const paths = Array.isArray(p.aliases)
      ? [p.name, ...p.aliases.filter((a) => typeof a === 'string')]
      : [p.name];
    return testNode(this.node, p, paths, ctx);
  }
}

/** Parse a selector once; `test` answers for one parameter. Throws `PolicyError` on malformed selectors. */
export function compileSelector(sel: Selector): CompiledSelector & { readonly node: SelectorNode } {
  return new Compiled(formatSelector(sel), parseSelector(sel));
}

// ---------------------------------------------------------------------------------------------
// Matching a whole indexed model. Everything works on prefix groups (a layer's parameters share
// one), on interned segment ids, and resumes from the previous group's state where the two groups
// share leading segments: most of the 100k names of a deep model are never looked at one by one.

function fromMask(m: Uint8Array, want = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i] === want) out.push(i);
  return out;
}

/** Whether `path[from..to)` contains `sel` as a contiguous run. */
function segsRun(path: ArrayLike<number>, from: number, to: number, sel: Int32Array): boolean {
  const k = sel.length;
  const first = sel[0]!;
  outer: for (let i = from; i + k <= to; i++) {
    if (path[i] !== first) continue;
    for (let j = 1; j < k; j++) if (path[i + j] !== sel[j]) continue outer;
    return true;
  }
  return false;
}

function toIds(ix: ModelIndex, segs: readonly string[]): Int32Array | undefined {
  const ids = new Int32Array(segs.length);
  for (let i = 0; i < segs.length; i++) {
    const id = ix.segId.get(segs[i]!);
    if (id === undefined) return undefined;
    ids[i] = id;
  }
  return ids;
}

function pushGroup(ix: ModelIndex, g: number, out: number[]): void {
  const { groupMemberFlat: flat, groupMemberStart: start } = ix;
  for (let k = start[g]!, e = start[g + 1]!; k < e; k++) out.push(flat[k]!);
}

/** Add the aliased parameters that `hit` accepts and `out` lacks. */
function addAliasHits(
  ix: ModelIndex,
  out: number[],
  hit: (a: { strings: readonly string[]; segs: readonly (readonly number[])[] }) => boolean,
): number[] {
  if (ix.aliases.size === 0) return out;
  let have: Set<number> | undefined;
  for (const [i, a] of ix.aliases) {
    if (!hit(a)) continue;
    have ??= new Set(out);
    if (!have.has(i)) {
      out.push(i);
      have.add(i);
    }
  }
  return out;
}

function matchName(ix: ModelIndex, segs: readonly string[]): number[] {
  const ids = toIds(ix, segs);
  if (!ids) return [];
  const k = ids.length;
  const tail = ids[k - 1]!;
  const { groupSegStart: gs, groupSegFlat: flat, groupMemberStart: ms, groupMemberFlat: mf, lastSeg } = ix;
  const out: number[] = [];
  for (let g = 0; g < ix.groupCount; g++) {
    const s = gs[g]!;
    const e = gs[g + 1]!;
    if (segsRun(flat, s, e, ids)) {
      pushGroup(ix, g, out);
      continue;
    }
    // The run may end in the parameters' last segment: the prefix must end with ids[0..k-1).
    if (k - 1 > e - s) continue;
    let ok = true;
    for (let j = 0; j < k - 1; j++) {
      if (flat[e - (k - 1) + j] !== ids[j]) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    for (let m = ms[g]!, me = ms[g + 1]!; m < me; m++) if (lastSeg[mf[m]!] === tail) out.push(mf[m]!);
  }
  return addAliasHits(ix, out, (a) => a.segs.some((p) => segsRun(p, 0, p.length, ids)));
}

function matchNames(ix: ModelIndex, set: ReadonlySet<string>): number[] {
  const byName = nameIndex(ix);
  const out: number[] = [];
  for (const s of set) {
    const i = byName.get(s);
    if (i !== undefined) out.push(i);
  }
  return addAliasHits(ix, out, (a) => a.strings.some((x) => set.has(x)));
}

/** The names of a `{ names }` selector that are neither a parameter's name nor an alias. */
export function missingNames(ix: ModelIndex, node: SelectorNode): string[] {
  if (node.t !== 'names') return [];
  const byName = nameIndex(ix);
  let aliasSet: Set<string> | undefined;
  const missing: string[] = [];
  for (const s of node.set) {
    if (byName.has(s)) continue;
    aliasSet ??= new Set([...ix.aliases.values()].flatMap((a) => a.strings));
    if (!aliasSet.has(s)) missing.push(s);
  }
  return missing;
}

/**
 * Globs as a small NFA over segments, simulated with a bit set of pattern positions. The state
 * after each prefix segment is kept on a stack, so a group resumes where it diverges from the
 * previous one.
 */
function matchGlob(ix: ModelIndex, node: Extract<SelectorNode, { t: 'glob' }>): number[] {
  const pat = node.segs;
  const m = pat.length;
  const aliasHits = (out: number[]) => addAliasHits(ix, out, (a) => a.strings.some((x) => node.re.test(x)));
  if (m > 30) {
    // Too long for a 32-bit state set: test the regex on every name.
    const out: number[] = [];
    for (let i = 0; i < ix.n; i++) if (node.re.test(ix.names[i]!)) out.push(i);
    return aliasHits(out);
  }
  const kind = new Int8Array(m); // 0 literal, 1 wildcard segment, 2 '**'
  const lit = new Int32Array(m).fill(-1);
  const wild: (RegExp | undefined)[] = [];
  for (let j = 0; j < m; j++) {
    const seg = pat[j]!;
    if (seg === '**') kind[j] = 2;
    else if (seg.includes('*')) {
      kind[j] = 1;
      wild[j] = new RegExp(`^${seg.split(/\*+/).map(escapeRe).join('.*')}$`);
    } else {
      const id = ix.segId.get(seg);
      // A literal no name contains: only aliases could match (they are interned too, so none).
      if (id === undefined) return aliasHits([]);
      lit[j] = id;
    }
  }
  const wildCache = new Map<number, boolean>();
  const accept = 1 << m;
  const closure = (st: number): number => {
    for (let j = 0; j < m; j++) if (st & (1 << j) && kind[j] === 2) st |= 1 << (j + 1);
    return st;
  };
  const step = (st: number, id: number): number => {
    let next = 0;
    for (let j = 0; j < m; j++) {
      if (!(st & (1 << j))) continue;
      const kj = kind[j];
      if (kj === 2) next |= 1 << j;
      else if (kj === 0) {
        if (lit[j] === id) next |= 1 << (j + 1);
      } else {
        const key = id * 32 + j;
        let hit = wildCache.get(key);
        if (hit === undefined) {
          hit = wild[j]!.test(ix.segStrings[id]!);
          wildCache.set(key, hit);
        }
        if (hit) next |= 1 << (j + 1);
      }
    }
    return next === 0 ? 0 : closure(next);
  };
  // Lazily built DFA: one row of next states per distinct state, indexed by segment id.
  // States are bit sets over m + 1 positions: for short patterns an array indexed by state.
  const rowsArr: (Int32Array | undefined)[] | undefined =
    m <= 12 ? Array.from({ length: 1 << (m + 1) }, () => undefined) : undefined;
  const rows = new Map<number, Int32Array>();
  let rowState = -1;
  let row: Int32Array = new Int32Array(0);
  const segCount = ix.segStrings.length;
  const next = (st: number, id: number): number => {
    if (st !== rowState) {
      let r = rowsArr ? rowsArr[st] : rows.get(st);
      if (!r) {
        r = new Int32Array(segCount).fill(-1);
        if (rowsArr) rowsArr[st] = r;
        else rows.set(st, r);
      }
      row = r;
      rowState = st;
    }
    let v = row[id]!;
    if (v < 0) {
      v = step(st, id);
      row[id] = v;
    }
    return v;
  };
  const {
    groupSegStart: gs,
    groupSegFlat: flat,
    groupCommon,
    groupMemberStart: ms,
    groupMemberFlat: mf,
    lastSeg,
  } = ix;
  let maxDepth = 0;
  for (let g = 0; g < ix.groupCount; g++) maxDepth = Math.max(maxDepth, gs[g + 1]! - gs[g]!);
  // stack[d] = state after the first d segments of the current group.
  const stack = new Int32Array(maxDepth + 1);
  stack[0] = closure(1);
  const out: number[] = [];
  for (let g = 0; g < ix.groupCount; g++) {
    const s = gs[g]!;
    const e = gs[g + 1]!;
    // Resume from the state after the segments shared with the previous group.
    let depth = g === 0 ? 0 : groupCommon[g]!;
    let st = stack[depth]!;
    for (let k = s + depth; k < e; k++) {
      st = st === 0 ? 0 : next(st, flat[k]!);
      stack[++depth] = st;
    }
    if (st === 0) continue;
    for (let k = ms[g]!, ke = ms[g + 1]!; k < ke; k++) {
      const i = mf[k]!;
      const last = lastSeg[i]!;
      const fin = last < 0 ? st : next(st, last);
      if (fin & accept) out.push(i);
    }
  }
  return aliasHits(out);
}

/** Indices (distinct, in no promised order) of the parameters a selector matches. */
export function matchIndex(ix: ModelIndex, node: SelectorNode): number[] {
  switch (node.t) {
    case 'name':
      return matchName(ix, node.segs);
    case 'names':
      return matchNames(ix, node.set);
    case 'glob':
      return matchGlob(ix, node);
    case 'regex': {
      const re = node.re;
      const names = ix.names;
      const out: number[] = [];
      for (let i = 0; i < ix.n; i++) if (re.test(names[i]!)) out.push(i);
      return addAliasHits(ix, out, (a) => a.strings.some((x) => re.test(x)));
    }
    case 'type': {
      // A parameter's type is its layer's: answer once per layer.
      const out: number[] = [];
      const seen = new Map<string, boolean>();
      for (let l = 0; l < ix.layers.length; l++) {
        const t = ix.layerTypes[l];
        if (t === undefined) continue;
        let hit = seen.get(t);
        if (hit === undefined) {
          hit = node.patterns.some((re) => re.test(t));
          seen.set(t, hit);
        }
        if (hit)
          for (let k = ix.layerMemberStart[l]!, e = ix.layerMemberStart[l + 1]!; k < e; k++)
            out.push(ix.layerMemberFlat[k]!);
      }
      return out;
    }
    case 'layers': {
      const [from, to] = resolveRange(node, ix.layers.length);
      const out: number[] = [];
      if (from > to) return out;
      // Layers' members are one contiguous run of the member list.
      const { layerMemberStart: ls, layerMemberFlat: lf } = ix;
      for (let k = ls[from]!, e = ls[to + 1]!; k < e; k++) out.push(lf[k]!);
      return out;
    }
    case 'any': {
      if (node.items.length === 1) return matchIndex(ix, node.items[0]!);
      const m = new Uint8Array(ix.n);
      for (const it of node.items) {
        const list = matchIndex(ix, it);
        for (let i = 0; i < list.length; i++) m[list[i]!] = 1;
      }
      return fromMask(m);
    }
    case 'all': {
      const counts = new Uint16Array(ix.n);
      for (const it of node.items) {
        const list = matchIndex(ix, it);
        for (let i = 0; i < list.length; i++) counts[list[i]!]!++;
      }
      const out: number[] = [];
      const want = node.items.length;
      for (let i = 0; i < ix.n; i++) if (counts[i] === want) out.push(i);
      return out;
    }
    default: {
      const m = new Uint8Array(ix.n);
      const list = matchIndex(ix, node.item);
      for (let i = 0; i < list.length; i++) m[list[i]!] = 1;
      return fromMask(m, 0);
    }
  }
}

/** The parameters a selector matches, in model order (no strictness: may be empty). */
export function selectParams(params: readonly ParamInfo[], sel: Selector): ParamInfo[] {
  const node = parseSelector(sel);
  const ix = indexModelCached(params, { allowEmpty: true });
  return matchIndex(ix, node)
    .sort((a, b) => a - b)
    .map((i) => ix.params[i]!);
}

/**
 * Suggestions for a selector that matched nothing: nearest real names, layer paths, aliases,
 * segments or layer types, depending on what the selector looked for.
 */
export function suggestFor(ix: ModelIndex, node: SelectorNode, k = 3): string[] {
  switch (node.t) {
    case 'name':
    case 'glob': {
      const query = node.t === 'name' ? node.segs.join('.') : node.literals.join('.');
      if (query === '') return [];
      const pool = new Set<string>(ix.layers.filter((l) => l !== ''));
      for (let i = 0; i < ix.n; i++) for (const p of pathsOf(ix, i)) pool.add(p);
      const hits = nearestNames(query, [...pool], k);
      // A path query can also be near a layer written with the other separator.
      return hits;
    }
    case 'names': {
      const missing = missingNames(ix, node);
      const pool = new Set<string>();
      for (let i = 0; i < ix.n; i++) for (const p of pathsOf(ix, i)) pool.add(p);
      return missing.length === 0 ? [] : nearestNames(missing[0]!, [...pool], k);
    }
    case 'regex':
      return [];
    case 'type': {
      const types = [...new Set(ix.layerTypes.filter((t): t is string => typeof t === 'string'))];
      const out: string[] = [];
      for (const t of node.types)
        for (const s of nearestNames(t, types, k)) if (!out.includes(s)) out.push(`type:${s}`);
      return out.slice(0, k);
    }
    case 'any':
    case 'all':
      return node.items.flatMap((it) => suggestFor(ix, it, k)).slice(0, k);
    default:
      return [];
  }
}

/** A hint for a selector that matched nothing, beyond the suggestions. */
export function noMatchHint(ix: ModelIndex, node: SelectorNode): string {
  if (node.t === 'layers') {
    return `The model has ${ix.layers.length} layers (0..${ix.layers.length - 1}); negative indices count from the end.`;
  }
  if (node.t === 'names') {
    return '`names` lists exact full parameter names (or aliases): no segments, globs or patterns.';
  }
  if (node.t === 'name') {
    return 'Names match whole segments (`fc1` never matches `fc10`); use a glob like `fc1*` for prefixes.';
  }
  return 'Check it with selectParams(), or set `strict: false` if matching nothing is intended.';
}

export { q };
