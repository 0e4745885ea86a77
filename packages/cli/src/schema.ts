import { nearestNames } from '@frostline/core';
import { CliError } from './errors';

/**
 * A small validator for run configs: every error names the exact path (`dataset.mnist.perClass`),
 * what was expected and what was found, and unknown keys get a "did you mean". No schema library:
 * the config surface is small and the messages matter more than generality.
 */
export type Schema =
  | { type: 'string'; enum?: readonly string[]; nonEmpty?: boolean }
  | { type: 'number'; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }
  | { type: 'boolean' }
  | { type: 'array'; items: Schema; minItems?: number }
  | { type: 'object'; props: Record<string, Schema>; required?: readonly string[]; open?: boolean }
  | { type: 'oneOf'; options: readonly Schema[] }
  | { type: 'any' };

export class SchemaError extends CliError {
  declare readonly path: string;
  constructor(path: string, message: string) {
    super('BAD_CONFIG', `${path || '(root)'}: ${message}`);
    Object.defineProperty(this, 'path', { value: path, enumerable: true });
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function expected(schema: Schema): string {
  switch (schema.type) {
    case 'string':
      return schema.enum ? `one of ${schema.enum.map((e) => `'${e}'`).join(', ')}` : 'a string';
    case 'number': {
      const kind = schema.integer ? 'an integer' : 'a number';
      const parts: string[] = [];
      if (schema.min !== undefined) parts.push(`${schema.exclusiveMin ? '>' : '≥'} ${schema.min}`);
      if (schema.max !== undefined) parts.push(`≤ ${schema.max}`);
      return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
    }
    case 'boolean':
      return 'true or false';
    case 'array':
      return `a list of ${expected(schema.items).replace(/^an? /, '')}s`;
    case 'object':
      return 'an object';
    case 'oneOf':
      return schema.options.map(expected).join(' or ');
    case 'any':
      return 'a value';
  }
}

function typeMatches(schema: Schema, value: unknown): boolean {
  switch (schema.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'oneOf':
      return schema.options.some((o) => typeMatches(o, value));
    case 'any':
      return true;
  }
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

export function validate(schema: Schema, value: unknown, path = ''): void {
  switch (schema.type) {
    case 'any':
      return;
    case 'oneOf': {
      const option = schema.options.find((o) => typeMatches(o, value));
      if (!option) throw new SchemaError(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      validate(option, value, path);
      return;
    }
    case 'string':
      if (typeof value !== 'string')
        throw new SchemaError(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      if (schema.enum && !schema.enum.includes(value)) {
        const near = nearestNames(value, [...schema.enum], 1);
        throw new SchemaError(
          path,
          `expected ${expected(schema)}, got '${value}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}`,
        );
      }
      if (schema.nonEmpty && value.trim() === '') throw new SchemaError(path, 'must not be empty');
      return;
    case 'number': {
      const bad =
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (schema.integer && !Number.isInteger(value)) ||
        (schema.min !== undefined && (schema.exclusiveMin ? value <= schema.min : value < schema.min)) ||
        (schema.max !== undefined && value > schema.max);
      if (bad) throw new SchemaError(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new SchemaError(path, `expected true or false, got ${describeValue(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value))
        throw new SchemaError(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        throw new SchemaError(
          path,
          `needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`,
        );
      }
      for (let i = 0; i < value.length; i++) validate(schema.items, value[i], join(path, i));
      return;
    case 'object': {
      if (!typeMatches(schema, value)) {
        throw new SchemaError(path, `expected an object, got ${describeValue(value)}`);
      }
      const obj = value as Record<string, unknown>;
      if (!schema.open) {
        const allowed = Object.keys(schema.props);
        for (const key of Object.keys(obj)) {
          if (!allowed.includes(key)) {
            const near = nearestNames(key, allowed, 1);
            throw new SchemaError(
              join(path, key),
              `unknown key${near.length ? ` (did you mean '${near[0]}'?)` : ''}; allowed here: ${allowed.join(', ')}`,
            );
          }
        }
      }
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined || obj[key] === null)
          throw new SchemaError(join(path, key), 'is required');
      }
      for (const [key, sub] of Object.entries(schema.props)) {
        if (obj[key] !== undefined) validate(sub, obj[key], join(path, key));
      }
      return;
    }
  }
}
