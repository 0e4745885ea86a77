/**
 * Globs without regular expressions. A glob follows the rule of plain paths: its segments match a
 * contiguous run of whole segments anywhere in a name (`encoder.*.0` selects
 * `encoder.layer.0.attention.weight`, `fc1*` selects the parameters of `fc1`, `fc10`, `fc1_x`). `*` is
 * any text inside one segment, `**` any number (0+) of whole segments.
 *
 * A glob runs as a small NFA over segments, its state a bit set of pattern positions (so at most 30
 * segments); `*` inside a segment is matched greedily left to right, which is exact for `*`-only
 * patterns and never backtracks. Both evaluators (one parameter here, the indexed DFA in
 * `match-index.ts`) step the same NFA, so they cannot disagree.
 */
import { splitPath } from '../model';

/** A one-segment pattern with `*` wildcards: its literal parts, in order. */
export interface WildcardPattern {
  readonly parts: readonly string[];
  readonly ignoreCase: boolean;
}

export function compileWildcard(text: string, ignoreCase = false): WildcardPattern {
  return { parts: (ignoreCase ? text.toLowerCase() : text).split(/\*+/), ignoreCase };
}

/** Whether `text` matches: first part a prefix, last a suffix, the others found in order between. */
export function wildcardMatch(w: WildcardPattern, text: string): boolean {
  const parts = w.parts;
  const s = w.ignoreCase ? text.toLowerCase() : text;
  const n = parts.length;
  if (n === 1) return s === parts[0];
  const first = parts[0]!;
  const last = parts[n - 1]!;
  if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false;
  const end = s.length - last.length;
  let pos = first.length;
  for (let k = 1; k < n - 1; k++) {
    const at = s.indexOf(parts[k]!, pos);
    if (at < 0 || at + parts[k]!.length > end) return false;
    pos = at + parts[k]!.length;
  }
  return true;
}

const LITERAL = 0;
const WILD = 1;
const ANY_SEGMENTS = 2;

export interface GlobPattern {
  readonly source: string;
  readonly segs: readonly string[];
  /** Per position: 0 literal segment, 1 segment with `*`, 2 `**`. */
  readonly kinds: Int8Array;
  readonly wild: readonly (WildcardPattern | undefined)[];
  /** The segments without wildcards (suggestions and index look-ups use them). */
  readonly literals: readonly string[];
  /** State before any segment: position 0 and what `**` reaches from it. */
  readonly start: number;
  /** The bit of the final position: a run has matched. */
  readonly accept: number;
}

/** Compile a glob; the parser has checked that it has 1..30 segments. */
export function compileGlob(source: string): GlobPattern {
  const segs = splitPath(source);
  const m = segs.length;
  const kinds = new Int8Array(m);
  const wild: (WildcardPattern | undefined)[] = [];
  segs.forEach((seg, j) => {
    if (seg === '**') kinds[j] = ANY_SEGMENTS;
    else if (seg.includes('*')) {
      kinds[j] = WILD;
      wild[j] = compileWildcard(seg);
    } else kinds[j] = LITERAL;
  });
  const g = {
    source,
    segs,
    kinds,
    wild,
    literals: segs.filter((x) => !x.includes('*')),
    start: 0,
    accept: 1 << m,
  };
  g.start = globClosure(g, 1);
  return g;
}

/** Add the positions that `**` reaches without consuming a segment. */
export function globClosure(g: Pick<GlobPattern, 'kinds'>, state: number): number {
  let st = state;
  for (let j = 0; j < g.kinds.length; j++)
    if (st & (1 << j) && g.kinds[j] === ANY_SEGMENTS) st |= 1 << (j + 1);
  return st;
}

/**
 * The state after one more segment: positions whose segment pattern accepts it (`hit(j)`) advance,
 * `**` stays, and a new run may start at the next segment. Acceptance is sticky: a run that matched
 * anywhere selects the name.
 */
export function globStep(g: GlobPattern, state: number, hit: (j: number) => boolean): number {
  if (state & g.accept) return state;
  let next = 0;
  for (let j = 0; j < g.kinds.length; j++) {
    if (!(state & (1 << j))) continue;
    if (g.kinds[j] === ANY_SEGMENTS) next |= 1 << j;
    else if (hit(j)) next |= 1 << (j + 1);
  }
  return globClosure(g, next) | g.start;
}

/** Whether the pattern's position `j` (not `**`) accepts segment `seg`. */
export function segmentHit(g: GlobPattern, j: number, seg: string): boolean {
  return g.kinds[j] === LITERAL ? g.segs[j] === seg : wildcardMatch(g.wild[j]!, seg);
}

/** Whether the glob matches a run of the path's segments. */
export function globMatchesPath(g: GlobPattern, path: string): boolean {
  let st = g.start;
  for (const seg of splitPath(path)) {
    if (st & g.accept) return true;
    st = globStep(g, st, (j) => segmentHit(g, j, seg));
  }
  return (st & g.accept) !== 0;
}

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * The same rule as one backtracking regular expression over the raw name: the naive baseline of the
 * benchmark (it differs from the matchers only on names with empty segments such as `a//b`).
 */
export function globToRegExp(glob: string): RegExp {
  const segs = splitPath(glob);
  // Leading and trailing `**` add nothing to a run that may start and end anywhere.
  let a = 0;
  let b = segs.length;
  while (a < b && segs[a] === '**') a++;
  while (b > a && segs[b - 1] === '**') b--;
  if (a === b) return /[^./]/;
  let out = '(?:^|[./])';
  let afterDouble = false;
  for (let i = a; i < b; i++) {
    const seg = segs[i]!;
    if (seg === '**') {
      afterDouble = true;
      continue;
    }
    if (i > a) out += afterDouble ? '[./](?:.*[./])?' : '[./]';
    out += seg.split(/\*+/).map(escapeRe).join('[^./]*');
    afterDouble = false;
  }
  return new RegExp(`${out}(?=[./]|$)`);
}
