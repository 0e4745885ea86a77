/**
 * Learning-rate factors. A parameter's factor is the product of every `lr.mult` that matches it
 * (MMEngine `lr_mult`), its discriminative factor (fastai `slice(lo, hi)`), its layer-wise decay
 * and any warm-up factor of a schedule step. Factors multiply the trainer's base rate.
 */
import type { LrSpec, Selector } from './types';

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
): Float64Array {
  const f = new Float64Array(n).fill(1);
  const multiply = (list: readonly number[], factor: number) => {
    for (let i = 0; i < list.length; i++) f[list[i]!]! *= factor;
  };
  spec?.mult?.forEach((m, i) => {
    multiply(match(m.select, `lr.mult[${i}].select`, m.strict !== false), m.factor);
  });
  const grouped = (groups: readonly Selector[], factors: number[], path: string) => {
    const g = new Float64Array(n).fill(1);
    groups.forEach((sel, i) => {
      const list = match(sel, `${path}[${i}]`, true);
      for (let k = 0; k < list.length; k++) g[list[k]!] = factors[i]!;
    });
    for (let i = 0; i < n; i++) f[i]! *= g[i]!;
  };
  const d = spec?.discriminative;
  if (d) grouped(d.groups, discriminativeFactors(d.lo, d.hi, d.groups.length), 'lr.discriminative.groups');
  const l = spec?.layerwiseDecay;
  if (l) {
    if (l.groups) grouped(l.groups, layerwiseFactors(l.decay, l.groups.length), 'lr.layerwiseDecay.groups');
    else {
      const per = layerwiseFactors(l.decay, layerCount);
      for (let i = 0; i < n; i++) f[i]! *= per[layerOf[i]!]!;
    }
  }
  for (const w of extra) multiply(match(w.select, w.path, w.strict), w.factor);
  return f;
}
