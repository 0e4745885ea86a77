/**
 * Matching one parameter: the reference evaluator. `compileSelector(sel).test(p, ctx)` answers for
 * a single parameter; `match-index.ts` answers for a whole indexed model and must agree with it
 * (`test/selector-evaluators.test.ts` holds the two equal over random selectors and names).
 */
import { splitPath } from '../model';
import type { CompiledSelector, MatchContext, ParamInfo, Selector } from '../types';
import { formatSelector } from './format';
import { globMatchesPath, wildcardMatch } from './glob';
import { resolveRange, type SelectorNode } from './node';
import { parseSelector } from './parse';

/** Whether `sel` appears in `segs` as a contiguous run. */
function runMatches(segs: readonly string[], sel: readonly string[]): boolean {
  const k = sel.length;
  outer: for (let i = 0; i + k <= segs.length; i++) {
    for (let j = 0; j < k; j++) if (segs[i + j] !== sel[j]) continue outer;
    return true;
  }
  return false;
}

/** Whether `node` selects parameter `p`, known by `paths` (its name and aliases). */
export function testNode(
  node: SelectorNode,
  p: ParamInfo,
  paths: readonly string[],
  ctx?: MatchContext,
): boolean {
  switch (node.t) {
    case 'name':
      return paths.some((s) => runMatches(splitPath(s), node.segs));
    case 'names':
      return paths.some((s) => node.set.has(s));
    case 'glob':
      return paths.some((s) => globMatchesPath(node.glob, s));
    case 'regex':
      return paths.some((s) => node.re.test(s));
    case 'type': {
      // The layer's type as the plan sees it, when the caller knows it; else the parameter's own.
      const t = ctx?.layerType ?? p.layerType;
      return typeof t === 'string' && node.patterns.some((w) => wildcardMatch(w, t));
    }
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

/** A parameter's name and its aliases (those with at least one segment, as the model index keeps them). */
export function pathsOfParam(p: ParamInfo): string[] {
  if (!Array.isArray(p.aliases)) return [p.name];
  return [p.name, ...p.aliases.filter((a) => typeof a === 'string' && splitPath(a).length > 0)];
}

class Compiled implements CompiledSelector {
  constructor(
    readonly source: string,
    readonly node: SelectorNode,
  ) {}
  test(p: ParamInfo, ctx?: MatchContext): boolean {
    if (typeof p !== 'object' || p === null || typeof p.name !== 'string') return false;
    return testNode(this.node, p, pathsOfParam(p), ctx);
  }
}

/** Parse a selector once; `test` answers for one parameter. Throws `PolicyError` on malformed selectors. */
export function compileSelector(sel: Selector): CompiledSelector & { readonly node: SelectorNode } {
  return new Compiled(formatSelector(sel), parseSelector(sel));
}
