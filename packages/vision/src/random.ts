import { seededRandom } from '@frostline/tfjs';
/**
 * A small seeded PRNG (mulberry32). Dataset splits, sampling and augmentation draw from it so that the
 * same seed gives the same images in the same order on every platform.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  // The shared mulberry32 of @frostline/tfjs, with vision's seed mixing kept so shipped results reproduce.
  const next = seededRandom((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
  };
}

/** Fisher–Yates in place with a seeded generator; returns the same array. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
