/** Problem sizes: the default run targets ≤ 5–8 min on 2 cores; `--quick` is a smoke test. */
export interface Sizes {
  /** Part 1: TF.js training steps on the 100→50→10 model. */
  p1Epochs: number;
  /** Part 2: labelled examples per class for the two budgets, test examples per class, epochs per budget. */
  p2Budgets: Array<{ label: string; perClass: number; epochs: number }>;
  p2TestPerClass: number;
  p2BatchSize: number;
  /** Part 3: classes, train/test images per class, epochs, input size. */
  p3Classes: number;
  p3TrainPerClass: number;
  p3TestPerClass: number;
  p3Epochs: number;
  p3InputSize: number;
  p3BatchSize: number;
  /** Part 4: head epochs; cap on train/test sentences (0 = all); label budgets per class (0 = all). */
  p4Epochs: number;
  p4Budgets: number[];
  p4MaxTrain: number;
  p4MaxTest: number;
}

export const DEFAULT_SIZES: Sizes = {
  p1Epochs: 3,
  p2Budgets: [
    { label: 'few (10/class)', perClass: 10, epochs: 30 },
    { label: 'many (200/class)', perClass: 200, epochs: 10 },
  ],
  p2TestPerClass: 60,
  p2BatchSize: 32,
  p3Classes: 3,
  p3TrainPerClass: 100,
  p3TestPerClass: 30,
  p3Epochs: 5,
  p3InputSize: 96,
  p3BatchSize: 16,
  p4Epochs: 30,
  p4Budgets: [10, 50, 0],
  p4MaxTrain: 0,
  p4MaxTest: 0,
};

export const QUICK_SIZES: Sizes = {
  p1Epochs: 2,
  p2Budgets: [
    // Enough steps and test digits that the few-label gap is measured, not noise (the smoke test asserts it).
    { label: 'few (10/class)', perClass: 10, epochs: 15 },
    { label: 'many (20/class)', perClass: 20, epochs: 2 },
  ],
  p2TestPerClass: 40,
  p2BatchSize: 16,
  p3Classes: 2,
  p3TrainPerClass: 8,
  p3TestPerClass: 4,
  p3Epochs: 3,
  p3InputSize: 96,
  p3BatchSize: 8,
  p4Epochs: 30,
  p4Budgets: [10, 0],
  p4MaxTrain: 0,
  p4MaxTest: 0,
};
