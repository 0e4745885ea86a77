/** Held-out evaluation: confusion matrix (rows = true class, columns = predicted) and per-class accuracy. */
export interface Evaluation {
  matrix: number[][];
  perClass: Array<{ correct: number; total: number }>;
  accuracy: number;
  total: number;
}

export const argmax = (p: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
};

export function evaluate(
  labels: readonly number[],
  probs: readonly ArrayLike<number>[],
  numClasses: number,
): Evaluation {
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  labels.forEach((t, i) => {
    matrix[t]![argmax(probs[i]!)]!++;
  });
  const perClass = matrix.map((row, c) => ({ correct: row[c]!, total: row.reduce((a, b) => a + b, 0) }));
  const correct = perClass.reduce((a, p) => a + p.correct, 0);
  return {
    matrix,
    perClass,
    accuracy: labels.length ? correct / labels.length : Number.NaN,
    total: labels.length,
  };
}
