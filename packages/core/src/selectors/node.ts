/**
 * The parsed form of a selector, shared by the parser, the two evaluators (one parameter, a whole
 * indexed model) and the suggestions for a selector that matched nothing.
 */
import type { GlobPattern, WildcardPattern } from './glob';

export type SelectorNode =
  | { t: 'name'; segs: string[] }
  | { t: 'names'; set: ReadonlySet<string> }
  | { t: 'glob'; glob: GlobPattern }
  | { t: 'regex'; re: RegExp }
  | { t: 'type'; types: string[]; patterns: WildcardPattern[] }
  | { t: 'layers'; from?: number; to?: number; none?: boolean }
  | { t: 'any'; items: SelectorNode[] }
  | { t: 'all'; items: SelectorNode[] }
  | { t: 'not'; item: SelectorNode };

/** Longest selector text (path, glob, regex source, layer type list): longer is `SELECTOR_TOO_LONG`. */
export const MAX_SELECTOR_LENGTH = 1000;
/** Most path segments in a glob (its state set is one 32-bit word). */
export const MAX_GLOB_SEGMENTS = 30;
/** Deepest nesting of lists, `any`, `all`, `not` and `!`. */
export const MAX_DEPTH = 32;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
}

/** A layer range resolved against `count` layers: inclusive [from, to], empty when from > to. */
export function resolveRange(
  node: { from?: number; to?: number; none?: boolean },
  count: number,
): [number, number] {
  if (node.none || count === 0) return [0, -1];
  let from = node.from ?? 0;
  let to = node.to ?? count - 1;
  if (from < 0) from += count;
  if (to < 0) to += count;
  return [Math.max(0, from), Math.min(count - 1, to)];
}
