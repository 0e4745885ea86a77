import { seededRandom } from '@frostline/tfjs';
import type { TextDataset } from './data';
import { NlpError } from './errors';

// One seeded PRNG for all of frostline (see @frostline/tfjs), re-exported for nlp users.
export { seededRandom };

/** Rows `idx` of a dataset, with the same label names. */
export function subset(ds: TextDataset, idx: readonly number[]): TextDataset {
  const out: TextDataset = {
    texts: idx.map((i) => ds.texts[i]!),
    labels: idx.map((i) => ds.labels[i]!),
    labelNames: [...ds.labelNames],
    lines: idx.map((i) => ds.lines[i]!),
  };
  if (ds.source !== undefined) out.source = ds.source;
  return out;
}

export interface SplitOptions {
  /** Fraction of each class that goes to the second part. Default 0.2. */
  testFraction?: number;
  seed?: number;
}

/**
 * Splits every class in the same proportion (seeded shuffle per class), so a small or imbalanced
 * dataset keeps its class balance in both parts. Rows keep their file order within each part.
 * Classes with at least two examples put at least one in each part.
 */
export function stratifiedSplit(
  ds: TextDataset,
  opts: SplitOptions = {},
): { train: TextDataset; test: TextDataset } {
  const ok =
    ds != null &&
    Array.isArray(ds.texts) &&
    Array.isArray(ds.labels) &&
    Array.isArray(ds.labelNames) &&
    ds.labels.length === ds.texts.length &&
    ds.labels.every((l) => Number.isInteger(l) && l >= 0 && l < ds.labelNames.length);
  if (!ok) {
    throw new NlpError(
      'BAD_OPTION',
      'stratifiedSplit needs a TextDataset ({ texts, labels, labelNames, lines }) whose labels index labelNames',
      { hint: 'pass what readDataset / parseCsv returned' },
    );
  }
  if (opts.seed !== undefined && !Number.isFinite(opts.seed))
    throw new NlpError('BAD_OPTION', `seed must be a finite number, got ${opts.seed}`);
  const frac = opts.testFraction ?? 0.2;
  if (!(frac > 0 && frac < 1)) {
    throw new NlpError('BAD_OPTION', `testFraction must be between 0 and 1 (exclusive), got ${frac}`);
  }
  const rand = seededRandom(opts.seed ?? 0);
  const byClass = new Map<number, number[]>();
  ds.labels.forEach((l, i) => {
    const list = byClass.get(l) ?? [];
    list.push(i);
    byClass.set(l, list);
  });
  const test: number[] = [];
  const train: number[] = [];
  for (const [, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    let k = Math.round(idx.length * frac);
    if (idx.length >= 2) k = Math.min(Math.max(k, 1), idx.length - 1);
    test.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  const byOrder = (a: number, b: number) => a - b;
  return { train: subset(ds, train.sort(byOrder)), test: subset(ds, test.sort(byOrder)) };
}
