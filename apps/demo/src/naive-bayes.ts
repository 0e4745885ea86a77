/**
 * The bag-of-words baseline for Part 4: a unigram multinomial naive Bayes with add-one smoothing,
 * trained from scratch on exactly the labels the frozen encoder's head gets. No pretrained knowledge:
 * a word it never saw with a label tells it nothing, which is what freezing a pretrained encoder fixes.
 */

/** Lower-cased words (letters, digits, apostrophes). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
}

export interface NaiveBayes {
  /** Most probable class index per text. */
  predict(texts: readonly string[]): number[];
  vocabularySize: number;
}

export function trainNaiveBayes(
  texts: readonly string[],
  labels: readonly number[],
  numClasses: number,
): NaiveBayes {
  const counts = Array.from({ length: numClasses }, () => new Map<string, number>());
  const totals = new Array<number>(numClasses).fill(0);
  const docs = new Array<number>(numClasses).fill(0);
  const vocabulary = new Set<string>();
  texts.forEach((text, i) => {
    const c = labels[i]!;
    docs[c]!++;
    for (const w of tokenize(text)) {
      counts[c]!.set(w, (counts[c]!.get(w) ?? 0) + 1);
      totals[c]!++;
      vocabulary.add(w);
    }
  });
  const v = vocabulary.size;
  const logPrior = docs.map((d) => Math.log((d + 1) / (texts.length + numClasses)));
  const score = (text: string, c: number) =>
    tokenize(text)
      .filter((w) => vocabulary.has(w))
      .reduce((s, w) => s + Math.log(((counts[c]!.get(w) ?? 0) + 1) / (totals[c]! + v)), logPrior[c]!);
  return {
    vocabularySize: v,
    predict: (batch) =>
      batch.map((text) => {
        let best = 0;
        for (let c = 1; c < numClasses; c++) if (score(text, c) > score(text, best)) best = c;
        return best;
      }),
  };
}

/** Share of texts whose predicted class is the label. */
export function accuracyOf(predicted: readonly number[], labels: readonly number[]): number {
  let right = 0;
  predicted.forEach((p, i) => {
    if (p === labels[i]) right++;
  });
  return predicted.length ? right / predicted.length : 0;
}
