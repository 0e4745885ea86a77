/**
 * The two selector evaluators must agree: `compileSelector(sel).test` (one parameter, the reference)
 * and `matchIndex` (a whole indexed model, what plans use). Random models and random selectors from
 * a seeded PRNG, so a failure names a case that reproduces.
 */
import { describe, expect, it } from 'vitest';
import { compileSelector, type ParamInfo, type Selector } from '../src/index';
import { indexModel } from '../src/model';
import { seededRandom } from '../src/random';
import { globToRegExp, matchIndex, parseSelector } from '../src/selectors/index';

/** core's mulberry32: spreads the test cases, the same ones on every run. */
const prng = seededRandom;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const SEGS = [
  'fc1',
  'fc10',
  'fc1_x',
  'fc2',
  'layer',
  'layers',
  '0',
  '1',
  '10',
  'encoder',
  'ln1',
  'weight',
  'bias',
  'kernel',
  'a',
  'ab',
];
const TYPES = ['Dense', 'Conv2D', 'BatchNormalization', 'LayerNorm', 'dense', undefined];

function randomName(r: Rand): string {
  const n = int(r, 1, 5);
  let s = r() < 0.1 ? '/' : '';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += r() < 0.08 ? '//' : pick(r, ['.', '/']);
    s += pick(r, SEGS);
  }
  return r() < 0.05 ? `${s}.` : s;
}

function randomModel(r: Rand): ParamInfo[] {
  const seen = new Set<string>();
  const params: ParamInfo[] = [];
  const count = int(r, 1, 24);
  for (let k = 0; k < count * 2 && params.length < count; k++) {
    const name = randomName(r);
    if (seen.has(name)) continue;
    seen.add(name);
    const p: ParamInfo = { name, shape: [int(r, 1, 4)] };
    const type = pick(r, TYPES);
    if (type !== undefined) p.layerType = type;
    if (r() < 0.15) p.layer = pick(r, ['blockA', 'blockB', 'encoder.layer']);
    if (r() < 0.2) p.aliases = Array.from({ length: int(r, 1, 2) }, () => (r() < 0.1 ? '//' : randomName(r)));
    if (r() < 0.1) p.kind = 'buffer';
    params.push(p);
  }
  return params;
}

function randomGlob(r: Rand): string {
  const n = int(r, 1, 4);
  const segs = Array.from({ length: n }, () =>
    pick(r, [
      () => pick(r, SEGS),
      () => '*',
      () => '**',
      () => `${pick(r, SEGS)}*`,
      () => `*${pick(r, ['1', '0', 'x', 'as', 'ight'])}`,
      () => `${pick(r, ['f', 'l', 'e'])}*${pick(r, ['1', 'r', 's', 'a'])}*`,
    ])(),
  );
  if (!segs.some((s) => s.includes('*'))) segs[0] = `${segs[0]}*`;
  return segs.join(pick(r, ['.', '/']));
}

const REGEXES = [
  '/^fc1/',
  '/bias$/',
  '/1\\d?/',
  '/(weight|kernel)$/',
  '/^[a-z]+\\.0/',
  '/LN/i',
  '/x/',
  '/\\/\\//',
];

function randomLeaf(r: Rand, names: readonly string[]): Selector {
  return pick(r, [
    () => Array.from({ length: int(r, 1, 3) }, () => pick(r, SEGS)).join(pick(r, ['.', '/'])),
    () => `name:${pick(r, SEGS)}`,
    () => ({
      names: Array.from({ length: int(r, 1, 4) }, () => (r() < 0.7 ? pick(r, names) : randomName(r))),
    }),
    () => randomGlob(r),
    () => ({ glob: randomGlob(r) }),
    () => pick(r, REGEXES),
    () => ({ regex: pick(r, ['fc', '^a', '0\\.', 'L']), flags: pick(r, ['', 'i']) }),
    () => `type:${pick(r, ['dense', 'Conv*', '*norm*', 'BatchNormalization,Dense', 'layer*'])}`,
    () => ({ layerType: [pick(r, ['Dense', 'conv2d', '*Norm'])] }),
    () => `layers:${int(r, -6, 6)}..${int(r, -6, 6)}`,
    () => `layers:${int(r, -3, 3)}`,
    () => pick(r, ['first', 'last']) + `:${int(r, 0, 4)}`,
    () => ({ layers: r() < 0.5 ? { from: int(r, -5, 5) } : { to: int(r, -5, 5) } }),
  ])() as Selector;
}

function randomSelector(r: Rand, names: readonly string[], depth = 0): Selector {
  if (depth >= 3 || r() < 0.55) {
    const leaf = randomLeaf(r, names);
    return typeof leaf === 'string' && r() < 0.1 ? `!${leaf}` : leaf;
  }
  const items = () => Array.from({ length: int(r, 1, 3) }, () => randomSelector(r, names, depth + 1));
  return pick(r, [
    () => items(),
    () => ({ any: items() }),
    () => ({ all: items() }),
    () => ({ not: randomSelector(r, names, depth + 1) }),
  ])() as Selector;
}

/** Indices the reference evaluator selects, with the same layer order and layer types as the index. */
function reference(params: ParamInfo[], sel: Selector): number[] {
  const ix = indexModel(params, { allowEmpty: true });
  const c = compileSelector(sel);
  const out: number[] = [];
  params.forEach((p, i) => {
    const l = ix.layerOf[i]!;
    const layerType = ix.layerTypes[l];
    const ctx = {
      layerIndex: l,
      layerCount: ix.layers.length,
      ...(layerType !== undefined ? { layerType } : {}),
    };
    if (c.test(p, ctx)) out.push(i);
  });
  return out;
}

describe('testNode and matchIndex agree', () => {
  it('on 4,000 random models × selectors (names, globs, regexes, any/all/not, type:, layers:, first:/last:, aliases)', () => {
    const r = prng(20261130);
    const kinds = new Map<string, number>();
    let nonEmpty = 0;
    for (let k = 0; k < 4000; k++) {
      const params = randomModel(r);
      const sel = randomSelector(
        r,
        params.map((p) => p.name),
      );
      const ix = indexModel(params, { allowEmpty: true });
      const fast = matchIndex(ix, parseSelector(sel));
      expect(new Set(fast).size, `duplicates for case ${k}`).toBe(fast.length);
      const got = [...fast].sort((a, b) => a - b);
      const want = reference(params, sel);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        expect({ case: k, sel, names: params.map((p) => [p.name, p.aliases]), got }).toEqual({
          case: k,
          sel,
          names: params.map((p) => [p.name, p.aliases]),
          got: want,
        });
      }
      if (want.length > 0 && want.length < params.length) nonEmpty++;
      const kind = parseSelector(sel).t;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    // The generator reaches every node kind and mostly gives selections that discriminate.
    expect([...kinds.keys()].sort()).toEqual([
      'all',
      'any',
      'glob',
      'layers',
      'name',
      'names',
      'not',
      'regex',
      'type',
    ]);
    expect(nonEmpty).toBeGreaterThan(1500);
  });
});

describe('globs against an independent oracle', () => {
  it('the segment NFA agrees with a backtracking regex on 5,000 random globs × clean names', () => {
    const r = prng(7);
    let hits = 0;
    for (let k = 0; k < 5000; k++) {
      const glob = randomGlob(r);
      const name = Array.from({ length: int(r, 1, 6) }, () => pick(r, SEGS)).join(pick(r, ['.', '/']));
      const want = globToRegExp(glob).test(name);
      expect(compileSelector(glob).test({ name, shape: [1] }), `${glob} vs ${name}`).toBe(want);
      if (want) hits++;
    }
    expect(hits).toBeGreaterThan(500);
    expect(hits).toBeLessThan(4500);
  });
});
