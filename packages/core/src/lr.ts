/**
 * Learning-rate factors. A parameter's factor is the product of every `lr.mult` that matches it
 * (MMEngine `lr_mult`), its discriminative factor (fastai `slice(lo, hi)`), its layer-wise decay
 * and any warm-up factor of a schedule step. Factors multiply the trainer's base rate.
 */
import { PolicyError, q } from './errors';
import type { LrSpec, Selector } from './types';

const HINT =
  'Factors multiply; together they must stay a finite number > 0. Use factors closer to 1 or fewer of them, and freeze a parameter rather than giving it factor 0.';

/** A factor is usable when it is finite and > 0 (0 would silently stop training, Infinity diverge). */
function usable(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

/** Throw `INVALID_FACTOR` when a computed factor list (discriminative, layer-wise) over- or underflows. */
export function checkFactors(factors: readonly number[], path: string, what: string, unit = 'group'): void {
  const bad = factors.findIndex((x) => !usable(x));
  if (bad < 0) return;
  throw new PolicyError(
    'INVALID_FACTOR',
    `${what} gives factor ${factors[bad]} for ${unit} ${bad} of ${factors.length}, not a finite number > 0`,
    { path, hint: HINT },
  );
}

/** fastai `even_mults`: n factors spread geometrically from lo (first group) to hi (last). */
export function discriminativeFactors(lo: number, hi: number, n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [hi];
  const step = (hi / lo) ** (1 / (n - 1));
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo * step ** i));
}

/** decay^depth with depth counted from the top: the last of n groups gets 1. */
export function layerwiseFactors(decay: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => decay ** (n - 1 - i));
}

export type MatchFn = (sel: Selector, path: string, strict: boolean) => readonly number[];

/**
 * Factors for `n` parameters. `layerOf`/`layerCount` give the ordered layer list for layer-wise
 * decay without groups. Parameters in no group of a grouped mode keep factor 1 for that mode; with
 * several matching groups the last one wins (as with rules).
 */
export function lrFactors(
  n: number,
  spec: LrSpec | undefined,
  match: MatchFn,
  layerOf: Int32Array,
  layerCount: number,
  extra: ReadonlyArray<{ select: Selector; path: string; strict: boolean; factor: number }> = [],
  nameOf: (i: number) => string = String,
): Float64Array {
  const f = new Float64Array(n).fill(1);
  // Each step checks what it produced, so the error names the rule that pushed a factor out of range.
  const times = (i: number, factor: number, path: string) => {
    const v = f[i]! * factor;
    if (!usable(v)) {
      throw new PolicyError(
        'INVALID_FACTOR',
        `the learning-rate factors of ${q(nameOf(i))} multiply to ${v} at ${path} (×${factor}), not a finite number > 0`,
        { path, hint: HINT },
      );
    }
    f[i] = v;
  };
  const multiply = (list: readonly number[], factor: number, path: string) => {
    for (let i = 0; i < list.length; i++) times(list[i]!, factor, path);
  };
  spec?.mult?.forEach((m, i) => {
    multiply(match(m.select, `lr.mult[${i}].select`, m.strict !== false), m.factor, `lr.mult[${i}].factor`);
  });
  const grouped = (groups: readonly Selector[], factors: number[], path: string) => {
    const g = new Float64Array(n).fill(1);
    groups.forEach((sel, i) => {
      const list = match(sel, `${path}.groups[${i}]`, true);
      for (let k = 0; k < list.length; k++) g[list[k]!] = factors[i]!;
    });
    for (let i = 0; i < n; i++) if (g[i] !== 1) times(i, g[i]!, path);
  };
  const d = spec?.discriminative;
  if (d) grouped(d.groups, discriminativeFactors(d.lo, d.hi, d.groups.length), 'lr.discriminative');
  const l = spec?.layerwiseDecay;
  if (l?.groups) grouped(l.groups, layerwiseFactors(l.decay, l.groups.length), 'lr.layerwiseDecay');
  else if (l) {
    const per = layerwiseFactors(l.decay, layerCount);
    checkFactors(
      per,
      'lr.layerwiseDecay.decay',
      `decay ${l.decay} over the model's ${layerCount} layers`,
      'layer',
    );
    for (let i = 0; i < n; i++) times(i, per[layerOf[i]!]!, 'lr.layerwiseDecay');
  }
  for (const w of extra) multiply(match(w.select, w.path, w.strict), w.factor, w.path);
  return f;
}
