/**
 * Selectors, one job per file: `parse` (any form → a checked `SelectorNode`), `format` (the canonical
 * one-line string), `match-one` (one parameter: `compileSelector`, `testNode`), `match-index` (a whole
 * indexed model: `matchIndex`, what plans use), `no-match` (suggestions and hints when nothing
 * matched); `glob` and `regex` hold the two pattern languages and their safety limits.
 */

export { splitPath } from '../model';
export { formatSelector } from './format';
export { globToRegExp } from './glob';
export { matchIndex, missingNames, selectParams } from './match-index';
export { compileSelector, testNode } from './match-one';
export { noMatchHint, suggestFor } from './no-match';
export { MAX_DEPTH, MAX_GLOB_SEGMENTS, MAX_SELECTOR_LENGTH, type SelectorNode } from './node';
export { parseSelector } from './parse';
export { MAX_UNBOUNDED } from './regex';
