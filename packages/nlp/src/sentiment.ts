import { fileURLToPath } from 'node:url';
import { readJsonl, type TextDataset } from './data';

export const SENTIMENT_LABELS = ['negative', 'positive'] as const;

/**
 * The project's own sentiment set (774 written reviews, balanced, fixed 674/100 split), shipped in
 * the package's `data/` folder. Label 0 = negative, 1 = positive.
 */
export async function sentimentDataset(): Promise<{
  train: TextDataset;
  test: TextDataset;
  labelNames: string[];
}> {
  // src/ and dist/ both sit one level below the package root, next to data/.
  const file = (name: string) => fileURLToPath(new URL(`../data/sentiment/${name}`, import.meta.url));
  const opts = { labels: SENTIMENT_LABELS };
  const [train, test] = await Promise.all([
    readJsonl(file('train.jsonl'), opts),
    readJsonl(file('test.jsonl'), opts),
  ]);
  return { train, test, labelNames: [...SENTIMENT_LABELS] };
}
