/**
 * Reproduce the Keras "transfer learning toy example" (keras/examples/mnist_transfer_cnn.py):
 * a CNN trained on digits 0–4, then its convolutional "feature layers" frozen and the dense layers
 * fine-tuned on digits 5–9. Starts from the shipped weights (assets/mnist-cnn-0to4, made by
 * scripts/pretrain-mnist.ts) and prints the accuracies next to the published ones.
 *
 *   cd packages/vision && npx tsx --tsconfig scripts/tsconfig.json scripts/transfer-mnist.ts [--epochs 15] [--seed 7]
 */
import { parseArgs } from 'node:util';
import { fingerprint, formatSummaryLine, planFreeze, verifyFrozen } from '@frostline/core';
import { listParams, selectBackend, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { loadPretrained, mnistDataset } from '../src/index';

const { values } = parseArgs({
  options: { epochs: { type: 'string', default: '15' }, seed: { type: 'string', default: '7' } },
});
const epochs = Number(values.epochs);
const seed = Number(values.seed);

const backend = await selectBackend({ prefer: 'wasm', quiet: true });
const net = await loadPretrained('mnist-cnn');

function accuracy(model: tf.LayersModel, x: tf.Tensor, labels: Int32Array): number {
  const pred = tf.tidy(() => (model.predict(x, { batchSize: 256 }) as tf.Tensor).argMax(-1).dataSync());
  return labels.reduce((ok, l, i) => ok + (pred[i] === l ? 1 : 0), 0) / labels.length;
}

const low = await mnistDataset({ digits: [0, 1, 2, 3, 4], split: 'test', backbone: net });
const accLow = accuracy(net.model, low.train.x, low.train.labels);

const high = await mnistDataset({ digits: [5, 6, 7, 8, 9], split: 'train', seed, backbone: net });
const highTest = await mnistDataset({ digits: [5, 6, 7, 8, 9], split: 'test', backbone: net });
const accHighBefore = accuracy(net.model, highTest.train.x, highTest.train.labels);

// Keras: `for l in feature_layers: l.trainable = False`. Here: the stages aliased `features`.
const policy = { rules: [{ freeze: 'features' }] };
const plan = planFreeze(listParams(net.model, { aliases: net.aliases }), policy);
console.log(formatSummaryLine(plan));
const before = fingerprint(
  Object.fromEntries(net.model.weights.map((w) => [w.originalName, w.read().dataSync()])),
);
const t0 = performance.now();
const result = await train(
  net.model,
  { train: { x: high.train.x, y: high.train.y }, validation: { x: highTest.train.x, y: highTest.train.y } },
  {
    policy,
    epochs,
    batchSize: 64,
    optimizer: 'adam',
    learningRate: 1e-3,
    seed,
    aliases: net.aliases,
    onEvent: (e) => {
      if (e.type === 'epochEnd') {
        console.log(
          `epoch ${e.epoch + 1}/${epochs}: loss ${e.logs.loss.toFixed(4)} test_acc ${e.logs.val_acc?.toFixed(4)}`,
        );
      }
    },
  },
);
const seconds = (performance.now() - t0) / 1000;
const after = fingerprint(
  Object.fromEntries(net.model.weights.map((w) => [w.originalName, w.read().dataSync()])),
);
const check = verifyFrozen(plan, before, after);
const accHigh = accuracy(net.model, highTest.train.x, highTest.train.labels);

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
console.log(`
backend ${backend.tfBackend}; ${high.train.labels.length} training digits 5–9, ${highTest.train.labels.length} test digits 5–9, ${low.train.labels.length} test digits 0–4
| digits                          | Keras example (published) | frostline (measured) |
|---------------------------------|---------------------------|----------------------|
| 0–4, after pretraining          | 99.8%                     | ${pct(accLow).padEnd(20)} |
| 5–9, before transfer            | –                         | ${pct(accHighBefore).padEnd(20)} |
| 5–9, after transfer (${epochs} epochs) | 99.2%                     | ${pct(accHigh).padEnd(20)} |
frozen conv weights bit-identical: ${check.ok} (${check.checked} tensors checked); transfer took ${seconds.toFixed(1)} s (cache: ${result.cache.status})`);
