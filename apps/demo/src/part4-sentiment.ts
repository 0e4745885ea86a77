/**
 * Part 4 — sentiment with a frozen pretrained encoder: Universal Sentence Encoder lite (shipped weights)
 * embeds every sentence once; a 2-class dense head trains on the embeddings with @frostline/tfjs.
 * The plan covers encoder + head so the report shows the encoder's real (fixed, frozen) parameter count.
 */
import type { ParamInfo, Plan } from '@frostline/core';
import type * as tfTypes from '@tensorflow/tfjs';
import type { DemoContext } from './context.js';
import { need } from './context.js';
import { shuffled } from './data.js';
import { formatTable, heading, ms, pct } from './print.js';

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
  plan?: Plan;
  history: Array<Record<string, number>>;
}

export interface Example {
  text: string;
  label: number;
}

/** Accepts the dataset shapes nlp may return ({train, test} of {text, label} with string or number labels). */
export function normalizeDataset(ds: unknown): { train: Example[]; test: Example[]; labels: string[] } {
  const d = ds as { train?: unknown[]; test?: unknown[]; labels?: string[]; classes?: string[]; labelNames?: string[] };
  if (!Array.isArray(d.train) || !Array.isArray(d.test)) throw new Error('sentimentDataset() has no train/test arrays');
  const rows = [...d.train, ...d.test] as Array<{ text: string; label: string | number }>;
  const given = d.labels ?? d.classes ?? d.labelNames;
  const labels =
    given ?? [...new Set(rows.map((r) => String(r.label)))].sort((a, b) => (a === 'negative' ? -1 : b === 'negative' ? 1 : a.localeCompare(b)));
  const idx = (l: string | number) => (typeof l === 'number' && given ? l : labels.indexOf(String(l)));
  const map = (xs: unknown[]) => (xs as Array<{ text: string; label: string | number }>).map((r) => ({ text: r.text, label: idx(r.label) }));
  return { train: map(d.train), test: map(d.test), labels: labels.map(String) };
}

export async function runPart4(ctx: DemoContext): Promise<Part4Result> {
  const { log, sizes, opts } = ctx;
  const nlp = await need('@frostline/nlp', () => import('@frostline/nlp'), ['loadEncoder', 'sentimentDataset']);
  const ftf = await need('@frostline/tfjs', () => import('@frostline/tfjs'), ['train', 'listParams']);
  const core = await import('@frostline/core');
  const tf = await import('@tensorflow/tfjs');

  log(heading('Part 4 — sentiment: frozen Universal Sentence Encoder lite + a 2-class head'));
  const ds = normalizeDataset(await nlp.sentimentDataset());
  let train = ds.train;
  let test = ds.test;
  if (sizes.p4MaxTrain > 0) train = shuffled(train, opts.seed).slice(0, sizes.p4MaxTrain);
  if (sizes.p4MaxTest > 0) test = shuffled(test, opts.seed + 1).slice(0, sizes.p4MaxTest);

  const encoder = await nlp.loadEncoder({ kind: 'use-lite' });
  try {
    const t0 = performance.now();
    const trainEmb = await encoder.embed(train.map((e) => e.text));
    const testEmb = await encoder.embed(test.map((e) => e.text));
    const embedMs = performance.now() - t0;
    log(
      `encoder ${encoder.id} (${encoder.dim}-d): embedded ${train.length} train + ${test.length} test sentences in ${ms(embedMs)} (${((train.length + test.length) / (embedMs / 1000)).toFixed(0)} sentences/s)`,
    );

    const stack = (emb: Float32Array[]) => {
      const buf = new Float32Array(emb.length * encoder.dim);
      emb.forEach((v, i) => buf.set(v, i * encoder.dim));
      return tf.tensor2d(buf, [emb.length, encoder.dim]);
    };
    const xTrain = stack(trainEmb);
    const xTest = stack(testEmb);
    const yTrain = tf.tidy(() => tf.oneHot(tf.tensor1d(train.map((e) => e.label), 'int32'), ds.labels.length).toFloat());
    const yTest = tf.tidy(() => tf.oneHot(tf.tensor1d(test.map((e) => e.label), 'int32'), ds.labels.length).toFloat());
    const head = tf.sequential({
      layers: [
        tf.layers.dense({
          name: 'fc',
          inputShape: [encoder.dim],
          units: ds.labels.length,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }),
        }),
      ],
    });
    try {
      const t1 = performance.now();
      const result = await ftf.train(head, { train: { x: xTrain, y: yTrain }, validation: { x: xTest, y: yTest } }, {
        epochs: sizes.p4Epochs,
        batchSize: 32,
        optimizer: 'adam',
        learningRate: 1e-2,
        loss: 'categoricalCrossentropy',
        metrics: ['accuracy'],
        seed: opts.seed,
      });
      const trainMs = performance.now() - t1;
      const history = result.history as unknown as Array<Record<string, number>>;

      // Encoder (fixed, frozen by construction) + head in one plan, as the seed's `Linear(hidden, 2)` case reads.
      const params: ParamInfo[] = [...encoder.params(), ...ftf.listParams(head)];
      const plan = core.planFreeze(params, { default: 'trainable' });
      log(core.formatPlan(plan, 'table', { by: 'layer', maxRows: 12 }));
      log(core.formatSummaryLine(plan));

      const probs = tf.tidy(() => head.predict(xTest) as tfTypes.Tensor2D);
      const p = probs.arraySync();
      probs.dispose();
      let correct = 0;
      const preds = p.map((row, i) => {
        const k = row.indexOf(Math.max(...row));
        if (k === test[i]?.label) correct++;
        return { k, prob: row[k] as number };
      });
      const testAcc = correct / test.length;
      const picks = pickExamples(test, preds, 6);
      const examples = picks.map((i) => ({
        text: (test[i] as Example).text,
        truth: ds.labels[(test[i] as Example).label] as string,
        predicted: ds.labels[(preds[i] as { k: number }).k] as string,
        probability: (preds[i] as { prob: number }).prob,
      }));
      const last = history[history.length - 1] ?? {};
      log(`head: ${sizes.p4Epochs} epochs in ${ms(trainMs)}; train acc ${pct(Number(last.acc ?? last.accuracy))}; test accuracy ${pct(testAcc)} on ${test.length} held-out sentences`);
      const exTable = {
        columns: ['sentence', 'truth', 'predicted', 'p'],
        rows: examples.map((e) => [clip(e.text, 60), e.truth, e.predicted, e.probability.toFixed(3)]),
      };
      log(formatTable(exTable));
      ctx.report.addRun({
        name: 'Sentiment: USE-lite (frozen) + dense head',
        history,
        plans: result.plans,
        timing: result.timing,
        config: { encoder: encoder.id, train: train.length, test: test.length, epochs: sizes.p4Epochs, learningRate: 1e-2 },
        result,
      });
      ctx.report.addSection({
        title: 'Part 4 — sentiment',
        text: `${core.formatPlan(plan, 'table', { by: 'layer', maxRows: 12 })}\n${core.formatSummaryLine(plan)}\n\ntest accuracy ${pct(testAcc)} (${test.length} sentences); embedding ${ms(embedMs)}, head training ${ms(trainMs)}`,
        table: exTable,
      });
      xTrain.dispose();
      xTest.dispose();
      yTrain.dispose();
      yTest.dispose();
      return {
        encoder: encoder.id,
        dim: encoder.dim,
        trainSize: train.length,
        testSize: test.length,
        testAcc,
        embedMs,
        trainMs,
        labels: ds.labels,
        examples,
        plan,
        history,
      };
    } finally {
      head.dispose();
    }
  } finally {
    await encoder.dispose();
  }
}

/** A few right and (if any) wrong predictions, deterministic. */
function pickExamples(test: Example[], preds: Array<{ k: number }>, n: number): number[] {
  const right = test.map((_, i) => i).filter((i) => preds[i]?.k === test[i]?.label);
  const wrong = test.map((_, i) => i).filter((i) => preds[i]?.k !== test[i]?.label);
  const w = wrong.slice(0, Math.min(2, wrong.length));
  return [...right.slice(0, n - w.length), ...w];
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
