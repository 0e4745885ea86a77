import { nearestNames } from '@frostline/core';
import { CliError } from './errors';

/**
 * A small validator for run configs: every error names the exact path (`dataset.mnist.perClass`),
 * what was expected and what was found, and unknown keys get a "did you mean". No schema library:
 * the config surface is small and the messages matter more than generality.
 */
export type Schema =
  | {
      readonly type: 'string';
      readonly enum?: readonly string[];
      readonly nonEmpty?: boolean;
      readonly default?: string;
    }
  | {
      readonly type: 'number';
      readonly min?: number;
      readonly max?: number;
      readonly integer?: boolean;
      readonly exclusiveMin?: boolean;
      readonly default?: number;
    }
  | { readonly type: 'boolean'; readonly default?: boolean }
  | { readonly type: 'array'; readonly items: Schema; readonly minItems?: number }
  | {
      readonly type: 'object';
      readonly props: { readonly [key: string]: Schema };
      readonly required?: readonly string[];
      readonly open?: boolean;
      readonly default?: Readonly<Record<string, never>>;
    }
  | { readonly type: 'oneOf'; readonly options: readonly Schema[] }
  | { readonly type: 'any' };

/**
 * The TypeScript type of a value that passed `validate(schema)` and `withDefaults(schema)`: required
 * keys and keys with a `default` are present, the others optional; enums become string unions.
 */
export type Infer<S> = S extends { type: 'string'; enum: readonly (infer E)[] }
  ? E
  : S extends { type: 'string' }
    ? string
    : S extends { type: 'number' }
      ? number
      : S extends { type: 'boolean' }
        ? boolean
        : S extends { type: 'array'; items: infer I }
          ? Infer<I>[]
          : S extends { type: 'oneOf'; options: readonly (infer O)[] }
            ? Infer<O>
            : S extends { type: 'object'; open: true }
              ? Record<string, unknown>
              : S extends { type: 'object'; props: infer P }
                ? InferObject<P, S extends { required: readonly (infer R)[] } ? R : never>
                : unknown;

type Present<P, R> = {
  [K in keyof P]: K extends R ? K : P[K] extends { default: unknown } ? K : never;
}[keyof P];
type InferObject<P, R> = Flatten<
  { -readonly [K in Present<P, R>]-?: Infer<P[K]> } & {
    -readonly [K in Exclude<keyof P, Present<P, R>>]?: Infer<P[K]>;
  }
>;
type Flatten<T> = { [K in keyof T]: T[K] };

export class SchemaError extends CliError {
  declare readonly path: string;
  constructor(path: string, message: string, file?: string) {
    super('BAD_CONFIG', message, { path: path || '(root)', ...(file !== undefined ? { file } : {}) });
  }
}

/** A copy of `value` with the schema's defaults filled in, for every object present (validate first). */
export function withDefaults<S extends Schema>(schema: S, value: unknown): Infer<S> {
  return fill(schema, value) as Infer<S>;
}

function fill(schema: Schema, value: unknown): unknown {
  if (value === undefined && 'default' in schema && schema.default !== undefined) {
    return schema.type === 'object' ? fill(schema, {}) : schema.default;
  }
  if (schema.type === 'object' && !schema.open && value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, sub] of Object.entries(schema.props)) {
      const filled = fill(sub, out[key]);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  }
  if (schema.type === 'oneOf') {
    const option = schema.options.find((o) => typeMatches(o, value));
    return option ? fill(option, value) : value;
  }
  return value;
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

/** Checks `value` against `schema`; the first problem is a `SchemaError` naming its path (and `file`). */
export function validate(schema: Schema, value: unknown, path = '', file?: string): void {
  validateAt(schema, value, path, (at, message) => new SchemaError(at, message, file));
}

type MakeError = (path: string, message: string) => SchemaError;

function validateAt(schema: Schema, value: unknown, path: string, err: MakeError): void {
  switch (schema.type) {
    case 'any':
      return;
    case 'oneOf': {
      const option = schema.options.find((o) => typeMatches(o, value));
      if (!option) throw err(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      validateAt(option, value, path, err);
      return;
    }
    case 'string':
      if (typeof value !== 'string')
        throw err(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      if (schema.enum && !schema.enum.includes(value)) {
        const near = nearestNames(value, [...schema.enum], 1);
        throw err(
          path,
          `expected ${expected(schema)}, got '${value}'${near.length ? ` (did you mean '${near[0]}'?)` : ''}`,
        );
      }
      if (schema.nonEmpty && value.trim() === '') throw err(path, 'must not be empty');
      return;
    case 'number': {
      const bad =
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (schema.integer && !Number.isInteger(value)) ||
        (schema.min !== undefined && (schema.exclusiveMin ? value <= schema.min : value < schema.min)) ||
        (schema.max !== undefined && value > schema.max);
      if (bad) throw err(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw err(path, `expected true or false, got ${describeValue(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) throw err(path, `expected ${expected(schema)}, got ${describeValue(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        throw err(path, `needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
      }
      for (let i = 0; i < value.length; i++) validateAt(schema.items, value[i], join(path, i), err);
      return;
    case 'object': {
      if (!typeMatches(schema, value)) {
        throw err(path, `expected an object, got ${describeValue(value)}`);
      }
      const obj = value as Record<string, unknown>;
      if (!schema.open) {
        const allowed = Object.keys(schema.props);
        for (const key of Object.keys(obj)) {
          if (!allowed.includes(key)) {
            const near = nearestNames(key, allowed, 1);
            throw err(
              join(path, key),
              `unknown key${near.length ? ` (did you mean '${near[0]}'?)` : ''}; allowed here: ${allowed.join(', ')}`,
            );
          }
        }
      }
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined || obj[key] === null) throw err(join(path, key), 'is required');
      }
      for (const [key, sub] of Object.entries(schema.props)) {
        if (obj[key] !== undefined) validateAt(sub, obj[key], join(path, key), err);
      }
      return;
    }
  }
}
