/** The canonical one-line string form of a selector, for plans, tables and messages. */
import type { Selector } from '../types';
import { isPlainObject } from './node';

/** Canonical one-line string form of a selector, for plans, tables and messages. */
export function formatSelector(sel: Selector | unknown): string {
  if (typeof sel === 'string') return sel.trim();
  if (sel instanceof RegExp) return `/${sel.source}/${sel.flags}`;
  if (Array.isArray(sel))
    return sel.length === 1 ? formatSelector(sel[0]) : `[${sel.map(formatSelector).join(', ')}]`;
  if (!isPlainObject(sel)) return String(sel);
  return formatObject(sel);
}

function formatObject(o: Record<string, unknown>): string {
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
