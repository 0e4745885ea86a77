/**
 * What to say when a strict selector matches nothing: the nearest real names, layer paths, aliases,
 * segments or layer types (depending on what the selector looked for), and a hint.
 */
import { type ModelIndex, pathsOf } from '../model';
import { nearestNames } from '../suggest';
import { missingNames } from './match-index';
import type { SelectorNode } from './node';

/** Every name, alias and layer path of the model. */
function allPaths(ix: ModelIndex): string[] {
  const pool = new Set<string>(ix.layers.filter((l) => l !== ''));
  for (let i = 0; i < ix.n; i++) for (const p of pathsOf(ix, i)) pool.add(p);
  return [...pool];
}

/** Suggestions for a selector that matched nothing (for `{ names }`: for its first unknown name). */
export function suggestFor(ix: ModelIndex, node: SelectorNode, k = 3): string[] {
  switch (node.t) {
    case 'name':
    case 'glob': {
      const query = node.t === 'name' ? node.segs.join('.') : node.glob.literals.join('.');
      return query === '' ? [] : nearestNames(query, allPaths(ix), k);
    }
    case 'names': {
      const missing = missingNames(ix, node);
      return missing.length === 0 ? [] : nearestNames(missing[0]!, allPaths(ix), k);
    }
    case 'type': {
      const types = [...new Set(ix.layerTypes.filter((t): t is string => typeof t === 'string'))];
      const out: string[] = [];
      for (const t of node.types)
        for (const s of nearestNames(t, types, k)) if (!out.includes(`type:${s}`)) out.push(`type:${s}`);
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
  switch (node.t) {
    case 'layers':
      return `The model has ${ix.layers.length} layers (0..${ix.layers.length - 1}); negative indices count from the end.`;
    case 'names':
      return '`names` lists exact full parameter names (or aliases): no segments, globs or patterns.';
    case 'name':
      return 'Names match whole segments (`fc1` never matches `fc10`); use a glob like `fc1*` to also select `fc10` and `fc1_x`.';
    case 'glob':
      return 'A glob matches a run of whole segments anywhere in a name: `*` stays inside one segment, `**` spans any number.';
    default:
      return 'Check it with selectParams(), or set `strict: false` if matching nothing is intended.';
  }
}
