import { describe, expect, it } from 'vitest';
import { compileSelector, PolicyError } from '../src/index';

const code = (sel: string | RegExp): string => {
  try {
    compileSelector(sel);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as PolicyError).code;
  }
};

describe('regex selectors: safe patterns pass, catastrophic ones are UNSAFE_REGEX', () => {
  it.each([
    '/^fc1\\./',
    '/\\.(query|key)\\.weight$/',
    '/^encoder\\.layer\\.(1|2)\\d{2}\\./',
    '/^encoder\\.layer\\.\\d*[05]\\.intermediate\\./',
    '/^layer[0-9]+\\.\\d+\\.conv\\d$/',
    '/(weight|kernel)$/',
    '/^(?:fc1\\.weight|fc1\\.bias)$/',
    '/x{2,5}y?/',
    '/^block_(1[0-6])_/i',
    '/^(ab){2}c/',
    '/^[(a+)+]$/',
    '/\\(a+\\)+/',
    '/.*a.*b.*c.*d/',
  ])('%s is accepted', (sel) => {
    expect(code(sel)).toBe('ok');
  });
  it.each([
    '/^(a+)+$/',
    '/^(a*)*$/',
    '/^(a|aa)+$/',
    '/^(?:a|b)*c$/',
    '/^(a?a?)+b/',
    '/(\\w+\\.)+weight$/',
    '/((a)+)*/',
    '/^(?<x>a+){2,}$/',
    '/(.*a){3}/',
    '/(a+){2}/',
    '/.*a.*b.*c.*d.*e/',
    '/a+b+c+d+e+/',
  ])('%s is UNSAFE_REGEX', (sel) => {
    expect(code(sel)).toBe('UNSAFE_REGEX');
  });
  it('RegExp objects are checked too', () => {
    expect(code(/^(a+)+$/)).toBe('UNSAFE_REGEX');
    expect(code(/^fc1/)).toBe('ok');
  });
});
