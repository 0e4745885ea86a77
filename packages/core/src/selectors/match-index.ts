/**
 * Matching a whole indexed model: what plans use. Everything works on prefix groups (a layer's
 * parameters share one), on interned segment ids, and resumes from the previous group's state where
 * the two groups share leading segments: most of the 100k names of a deep model are never looked at
 * one by one. Must agree with `testNode` in `match-one.ts` (held equal by a property test).
 */
import { indexModelCached, type ModelIndex, nameIndex } from '../model';
import type { ParamInfo, Selector } from '../types';
import { type GlobPattern, globMatchesPath, globStep, segmentHit, wildcardMatch } from './glob';
import { resolveRange, type SelectorNode } from './node';
import { parseSelector } from './parse';

/** Indices (distinct, in no promised order) of the parameters a selector matches. */
export function matchIndex(ix: ModelIndex, node: SelectorNode): number[] {
  switch (node.t) {
    case 'name':
      return matchName(ix, node.segs);
    case 'names':
      return matchNames(ix, node.set);
    case 'glob':
      return matchGlob(ix, node.glob);
    case 'regex':
      return matchRegex(ix, node.re);
    case 'type':
      return matchType(ix, node);
    case 'layers':
      return matchLayers(ix, node);
    case 'any':
      return node.items.length === 1 ? matchIndex(ix, node.items[0]!) : matchAny(ix, node.items);
    case 'all':
      return matchAll(ix, node.items);
    default:
      return fromMask(maskOf(ix, matchIndex(ix, node.item)), 0);
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

function maskOf(ix: ModelIndex, list: readonly number[]): Uint8Array {
  const m = new Uint8Array(ix.n);
  for (let i = 0; i < list.length; i++) m[list[i]!] = 1;
  return m;
}

function fromMask(m: Uint8Array, want = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i] === want) out.push(i);
  return out;
}

function matchAny(ix: ModelIndex, items: readonly SelectorNode[]): number[] {
  const m = new Uint8Array(ix.n);
  for (const it of items) {
    const list = matchIndex(ix, it);
    for (let i = 0; i < list.length; i++) m[list[i]!] = 1;
  }
  return fromMask(m);
}

function matchAll(ix: ModelIndex, items: readonly SelectorNode[]): number[] {
  const counts = new Uint16Array(ix.n);
  for (const it of items) {
    const list = matchIndex(ix, it);
    for (let i = 0; i < list.length; i++) counts[list[i]!]!++;
  }
  const out: number[] = [];
  for (let i = 0; i < ix.n; i++) if (counts[i] === items.length) out.push(i);
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

type AliasEntry = { strings: readonly string[]; segs: readonly (readonly number[])[] };

/** Add the aliased parameters that `hit` accepts and `out` lacks. */
function addAliasHits(ix: ModelIndex, out: number[], hit: (a: AliasEntry) => boolean): number[] {
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

/** Whether group g's prefix ends with `ids[0..k-1)`, so a run can end in its members' last segment. */
function prefixEndsWith(ix: ModelIndex, g: number, ids: Int32Array, k: number): boolean {
  const s = ix.groupSegStart[g]!;
  const e = ix.groupSegStart[g + 1]!;
  if (k - 1 > e - s) return false;
  for (let j = 0; j < k - 1; j++) if (ix.groupSegFlat[e - (k - 1) + j] !== ids[j]) return false;
  return true;
}

function matchName(ix: ModelIndex, segs: readonly string[]): number[] {
  const ids = toIds(ix, segs);
  if (!ids) return [];
  const k = ids.length;
  const tail = ids[k - 1]!;
  const { groupSegStart: gs, groupSegFlat: flat, groupMemberStart: ms, groupMemberFlat: mf, lastSeg } = ix;
  const out: number[] = [];
  for (let g = 0; g < ix.groupCount; g++) {
    if (segsRun(flat, gs[g]!, gs[g + 1]!, ids)) pushGroup(ix, g, out);
    else if (prefixEndsWith(ix, g, ids, k)) {
      for (let m = ms[g]!, me = ms[g + 1]!; m < me; m++) if (lastSeg[mf[m]!] === tail) out.push(mf[m]!);
    }
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

function matchRegex(ix: ModelIndex, re: RegExp): number[] {
  const out: number[] = [];
  for (let i = 0; i < ix.n; i++) if (re.test(ix.names[i]!)) out.push(i);
  return addAliasHits(ix, out, (a) => a.strings.some((x) => re.test(x)));
}

/** A parameter's type is its layer's: answer once per distinct layer type. */
function matchType(ix: ModelIndex, node: Extract<SelectorNode, { t: 'type' }>): number[] {
  const out: number[] = [];
  const seen = new Map<string, boolean>();
  for (let l = 0; l < ix.layers.length; l++) {
    const t = ix.layerTypes[l];
    if (t === undefined) continue;
    let hit = seen.get(t);
    if (hit === undefined) {
      hit = node.patterns.some((w) => wildcardMatch(w, t));
      seen.set(t, hit);
    }
    if (hit) {
      for (let k = ix.layerMemberStart[l]!, e = ix.layerMemberStart[l + 1]!; k < e; k++) {
        out.push(ix.layerMemberFlat[k]!);
      }
    }
  }
  return out;
}

function matchLayers(ix: ModelIndex, node: Extract<SelectorNode, { t: 'layers' }>): number[] {
  const [from, to] = resolveRange(node, ix.layers.length);
  const out: number[] = [];
  if (from > to) return out;
  // Layers' members are one contiguous run of the member list.
  const { layerMemberStart: ls, layerMemberFlat: lf } = ix;
  for (let k = ls[from]!, e = ls[to + 1]!; k < e; k++) out.push(lf[k]!);
  return out;
}

/**
 * The glob's NFA as a lazily built DFA over segment ids: one row of next states per distinct state,
 * filled on demand. Wildcard segment tests are cached per (segment id, position).
 */
function globDfa(ix: ModelIndex, g: GlobPattern): (state: number, id: number) => number {
  const m = g.segs.length;
  const lit = g.segs.map((seg, j) => (g.kinds[j] === 0 ? ix.segId.get(seg)! : -1));
  const wildCache = new Map<number, boolean>();
  const hit = (id: number) => (j: number) => {
    if (g.kinds[j] === 0) return lit[j] === id;
    const key = id * 32 + j;
    let h = wildCache.get(key);
    if (h === undefined) {
      h = segmentHit(g, j, ix.segStrings[id]!);
      wildCache.set(key, h);
    }
    return h;
  };
  // States are bit sets over m + 1 positions: for short patterns an array indexed by state.
  const rowsArr: (Int32Array | undefined)[] | undefined = m <= 12 ? new Array(1 << (m + 1)) : undefined;
  const rows = new Map<number, Int32Array>();
  const segCount = ix.segStrings.length;
  let rowState = -1;
  let row: Int32Array = new Int32Array(0);
  return (st, id) => {
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
      v = globStep(g, st, hit(id));
      row[id] = v;
    }
    return v;
  };
}

function matchGlob(ix: ModelIndex, g: GlobPattern): number[] {
  const aliasHits = (out: number[]) =>
    addAliasHits(ix, out, (a) => a.strings.some((x) => globMatchesPath(g, x)));
  // Every run contains each literal segment: one no name has (aliases are interned too) rules all out.
  if (g.literals.some((seg) => !ix.segId.has(seg))) return [];
  const next = globDfa(ix, g);
  const {
    groupSegStart: gs,
    groupSegFlat: flat,
    groupCommon,
    groupMemberStart: ms,
    groupMemberFlat: mf,
  } = ix;
  let maxDepth = 0;
  for (let k = 0; k < ix.groupCount; k++) maxDepth = Math.max(maxDepth, gs[k + 1]! - gs[k]!);
  // stack[d] = state after the first d segments of the current group.
  const stack = new Int32Array(maxDepth + 1);
  stack[0] = g.start;
  const out: number[] = [];
  for (let k = 0; k < ix.groupCount; k++) {
    // Resume from the state after the segments shared with the previous group.
    let depth = k === 0 ? 0 : groupCommon[k]!;
    let st = stack[depth]!;
    for (let s = gs[k]! + depth; s < gs[k + 1]!; s++) {
      st = next(st, flat[s]!);
      stack[++depth] = st;
    }
    for (let e = ms[k]!; e < ms[k + 1]!; e++) {
      const i = mf[e]!;
      const last = ix.lastSeg[i]!;
      if ((last < 0 ? st : next(st, last)) & g.accept) out.push(i);
    }
  }
  return aliasHits(out);
}
