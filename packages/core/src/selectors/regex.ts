/**
 * Regular-expression selectors, checked at definition time. JavaScript's engine backtracks, so a
 * pattern such as `/^(a+)+$/` takes exponential time on a long name, and `/.*a.*a.*a.*a.*a/`
 * polynomial time of high degree: either would hang `planFreeze`. Patterns are therefore scanned
 * before they are compiled, and rejected with `UNSAFE_REGEX` when a repeated group itself repeats
 * or alternates, or when they hold more than `MAX_UNBOUNDED` unbounded quantifiers.
 */
import { PolicyError, q } from '../errors';
import { MAX_SELECTOR_LENGTH } from './node';

/** Most unbounded quantifiers (`*`, `+`, `{n,}`) in one pattern: past 4, a failing name costs seconds. */
export const MAX_UNBOUNDED = 4;

interface GroupFacts {
  /** The body has any quantifier, `?` included: its length varies. */
  varies: boolean;
  /** The body repeats something without bound. */
  unbounded: boolean;
  /** The body has `|`. */
  alternates: boolean;
}

interface Quantifier {
  /** Characters it spans in the source. */
  length: number;
  max: number;
}

/** The quantifier at `i`, if any: `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally lazy. */
function quantifierAt(src: string, i: number): Quantifier | undefined {
  const c = src[i];
  let q: Quantifier | undefined;
  if (c === '*' || c === '+') q = { length: 1, max: Number.POSITIVE_INFINITY };
  else if (c === '?') q = { length: 1, max: 1 };
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 24));
    if (!m) return undefined;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    q = { length: m[0].length, max };
  }
  if (q && src[i + q.length] === '?') q.length++;
  return q;
}

/** Length of the atom at `i` that is not a group: an escape, a class or one character. */
function atomLength(src: string, i: number): number {
  if (src[i] === '\\') {
    const braced = /^\\[pPu]\{[^}]*\}/.exec(src.slice(i, i + 64));
    return braced ? braced[0].length : 2;
  }
  if (src[i] !== '[') return 1;
  let k = i + 1;
  if (src[k] === '^') k++;
  if (src[k] === ']') k++;
  while (k < src.length && src[k] !== ']') k += src[k] === '\\' ? 2 : 1;
  return k + 1 - i;
}

/** Characters of a group's opening: `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`. */
function groupOpenLength(src: string, i: number): number {
  const m = /^\((\?(<?[=!]|:|<[^>]*>))?/.exec(src.slice(i, i + 64));
  return m ? m[0].length : 1;
}

function unsafe(source: string, path: string, why: string): PolicyError {
  return new PolicyError('UNSAFE_REGEX', `regular expression ${q(`/${source}/`)} ${why}`, {
    path,
    hint: 'Backtracking on long names could hang planning. Use a glob (`encoder.*.0`), a character class ([ab]+ instead of (a|b)+), or several selectors in { all: [...] }.',
  });
}

/** Throw `UNSAFE_REGEX` for nested or too many unbounded repetitions. */
export function checkRegexSafety(source: string, path: string): void {
  const stack: GroupFacts[] = [{ varies: false, unbounded: false, alternates: false }];
  let unboundedCount = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    let body: GroupFacts | undefined;
    if (c === '(') {
      stack.push({ varies: false, unbounded: false, alternates: false });
      i += groupOpenLength(source, i);
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1]!.alternates = true;
      i++;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      body = stack.pop()!;
      i++;
    } else i += atomLength(source, i);
    const quant = quantifierAt(source, i);
    const outer = stack[stack.length - 1]!;
    if (body) {
      outer.varies ||= body.varies;
      outer.unbounded ||= body.unbounded;
      outer.alternates ||= body.alternates;
    }
    if (!quant) continue;
    i += quant.length;
    const repeats = quant.max > 1;
    // A group repeated many times whose body can match in several ways: exponential backtracking.
    if (body && quant.max > 10 && (body.varies || body.alternates)) {
      throw unsafe(source, path, 'repeats a group that itself varies (e.g. (a+)+, (a?b?)* or (a|b)*)');
    }
    // A group with an unbounded repetition, repeated at all: polynomial of the repeat count.
    if (body && repeats && body.unbounded) {
      throw unsafe(source, path, 'repeats a group that holds an unbounded repetition (e.g. (.*a){3})');
    }
    outer.varies = true;
    if (quant.max === Number.POSITIVE_INFINITY) {
      outer.unbounded = true;
      if (++unboundedCount > MAX_UNBOUNDED) {
        throw unsafe(source, path, `has more than ${MAX_UNBOUNDED} unbounded repetitions (*, + or {n,})`);
      }
    }
  }
}

/** Check and compile a regex selector; `g`/`y` are dropped (they make `test` stateful). */
export function compileRegex(source: string, flags: string, path: string): RegExp {
  if (source.length > MAX_SELECTOR_LENGTH) {
    throw new PolicyError(
      'SELECTOR_TOO_LONG',
      `regular expression ${q(`/${source}/`)} is longer than ${MAX_SELECTOR_LENGTH} characters`,
      { path, hint: 'Select with a shorter pattern, a glob, or { names: [...] } for an exact list.' },
    );
  }
  let re: RegExp;
  try {
    re = new RegExp(source, flags.replace(/[gy]/g, ''));
  } catch (e) {
    const reason = ((e as Error).message ?? '').replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new PolicyError(
      'INVALID_REGEX',
      `regular expression ${q(`/${source}/${flags}`)} does not compile (${reason.slice(0, 120)})`,
      {
        path,
        hint: 'Escape special characters with a backslash, e.g. /layer\\.0\\./ for the literal text "layer.0.".',
        cause: e,
      },
    );
  }
  checkRegexSafety(source, path);
  return re;
}
