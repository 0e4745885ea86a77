import { FrostlineError, isFrostlineError } from './frostline-error';

/**
 * The one error class of core. Every failure a user can cause (a policy, a parameter list, a format
 * name) becomes a `PolicyError` with a stable `code`, the `path` in the policy where it happened and
 * a message that says what was wrong and how to fix it. Nothing user-triggered escapes as a bare
 * `TypeError`.
 */

export type PolicyErrorCode =
  | 'UNKNOWN_KEY'
  | 'INVALID_TYPE'
  | 'EMPTY_RULE'
  | 'CONTRADICTORY_RULE'
  | 'INVALID_EPOCH'
  | 'INVALID_REGEX'
  | 'UNSAFE_REGEX'
  | 'SELECTOR_TOO_LONG'
  | 'INVALID_SELECTOR'
  | 'INVALID_FACTOR'
  | 'DUPLICATE_PARAMETER'
  | 'NO_MATCH'
  | 'FIXED_PARAMETER'
  | 'PARSE_ERROR'
  | 'INVALID_FORMAT'
  | 'EMPTY_MODEL';

export interface PolicyErrorOptions {
  /** Where in the policy (or parameter list), e.g. `rules[2].freeze`, `schedule[0].at`, `params[3]`. */
  path?: string;
  /** Nearest valid names/keys/values, best first. */
  suggestions?: readonly string[];
  /** How to fix it, when that is not obvious from the message. */
  hint?: string;
  cause?: unknown;
}

/** Longest user text quoted in a message; a 100k-character selector must not become a 100 KB message. */
const MAX_QUOTED = 80;

/**
 * Quote a value the way messages show it: `fc1`. Long input is cut (`/^(a+…` + how long it was) and
 * line breaks are escaped, so a message stays one line of reasonable length.
 */
export const q = (s: string): string => {
  const text = String(s);
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}… (${text.length} chars)` : text;
  return `\`${cut.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}\``;
};

function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  const quoted = suggestions.map(q);
  const list =
    quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  return ` Did you mean ${list}?`;
}

export class PolicyError extends FrostlineError {
  declare readonly code: PolicyErrorCode;
  readonly suggestions: string[];
  /** The message without path, suggestions and hint. */
  readonly detail: string;

  constructor(code: PolicyErrorCode, detail: string, opts: PolicyErrorOptions = {}) {
    const suggestions = [...(opts.suggestions ?? [])];
    const where = opts.path ? `${opts.path}: ` : '';
    const hint = opts.hint ? ` ${opts.hint}` : '';
    super(code, `${where}${detail}.${didYouMean(suggestions)}${hint}`, {
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(opts.hint !== undefined ? { hint: opts.hint } : {}),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.name = 'PolicyError';
    this.suggestions = suggestions;
    this.detail = detail;
  }
}

/** True for a `PolicyError`, also across bundle copies (CJS + ESM of the same package). */
export function isPolicyError(e: unknown): e is PolicyError {
  return e instanceof PolicyError || (isFrostlineError(e) && e.name === 'PolicyError');
}
