/**
 * Benchmarks for @frostline/nlp (prints tables; not a test):
 *  1. embedding throughput (sentences/s) per encoder and pooling,
 *  2. a cached second run (disk, then memory) against recomputing,
 *  3. head training time once embeddings are cached (linear and MLP heads).
 *
 *   pnpm --filter @frostline/nlp bench           (needs core/tfjs dist: turbo builds them)
 *   FROSTLINE_BENCH_BACKEND=cpu … to compare backends
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  EmbeddingCache,
  loadEncoder,
  type Pooling,
  sentimentDataset,
  type TextEncoder,
  trainTextClassifier,
} from '../src/index';

const require = createRequire(import.meta.url);
const TINY_BERT = fileURLToPath(new URL('../test/fixtures/tiny-bert', import.meta.url));
const now = () => performance.now();

async function useBackend(name: string): Promise<string> {
  if (name === 'wasm') {
    setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  }
  await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${w.map((n, i) => (i === 0 ? `${'-'.repeat(n + 1)}-` : `${'-'.repeat(n + 1)}:`)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

async function timeEmbed(enc: TextEncoder, texts: string[], batchSize = 32): Promise<number> {
  await enc.embed(texts.slice(0, 8), { batchSize }); // warm-up: first-call compilation / allocation
  const t = now();
  await enc.embed(texts, { batchSize });
  return now() - t;
}

const backend = await useBackend(process.env.FROSTLINE_BENCH_BACKEND ?? 'wasm');
const { train, test } = await sentimentDataset();
const texts = [...train.texts, ...test.texts];
console.log(
  `@frostline/nlp bench: ${texts.length} review sentences, TF.js backend ${backend}, node ${process.version}\n`,
);

// 1. throughput ---------------------------------------------------------------------------------
const throughput: Array<Array<string | number>> = [];
const encoders: Array<{ label: string; enc: TextEncoder }> = [];
for (const pooling of ['cls', 'mean', 'max'] as Pooling[]) {
  const enc = await loadEncoder({ kind: 'transformers', model: TINY_BERT, pooling, runtime: 'auto' });
  encoders.push({ label: `tiny-bert (${enc.runtime}) ${pooling}`, enc });
}
const use = await loadEncoder({ kind: 'use-lite' });
encoders.push({ label: `use-lite (tfjs ${backend})`, enc: use });
for (const { label, enc } of encoders) {
  const ms = await timeEmbed(enc, texts);
  throughput.push([label, enc.dim, (texts.length / (ms / 1000)).toFixed(0), (ms / texts.length).toFixed(2)]);
}
// USE-lite batch size sweep (wasm in Node is single-threaded, batching is the lever).
const sweep = texts.slice(0, 256);
for (const bs of [1, 8, 64]) {
  const ms = await timeEmbed(use, sweep, bs);
  throughput.push([
    `use-lite batch ${bs}`,
    512,
    (sweep.length / (ms / 1000)).toFixed(0),
    (ms / sweep.length).toFixed(2),
  ]);
}
console.log('Embedding throughput (batch 32 unless noted)');
console.log(table(['encoder / pooling', 'dim', 'sentences/s', 'ms/sentence'], throughput));

// 2. cache --------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'frostline-nlp-bench-'));
const cacheRows: Array<Array<string | number>> = [];
for (const { label, enc } of [encoders[1]!, encoders[3]!]) {
  let t = now();
  await enc.embed(texts);
  const recompute = now() - t;
  t = now();
  await new EmbeddingCache({ dir }).embed(enc, texts);
  const firstRun = now() - t;
  const second = new EmbeddingCache({ dir });
  t = now();
  await second.embed(enc, texts);
  const diskRun = now() - t;
  t = now();
  await second.embed(enc, texts);
  const memRun = now() - t;
  cacheRows.push([
    label,
    recompute.toFixed(0),
    firstRun.toFixed(0),
    diskRun.toFixed(1),
    memRun.toFixed(1),
    `${(recompute / diskRun).toFixed(0)}×`,
    `${(recompute / memRun).toFixed(0)}×`,
  ]);
}
console.log(`\nCached second run over ${texts.length} sentences (ms)`);
console.log(
  table(
    [
      'encoder',
      'recompute',
      '1st run + write',
      '2nd run (disk)',
      'again (memory)',
      'speed-up disk',
      'speed-up memory',
    ],
    cacheRows,
  ),
);

// 3. heads on cached embeddings -------------------------------------------------------------------
const cache = new EmbeddingCache({ dir });
const heads: Array<Array<string | number>> = [];
for (const [label, head, epochs] of [
  ['Linear(512, 2)', undefined, 30],
  ['MLP 512-128-2', { hidden: 128, dropout: 0.1 }, 30],
] as const) {
  const res = await trainTextClassifier({
    encoder: use,
    train,
    test,
    cache,
    epochs,
    batchSize: 16,
    learningRate: 0.01,
    seed: 1,
    ...(head ? { head } : {}),
  });
  heads.push([
    label,
    epochs,
    res.cache.encoderCalls,
    res.timing.embedMs.toFixed(0),
    res.timing.trainMs.toFixed(0),
    (res.timing.trainMs / epochs).toFixed(1),
    `${(res.metrics.test!.accuracy * 100).toFixed(1)}%`,
  ]);
  res.classifier.dispose();
}
console.log(
  `\nHead training on cached USE-lite embeddings (${train.texts.length} train / ${test.texts.length} test)`,
);
console.log(
  table(['head', 'epochs', 'encoder calls', 'embed ms', 'train ms', 'ms/epoch', 'test acc'], heads),
);

for (const { enc } of encoders) await enc.dispose();
rmSync(dir, { recursive: true, force: true });
