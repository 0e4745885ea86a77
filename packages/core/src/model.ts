/**
 * A model as core sees it: the flat parameter list, validated once and indexed for fast selector
 * matching. This runs on every plan, for models of 100k+ tensors, so it is built in one pass with
 * almost no per-parameter allocation:
 * - parameters are grouped by their *prefix* (the name without its last segment); consecutive
 *   parameters usually share it, so most parameters cost one `startsWith` and no string slice;
 * - a new prefix is split only past the part it shares with the previous prefix, and its segments
 *   are interned to integers (`groupSegFlat`); `groupCommon` records the shared part so matchers can
 *   resume from the previous group's state instead of starting over;
 * - last segments (`weight`, `bias`, `kernel` …) come from a tiny cache, no slice;
 * - duplicate names are detected within their prefix group, without a map of all names.
 */
import { PolicyError } from './errors';
import type { ParamInfo } from './types';

export interface ModelIndex {
  readonly params: readonly ParamInfo[];
  readonly n: number;
  readonly names: readonly string[];
  /** Segment string ↔ id. */
  readonly segId: ReadonlyMap<string, number>;
  readonly segStrings: readonly string[];
  /** Prefix groups: group g's segment ids are `groupSegFlat[groupSegStart[g] .. groupSegStart[g + 1])`. */
  readonly groupCount: number;
  readonly groupSegStart: Int32Array;
  readonly groupSegFlat: Int32Array;
  /** Number of leading segments group g shares with group g − 1. */
  readonly groupCommon: Int32Array;
  /** Members of group g: `groupMemberFlat[groupMemberStart[g] .. groupMemberStart[g + 1])`, ascending. */
  readonly groupMemberStart: Int32Array;
  readonly groupMemberFlat: Int32Array;
  /** Parameter → its prefix group. */
  readonly groupOf: Int32Array;
  /** Parameter → segment id of its last segment (−1 when the name ends with a separator). */
  readonly lastSeg: Int32Array;
  /** Aliases of the parameters that have any: strings and their segment ids. */
  readonly aliases: ReadonlyMap<
    number,
    { readonly strings: readonly string[]; readonly segs: readonly (readonly number[])[] }
  >;
  /** Parameter → index of its layer in `layers`. */
  readonly layerOf: Int32Array;
  /** Layer paths in order of first appearance. */
  readonly layers: readonly string[];
  readonly layerTypes: readonly (string | undefined)[];
  /** Members of layer l: `layerMemberFlat[layerMemberStart[l] .. layerMemberStart[l + 1])`, ascending. */
  readonly layerMemberStart: Int32Array;
  readonly layerMemberFlat: Int32Array;
  /** Parameter → number of scalars. */
  readonly sizes: Float64Array;
  /** 1 for buffers. */
  readonly isBuffer: Uint8Array;
  /** 1 for fixed (inference-only) parameters. */
  readonly isFixed: Uint8Array;
  /** Selector (key) → matched parameters, filled by the planner: re-plans reuse them. */
  readonly matches: Map<string, readonly number[]>;
}

/** Name and aliases of parameter `i`. */
export function pathsOf(ix: ModelIndex, i: number): readonly string[] {
  const a = ix.aliases.get(i);
  return a ? [ix.names[i]!, ...a.strings] : [ix.names[i]!];
}

/** Parameters of layer `l`, ascending. */
export function layerMembers(ix: ModelIndex, l: number): Int32Array {
  return ix.layerMemberFlat.subarray(ix.layerMemberStart[l]!, ix.layerMemberStart[l + 1]!);
}

const nameMaps = new WeakMap<ModelIndex, Map<string, number>>();

/** Name → parameter index, built on first use (planning itself never needs it). */
export function nameIndex(ix: ModelIndex): ReadonlyMap<string, number> {
  let m = nameMaps.get(ix);
  if (!m) {
    m = new Map();
    for (let i = 0; i < ix.n; i++) m.set(ix.names[i]!, i);
    nameMaps.set(ix, m);
  }
  return m;
}

/** Counting sort of `key` (values < k) into CSR form. */
function csr(key: Int32Array, k: number): { start: Int32Array; flat: Int32Array } {
  const start = new Int32Array(k + 1);
  for (let i = 0; i < key.length; i++) start[key[i]! + 1]!++;
  for (let g = 0; g < k; g++) start[g + 1]! += start[g]!;
  const fill = start.slice(0, k);
  const flat = new Int32Array(key.length);
  for (let i = 0; i < key.length; i++) flat[fill[key[i]!]!++] = i;
  return { start, flat };
}

const isSep = (c: number) => c === 46 /* . */ || c === 47; /* / */

/** Segments in `s[0..end)`: maximal runs of non-separators. */
function countSegments(s: string, end: number): number {
  let count = 0;
  let inSeg = false;
  for (let i = 0; i < end; i++) {
    const sep = isSep(s.charCodeAt(i));
    if (!sep && !inSeg) count++;
    inSeg = !sep;
  }
  return count;
}

const SEP = /[./]/;

/** Split a parameter path into segments on `/` and `.`; empty segments are dropped. */
export function splitPath(name: string): string[] {
  if (typeof name !== 'string') return [];
  return name.split(SEP).filter((s) => s !== '');
}

/** The name without its last segment ('' for a top-level parameter). */
export function defaultLayerOf(name: string): string {
  const cut = Math.max(name.lastIndexOf('.'), name.lastIndexOf('/'));
  return cut <= 0 ? '' : name.slice(0, cut);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

export { describe as describeValue };

/**
 * Paddle's BatchNorm lists its moving statistics in `named_parameters()` as `<bn>._mean` / `<bn>._variance`
 * (with `stop_gradient=True`): statistics, not parameters. Named that way and not marked, they are buffers.
 */
function isPaddleBnStatistic(name: string): boolean {
  return (
    name.endsWith('._mean') ||
    name.endsWith('._variance') ||
    name.endsWith('/_mean') ||
    name.endsWith('/_variance')
  );
}

/**
 * Validate and index a parameter list. Throws `PolicyError` (`INVALID_TYPE`, `DUPLICATE_PARAMETER`,
 * `EMPTY_MODEL`) with a path like `params[3].shape`.
 */
// Long by design: one pass over 100k+ names whose steps share growing typed arrays; split, each
// parameter would pay several calls and the closures' state would move into an object.
export function indexModel(params: unknown, opts: { allowEmpty?: boolean } = {}): ModelIndex {
  if (!Array.isArray(params)) {
    throw new PolicyError('INVALID_TYPE', `expected an array of parameters, got ${describe(params)}`, {
      path: 'params',
      hint: 'Pass the list an adapter returns, e.g. listParams(model) from @frostline/tfjs.',
    });
  }
  const n = params.length;
  if (n === 0 && !opts.allowEmpty) {
    throw new PolicyError('EMPTY_MODEL', 'the model has no parameters', {
      path: 'params',
      hint: 'Build the model (call it once or give it an input shape) before listing its parameters.',
    });
  }
  // Arrays grow by push: `new Array(n)` with n ≥ ~100k gives slow dictionary-mode arrays in V8.
  const names: string[] = [];
  const segId = new Map<string, number>();
  const segStrings: string[] = [];
  const intern = (seg: string): number => {
    let id = segId.get(seg);
    if (id === undefined) {
      id = segStrings.length;
      segId.set(seg, id);
      segStrings.push(seg);
    }
    return id;
  };

  // Prefix groups.
  // Group identity: an open-addressing table keyed by a hash of the segment ids (no string
  // hashing of long prefixes), confirmed by comparing ids and then the prefix string.
  let table = new Int32Array(1 << 12).fill(-1);
  let tableMask = table.length - 1;
  const hashSegs = (from: number, to: number): number => {
    let h = 0x811c9dc5 ^ (to - from);
    for (let k = from; k < to; k++) h = Math.imul(h ^ segFlat[k]!, 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  };
  const groupPrefix: string[] = [];
  let groupSegStart = new Int32Array(1024);
  let groupCommon = new Int32Array(1024);
  let groupHead = new Int32Array(1024); // last member so far (duplicate check chain)
  let groupSize = new Int32Array(1024);
  let groupLayer = new Int32Array(1024);
  let segFlat = new Int32Array(4096);
  let fl = 0;
  const groupSets = new Map<number, Set<string>>();
  const prevInGroup = new Int32Array(n);
  const groupOf = new Int32Array(n);
  const lastSeg = new Int32Array(n);

  // Long by design: the hot step of indexModel's one pass; it grows the shared typed arrays above.
  const groupOfPrefix = (prefix: string): number => {
    const g = groupPrefix.length;
    // Segments of the prefix, written after the last group's (committed only for a new group).
    // The part shared with the previous group (up to a common boundary) is copied, not split.
    let boundary = 0;
    let common = 0;
    if (g > 0) {
      const prev = groupPrefix[g - 1]!;
      const lim = Math.min(prev.length, prefix.length);
      let c = 0;
      while (c < lim && prev.charCodeAt(c) === prefix.charCodeAt(c)) c++;
      let b = c;
      while (
        b > 0 &&
        !(
          (b === prefix.length || isSep(prefix.charCodeAt(b))) &&
          (b === prev.length || isSep(prev.charCodeAt(b)))
        )
      ) {
        b--;
      }
      boundary = b;
      common = countSegments(prefix, b);
    }
    const rest = splitPath(boundary === 0 ? prefix : prefix.slice(boundary));
    const need = fl + common + rest.length;
    if (need > segFlat.length) {
      const b = new Int32Array(Math.max(need, segFlat.length * 2));
      b.set(segFlat);
      segFlat = b;
    }
    let end = fl;
    if (common > 0) {
      const ps = groupSegStart[g - 1]!;
      segFlat.copyWithin(end, ps, ps + common);
      end += common;
    }
    for (const r of rest) segFlat[end++] = intern(r);
    const len = end - fl;
    let slot = hashSegs(fl, end) & tableMask;
    for (let cand = table[slot]!; cand >= 0; cand = table[slot]!) {
      const cs = groupSegStart[cand]!;
      if (groupSegStart[cand + 1]! - cs === len) {
        let same = true;
        for (let k = 0; k < len && same; k++) same = segFlat[cs + k] === segFlat[fl + k];
        // Same segments; the separators may still differ ('a.b' vs 'a/b').
        if (same && groupPrefix[cand] === prefix) return cand;
      }
      slot = (slot + 1) & tableMask;
    }
    // A new group.
    if (g + 2 >= groupSegStart.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      groupSegStart = grow(groupSegStart);
      groupCommon = grow(groupCommon);
      groupHead = grow(groupHead);
      groupSize = grow(groupSize);
      groupLayer = grow(groupLayer);
    }
    groupPrefix.push(prefix);
    groupHead[g] = -1;
    groupLayer[g] = -1;
    groupSegStart[g] = fl;
    groupSegStart[g + 1] = end;
    groupCommon[g] = common;
    fl = end;
    table[slot] = g;
    if ((g + 1) * 2 > table.length) {
      table = new Int32Array(table.length * 2).fill(-1);
      tableMask = table.length - 1;
      for (let k = 0; k <= g; k++) {
        let sl = hashSegs(groupSegStart[k]!, groupSegStart[k + 1]!) & tableMask;
        while (table[sl]! >= 0) sl = (sl + 1) & tableMask;
        table[sl] = k;
      }
    }
    return g;
  };

  // Last segments: a handful of distinct strings in any real model.
  const lastStr: string[] = [];
  const lastId: number[] = [];

  // Layers named by prefix are found through their group; the name → layer map is only needed
  // (and then filled in) once a parameter names its layer explicitly.
  let layerIdx: Map<string, number> | undefined;
  const layers: string[] = [];
  const layerTypes: (string | undefined)[] = [];
  const layerOf = new Int32Array(n);
  const addLayer = (name: string, type: unknown, explicit: boolean): number => {
    if (explicit && !layerIdx) {
      layerIdx = new Map();
      for (let k = 0; k < layers.length; k++) if (!layerIdx.has(layers[k]!)) layerIdx.set(layers[k]!, k);
    }
    let li = layerIdx?.get(name);
    if (li === undefined) {
      li = layers.length;
      layerIdx?.set(name, li);
      layers.push(name);
      layerTypes.push(typeof type === 'string' ? type : undefined);
    } else if (layerTypes[li] === undefined && typeof type === 'string') {
      layerTypes[li] = type;
    }
    return li;
  };
  let prevLayerName: string | undefined;
  let prevLayer = -1;

  const sizes = new Float64Array(n);
  const isBuffer = new Uint8Array(n);
  const isFixed = new Uint8Array(n);
  const aliases = new Map<number, { strings: string[]; segs: number[][] }>();
  const fail = (i: number, key: string, detail: string): never => {
    throw new PolicyError('INVALID_TYPE', detail, { path: key ? `params[${i}].${key}` : `params[${i}]` });
  };

  let g = -1;
  let gPrefix = '';
  for (let i = 0; i < n; i++) {
    const p = params[i] as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || Array.isArray(p))
      fail(i, '', `expected a parameter object, got ${describe(p)}`);
    const { name, shape, layer, layerType, kind } = p as Record<string, unknown>;
    if (typeof name !== 'string')
      fail(i, 'name', `parameter name must be a non-empty path, got ${describe(name)}`);
    const nm = name as string;
    names.push(nm);

    // Group by prefix; the previous parameter's group is the usual answer.
    let cut = nm.length - 1;
    while (cut >= 0 && !isSep(nm.charCodeAt(cut))) cut--;
    const plen = Math.max(cut, 0);
    if (!(g >= 0 && gPrefix.length === plen && (plen === 0 || nm.startsWith(gPrefix)))) {
      const prefix = plen === 0 ? '' : nm.slice(0, plen);
      g = groupOfPrefix(prefix);
      gPrefix = prefix;
    }
    groupOf[i] = g;

    // Last segment.
    let last = -1;
    const llen = nm.length - cut - 1;
    if (llen > 0) {
      for (let k = 0; k < lastStr.length; k++) {
        if (lastStr[k]!.length === llen && nm.endsWith(lastStr[k]!)) {
          last = lastId[k]!;
          break;
        }
      }
      if (last < 0) {
        const s = nm.slice(cut + 1);
        last = intern(s);
        if (lastStr.length < 16) {
          lastStr.push(s);
          lastId.push(last);
        }
      }
    } else if (groupSegStart[g + 1] === groupSegStart[g]) {
      fail(i, 'name', `parameter name must be a non-empty path, got ${describe(nm)}`);
    }
    lastSeg[i] = last;

    // Duplicates can only be in the same prefix group.
    const size = ++groupSize[g]!;
    if (size > 32) {
      let set = groupSets.get(g);
      if (!set) {
        set = new Set();
        for (let j = groupHead[g]!; j >= 0; j = prevInGroup[j]!) set.add(names[j]!);
        groupSets.set(g, set);
      }
      if (set.has(nm)) dup(i, nm, names);
      set.add(nm);
    } else {
      for (let j = groupHead[g]!; j >= 0; j = prevInGroup[j]!) if (names[j] === nm) dup(i, nm, names);
    }
    prevInGroup[i] = groupHead[g]!;
    groupHead[g] = i;

    if (!Array.isArray(shape)) fail(i, 'shape', `shape must be an array of sizes, got ${describe(shape)}`);
    let sz = 1;
    for (let d = 0; d < (shape as unknown[]).length; d++) {
      const s = (shape as unknown[])[d];
      if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
        fail(i, 'shape', `shape[${d}] must be a non-negative integer, got ${describe(s)}`);
      }
      sz *= s as number;
    }
    sizes[i] = sz;
    if (kind !== undefined && kind !== 'parameter' && kind !== 'buffer') {
      fail(i, 'kind', `kind must be 'parameter' or 'buffer', got ${describe(kind)}`);
    }
    if (kind === 'buffer' || (kind === undefined && isPaddleBnStatistic(nm))) isBuffer[i] = 1;
    if ((p as Record<string, unknown>).fixed === true) isFixed[i] = 1;
    if (layerType !== undefined && typeof layerType !== 'string') {
      fail(i, 'layerType', `layerType must be a string, got ${describe(layerType)}`);
    }

    // Layer: explicit, or the prefix (then it is cached on the group).
    let li: number;
    if (layer === undefined) {
      li = groupLayer[g]!;
      if (li < 0) {
        li = addLayer(gPrefix, layerType, false);
        groupLayer[g] = li;
      } else if (layerTypes[li] === undefined && typeof layerType === 'string') layerTypes[li] = layerType;
    } else if (typeof layer !== 'string') {
      li = fail(i, 'layer', `layer must be a string, got ${describe(layer)}`);
    } else if (layer === prevLayerName) {
      li = prevLayer;
      if (layerTypes[li] === undefined && typeof layerType === 'string') layerTypes[li] = layerType;
    } else {
      li = addLayer(layer, layerType, true);
      prevLayerName = layer;
      prevLayer = li;
    }
    layerOf[i] = li;

    const al = (p as Record<string, unknown>).aliases;
    if (al !== undefined) {
      if (!Array.isArray(al)) fail(i, 'aliases', `aliases must be an array of strings, got ${describe(al)}`);
      for (let a = 0; a < (al as unknown[]).length; a++) {
        const alias = (al as unknown[])[a];
        if (typeof alias !== 'string')
          fail(i, `aliases[${a}]`, `alias must be a string, got ${describe(alias)}`);
        const s = alias as string;
        const segs = splitPath(s);
        if (s === nm || segs.length === 0) continue;
        let entry = aliases.get(i);
        if (!entry) {
          entry = { strings: [], segs: [] };
          aliases.set(i, entry);
        }
        if (entry.strings.includes(s)) continue;
        entry.strings.push(s);
        entry.segs.push(segs.map(intern));
      }
    }
  }
  const groupCount = groupPrefix.length;
  const gm = csr(groupOf, groupCount);
  const lm = csr(layerOf, layers.length);
  return {
    params: params as ParamInfo[],
    n,
    names,
    segId,
    segStrings,
    groupCount,
    groupSegStart: groupSegStart.slice(0, groupCount + 1),
    groupSegFlat: segFlat.slice(0, fl),
    groupCommon: groupCommon.slice(0, groupCount),
    groupMemberStart: gm.start,
    groupMemberFlat: gm.flat,
    groupOf,
    lastSeg,
    aliases,
    layerOf,
    layers,
    layerTypes,
    layerMemberStart: lm.start,
    layerMemberFlat: lm.flat,
    sizes,
    isBuffer,
    isFixed,
    matches: new Map(),
  };
}

const indexCache = new WeakMap<object, { ix: ModelIndex; objs: unknown[] }>();

function sizeOf(shape: unknown): number {
  if (!Array.isArray(shape)) return Number.NaN;
  let s = 1;
  for (let d = 0; d < shape.length; d++) s *= shape[d] as number;
  return s;
}

/**
 * `indexModel`, cached per parameter array: trainers re-plan the same list every epoch. The cache
 * is used only while the array holds the same objects with the same name, size, kind, fixed flag
 * and layer type; a changed `layer` or `aliases` field is not noticed (pass a new array after such
 * edits).
 */
export function indexModelCached(params: unknown, opts: { allowEmpty?: boolean } = {}): ModelIndex {
  if (!Array.isArray(params)) return indexModel(params, opts);
  const hit = indexCache.get(params);
  if (hit && hit.objs.length === params.length) {
    const { ix, objs } = hit;
    let same = true;
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as ParamInfo;
      if (
        p !== objs[i] ||
        p.name !== ix.names[i] ||
        sizeOf(p.shape) !== ix.sizes[i] ||
        (p.kind === 'buffer' ? 1 : 0) !== ix.isBuffer[i] ||
        (p.fixed === true ? 1 : 0) !== ix.isFixed[i] ||
        (p.layerType !== undefined && p.layerType !== ix.layerTypes[ix.layerOf[i]!])
      ) {
        same = false;
        break;
      }
    }
    if (same) return ix;
  }
  const ix = indexModel(params, opts);
  indexCache.set(params, { ix, objs: params.slice() });
  return ix;
}

function dup(i: number, name: string, names: readonly string[]): never {
  const prev = names.indexOf(name);
  throw new PolicyError('DUPLICATE_PARAMETER', `parameter ${JSON.stringify(name)} is listed twice`, {
    path: `params[${i}].name`,
    hint: `It is also params[${prev}]. Names must be unique: include the layer path (e.g. 'block_1/conv/kernel').`,
  });
}
