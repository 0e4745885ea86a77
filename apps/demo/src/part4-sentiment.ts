/**
 * Part 4 — sentiment with a frozen pretrained encoder: Universal Sentence Encoder lite (weights shipped
 * in npm) embeds every sentence once; a 2-class dense head trains on the embeddings (@frostline/nlp's
 * `trainTextClassifier`, which trains through @frostline/tfjs). The plan covers encoder + head, so the
 * encoder's real parameter count shows as frozen (fixed: inference-only runtime).
 *
 * Then the same point as Part 2, on text: a label budget (10, 50 and all labels per class) for the
 * frozen encoder + head against a bag-of-words model trained from scratch on the same labels (a
 * unigram naive Bayes). Pretrained features matter most when labels are few.
 */
import { RunRecorder } from '@frostline/cli';
import type { Plan } from '@frostline/core';
import type { TextDataset, TextEncoder } from '@frostline/nlp';
import * as nlp from '@frostline/nlp';
import type { DemoContext } from './context.js';
import { shuffledIndices } from './data.js';
import { accuracyOf, trainNaiveBayes } from './naive-bayes.js';
import { formatTable, heading, ms, pct } from './print.js';

/** One label budget: the same labels for both models, accuracy on the same held-out sentences. */
export interface BudgetRow {
  /** Labels per class (`all`: the whole training set). */
  perClass: number | 'all';
  labels: number;
  naiveBayesAcc: number;
  frozenEncoderAcc: number;
}

export interface Part4Result {
  encoder: string;
  dim: number;
  trainSize: number;
  testSize: number;
  testAcc: number;
  embedMs: number;
  trainMs: number;
  labels: string[];
  examples: Array<{ text: string; truth: string; predicted: string; probability: number }>;
  plan: Plan;
  summary: string;
  budgets: BudgetRow[];
  /** Sentences the encoder embedded over the whole part: each once, later runs read the cache. */
  embedded: number;
  /** Embedding lookups served from the cache. */
  cacheHits: number;
}

/** Sentences not in the data set, to show the head on new text. */
export const FRESH_SENTENCES = [
  'An absolute delight from start to finish, I would happily go back tomorrow.',
  'The battery died after two days and support never answered my emails.',
  'Not bad at all, better than I expected.',
];

/** The first `k` examples of each class in a seeded shuffle (the same picks for both models). */
export function perClassSubset(ds: TextDataset, k: number, seed: number): TextDataset {
  const taken = new Array<number>(ds.labelNames.length).fill(0);
  const idx = shuffledIndices(ds.texts.length, seed).filter((i) => {
    const c = ds.labels[i]!;
    if (taken[c]! >= k) return false;
    taken[c]!++;
    return true;
  });
  return nlp.subset(
    ds,
    idx.sort((a, b) => a - b),
  );
}

export async function runPart4(ctx: DemoContext): Promise<Part4Result> {
  const { log, sizes, opts } = ctx;

  log(heading('Part 4 — sentiment: frozen Universal Sentence Encoder lite + a 2-class head'));
  const ds = await nlp.sentimentDataset();
  const train = capped(ds.train, sizes.p4MaxTrain, opts.seed);
  const test = capped(ds.test, sizes.p4MaxTest, opts.seed + 1);

  const encoder = await nlp.findEncoder('use-lite')!.load();
  // One cache for every run of this part: each sentence goes through the encoder once.
  const cache = new nlp.EmbeddingCache();
  try {
    log(
      `encoder ${encoder.id} (${encoder.dim}-d, runtime ${encoder.runtime}); data: ${train.texts.length} train / ${test.texts.length} test sentences, labels ${ds.labelNames.join('/')}`,
    );
    const recorder = new RunRecorder({ withEntries: false });
    const result = await nlp.trainTextClassifier({
      encoder,
      cache,
      onEvent: recorder.onEvent,
      train,
      test,
      labelNames: ds.labelNames,
      ...headSettings(ctx),
    });
    try {
      const testAcc = result.metrics.test?.accuracy ?? Number.NaN;
      const planTable = encoderHeadTable(result.plan, encoder.id);
      log(formatTable(planTable));
      log(result.summary);
      log(
        `embedding ${ms(result.timing.embedMs)} (${((train.texts.length + test.texts.length) / Math.max(1e-3, result.timing.embedMs / 1000)).toFixed(0)} sentences/s), head ${sizes.p4Epochs} epochs ${ms(result.timing.trainMs)}; train acc ${pct(result.metrics.train.accuracy ?? Number.NaN)}; test accuracy ${pct(testAcc)} on ${test.texts.length} held-out sentences`,
      );

      const examples = await examplePredictions(result.classifier, test);
      const exTable = {
        columns: ['sentence', 'truth', 'predicted', 'p(predicted)'],
        rows: examples.map((e) => [clip(e.text, 70), e.truth, e.predicted, e.probability.toFixed(3)]),
      };
      log(formatTable(exTable));

      recorder.usePlan(result.plan);
      ctx.report.addRecorded('Sentiment: USE-lite (frozen) + dense head', recorder, {
        backend: result.backend,
        totalMs: result.timing.totalMs,
        model: `${encoder.id} + dense ${ds.labelNames.length}`,
        task: 'text-classification',
        test: { acc: testAcc, examples: test.texts.length },
        dataset: { train: train.texts.length, test: test.texts.length, classes: ds.labelNames },
        config: { encoder: encoder.id, ...headSettings(ctx) },
      });
      const budgets = await labelBudgets(ctx, encoder, cache, train, test, testAcc);
      ctx.report.addSection({
        title: 'Part 4 — sentiment predictions',
        description: `Frozen USE-lite + dense head: test accuracy ${pct(testAcc)} on ${test.texts.length} held-out sentences.`,
        table: exTable,
        text: `${formatTable(planTable)}\n${result.summary}`,
      });
      return {
        encoder: encoder.id,
        dim: encoder.dim,
        trainSize: train.texts.length,
        testSize: test.texts.length,
        testAcc,
        embedMs: result.timing.embedMs,
        trainMs: result.timing.trainMs,
        labels: ds.labelNames,
        examples,
        plan: result.plan,
        summary: result.summary,
        budgets,
        embedded: cache.stats.misses,
        cacheHits: cache.stats.hits,
      };
    } finally {
      result.classifier.dispose();
    }
  } finally {
    await encoder.dispose();
  }
}

/** How every head of this part trains. */
function headSettings(ctx: DemoContext) {
  return {
    epochs: ctx.sizes.p4Epochs,
    batchSize: 32,
    learningRate: 1e-2,
    optimizer: 'adam' as const,
    seed: ctx.opts.seed,
  };
}

/** At most `n` examples (0: all), a seeded sample in the data set's order. */
function capped(d: TextDataset, n: number, seed: number): TextDataset {
  if (n <= 0 || d.texts.length <= n) return d;
  const idx = shuffledIndices(d.texts.length, seed).slice(0, n);
  return nlp.subset(
    d,
    idx.sort((a, b) => a - b),
  );
}

/** The encoder's ~30 tensors in one row (their TF.js graph names are long), then the head's layers. */
function encoderHeadTable(plan: Plan, encoderId: string) {
  const groups = new Map<string, { tensors: number; params: number; trainable: number; fixed: boolean }>();
  for (const e of plan.entries) {
    const key = e.name.startsWith('encoder/') ? `encoder (${encoderId.split(':')[0]})` : e.layer;
    const g = groups.get(key) ?? { tensors: 0, params: 0, trainable: 0, fixed: e.fixed };
    g.tensors++;
    g.params += e.size;
    if (e.trainable) g.trainable += e.size;
    groups.set(key, g);
  }
  const state = (g: { params: number; trainable: number; fixed: boolean }) =>
    g.trainable === 0
      ? g.fixed
        ? 'frozen (fixed)'
        : 'frozen'
      : g.trainable === g.params
        ? 'trainable'
        : 'partial';
  return {
    columns: ['part', 'tensors', 'params', 'trainable', 'state'],
    rows: [...groups].map(([k, g]) => [k, g.tensors, g.params, g.trainable, state(g)]),
  };
}

/** A few test sentences (right and wrong) and the new ones, with the predicted probability. */
async function examplePredictions(
  classifier: nlp.TextClassifier,
  test: TextDataset,
): Promise<Part4Result['examples']> {
  const preds = await classifier.predict(test.texts);
  const right = preds.map((_, i) => i).filter((i) => preds[i]?.index === test.labels[i]);
  const wrong = preds.map((_, i) => i).filter((i) => preds[i]?.index !== test.labels[i]);
  const examples = [...right.slice(0, 4), ...wrong.slice(0, 2)].map((i) => {
    const p = preds[i]!;
    return {
      text: test.texts[i]!,
      truth: test.labelNames[test.labels[i]!]!,
      predicted: p.label,
      probability: p.probabilities[p.index]!,
    };
  });
  const fresh = await classifier.predict(FRESH_SENTENCES);
  FRESH_SENTENCES.forEach((text, i) => {
    const p = fresh[i]!;
    examples.push({ text, truth: '(new)', predicted: p.label, probability: p.probabilities[p.index]! });
  });
  return examples;
}

/**
 * The label budget: for each size, both models learn from the same labels and are scored on the same
 * held-out sentences. The frozen encoder's head reuses the cached embeddings (no encoder call).
 */
async function labelBudgets(
  ctx: DemoContext,
  encoder: TextEncoder,
  cache: nlp.EmbeddingCache,
  train: TextDataset,
  test: TextDataset,
  allLabelsAcc: number,
): Promise<BudgetRow[]> {
  const { log, sizes, opts } = ctx;
  const k = train.labelNames.length;
  const rows: BudgetRow[] = [];
  for (const perClass of sizes.p4Budgets) {
    const all = perClass === 0 || perClass * k >= train.texts.length;
    const labelled = all ? train : perClassSubset(train, perClass, opts.seed);
    const nb = trainNaiveBayes(labelled.texts, labelled.labels, k);
    const naiveBayesAcc = accuracyOf(nb.predict(test.texts), test.labels);
    let frozenEncoderAcc = allLabelsAcc;
    if (!all) {
      const r = await nlp.trainTextClassifier({
        encoder,
        cache,
        train: labelled,
        test,
        ...headSettings(ctx),
      });
      frozenEncoderAcc = r.metrics.test?.accuracy ?? Number.NaN;
      r.classifier.dispose();
    }
    rows.push({
      perClass: all ? 'all' : perClass,
      labels: labelled.texts.length,
      naiveBayesAcc,
      frozenEncoderAcc,
    });
  }
  const table = {
    title: `Sentiment: label budget, accuracy on ${test.texts.length} held-out sentences`,
    columns: [
      'labels per class',
      'labels',
      'bag of words (naive Bayes, from scratch)',
      'USE-lite frozen + head',
      'difference',
    ],
    rows: rows.map((r) => [
      r.perClass === 'all' ? `all (${r.labels})` : r.perClass,
      r.labels,
      pct(r.naiveBayesAcc),
      pct(r.frozenEncoderAcc),
      `${((r.frozenEncoderAcc - r.naiveBayesAcc) * 100).toFixed(1)} points`,
    ]),
  };
  log(formatTable(table));
  ctx.report.addSection({
    title: 'Part 4 — label budget: frozen encoder + head vs bag of words',
    description:
      'Both models learn from the same labels; the frozen encoder brings what it learned before, the bag-of-words model only what these labels say.',
    table,
  });
  return rows;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
