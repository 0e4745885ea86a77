import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend';
import { resume, type TrainData, type TrainOptions, train } from '../src/index';
import { mlp, toyData } from './helpers';

/**
 * The catalogue of bad inputs to `train` (issue 10): each case gets the exact code, a message that
 * names the input, and leaves `tf.memory().numTensors` where it was.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-bad-train-'));
let m: tf.LayersModel;
let twoOutputs: tf.LayersModel;
let x: tf.Tensor2D;
let y: tf.Tensor2D;
let ckptDir: string;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
  m = mlp();
  ({ x, y } = toyData(16, 6, 3));
  const input = tf.input({ shape: [6] });
  const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 2, name: 'b' }).apply(input) as tf.SymbolicTensor;
  twoOutputs = tf.model({ inputs: input, outputs: [a, b] });
  ckptDir = path.join(root, 'ck');
  const src = mlp();
  await train(src, { x, y }, { epochs: 2, batchSize: 8, checkpoint: { dir: ckptDir } });
  src.dispose();
});

afterAll(() => {
  tf.dispose([x, y]);
  m.dispose();
  twoOutputs.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Case {
  name: string;
  code: string;
  message: RegExp;
  /** Runs the bad call; tensors it creates go through `own` and are disposed after it. */
  run: (own: <T extends tf.Tensor>(t: T) => T) => Promise<unknown>;
}

const base: TrainOptions = { epochs: 1, batchSize: 8 };
const withOptions = (name: string, options: Partial<TrainOptions> | null, message: RegExp): Case => ({
  name,
  code: 'BAD_OPTION',
  message,
  run: () => train(m, { x, y }, (options === null ? null : { ...base, ...options }) as TrainOptions),
});
const withData = (
  name: string,
  data: (own: <T extends tf.Tensor>(t: T) => T) => unknown,
  message: RegExp,
  code = 'BAD_DATA',
): Case => ({
  name,
  code,
  message,
  run: (own) => train(m, data(own) as TrainData, base),
});
const sparse =
  (values: number[], dtype: 'float32' | 'int32' = 'float32') =>
  (own: <T extends tf.Tensor>(t: T) => T) => ({
    x,
    y: own(tf.tensor1d([...values, ...new Array(16 - values.length).fill(0)], dtype)),
  });

const cases: Case[] = [
  // The shape of `data`.
  withData('data null', () => null, /data is null; data must be \{ x: tf\.Tensor/),
  withData('data undefined', () => undefined, /data is undefined undefined; data must be/),
  withData('data a string', () => 'train.csv', /data is string train\.csv/),
  withData('wrong keys xs/ys', () => ({ xs: x, ys: y }), /data is an object with keys \[xs, ys\]/),
  withData('a bare tensor', () => x, /data is a bare tf\.Tensor of shape \[16,6\]/),
  withData('an [x, y] array', () => [x, y], /data is a plain array of length 2/),
  withData(
    'plain-array x',
    () => ({ x: [[1, 2, 3, 4, 5, 6]], y }),
    /data\.x is a plain array of length 1, not a tf\.Tensor \(wrap plain arrays with tf\.tensor/,
  ),
  withData('plain-array y', () => ({ x, y: [0, 1] }), /data\.y is a plain array of length 2/),
  withData('number x', () => ({ x: 3, y }), /data\.x is number 3, not a tf\.Tensor/),
  withData('empty x array', () => ({ x: [], y }), /data\.x is a plain array of length 0/),
  withData(
    'disposed x',
    () => {
      const t = tf.zeros([16, 6]);
      t.dispose();
      return { x: t, y };
    },
    /data\.x is a disposed tensor \(shape \[16,6\]\)/,
  ),
  withData(
    'disposed y',
    () => {
      const t = tf.zeros([16, 3]);
      t.dispose();
      return { x, y: t };
    },
    /data\.y is a disposed tensor/,
  ),
  withData('train: null', () => ({ train: null }), /data\.train is null/),
  withData(
    'validation without y',
    () => ({ train: { x, y }, validation: { x } }),
    /data\.validation is an object with keys \[x\]/,
  ),
  withData(
    'x with the wrong feature count',
    (own) => ({ x: own(tf.zeros([16, 5])), y }),
    /x has shape \[16,5\] but the model expects \[batch,6\]/,
  ),
  withData(
    'x and y row counts differ',
    (own) => ({ x: own(x.slice(0, 10)), y }),
    /x has 10 rows but y has 16/,
  ),
  withData(
    'no examples',
    (own) => ({ x: own(tf.zeros([0, 6])), y: own(tf.zeros([0, 3])) }),
    /training data: no examples/,
  ),
  // Sparse labels: integer class indices only.
  withData(
    'NaN sparse label',
    sparse([0, 1, Number.NaN]),
    /label 2 is NaN, but sparse labels must be integer class indices in 0\.\.2/,
  ),
  withData('fractional sparse label', sparse([0, 1.5]), /label 1 is 1\.5/),
  withData('negative sparse label', sparse([0, -1], 'int32'), /label 1 is -1/),
  withData('Infinity sparse label', sparse([Number.POSITIVE_INFINITY]), /label 0 is Infinity/),
  withData(
    'sparse label past the head',
    sparse([0, 7], 'int32'),
    /range over \[0, 7\] but the model outputs 3 classes/,
    'LABEL_MISMATCH',
  ),
  withData(
    'one-hot labels with 4 columns',
    (own) => ({ x, y: own(tf.tidy(() => tf.oneHot(tf.zeros([16], 'int32'), 4))) }),
    /labels have shape \[16,4\] but the model outputs 3 classes/,
    'LABEL_MISMATCH',
  ),
  // Options.
  withOptions('options null', null, /options must be an object/),
  withOptions('epochs 0', { epochs: 0 }, /epochs must be a positive integer, got 0/),
  withOptions('epochs 2.5', { epochs: 2.5 }, /epochs must be a positive integer, got 2\.5/),
  withOptions('epochs NaN', { epochs: Number.NaN }, /epochs must be a positive integer, got NaN/),
  withOptions('batchSize 0', { batchSize: 0 }, /batchSize must be a positive integer, got 0/),
  withOptions('learningRate 0', { learningRate: 0 }, /learningRate must be a positive finite number, got 0/),
  withOptions(
    'learningRate -0.1',
    { learningRate: -0.1 },
    /learningRate must be a positive finite number, got -0\.1/,
  ),
  withOptions('learningRate NaN', { learningRate: Number.NaN }, /learningRate .* got NaN/),
  withOptions(
    'learningRate Infinity',
    { learningRate: Number.POSITIVE_INFINITY },
    /learningRate .* got Infinity/,
  ),
  withOptions(
    'patience -1',
    { earlyStopping: { patience: -1 } },
    /earlyStopping\.patience must be an integer ≥ 0 .* got -1/,
  ),
  withOptions('patience 1.5', { earlyStopping: { patience: 1.5 } }, /earlyStopping\.patience .* got 1\.5/),
  withOptions(
    'minDelta -1',
    { earlyStopping: { patience: 1, minDelta: -1 } },
    /earlyStopping\.minDelta .* got -1/,
  ),
  withOptions(
    'monitor not logged',
    { earlyStopping: { patience: 1, monitor: 'val_f1' } },
    /earlyStopping\.monitor 'val_f1' is not logged\. Available: loss, acc/,
  ),
  withOptions(
    'checkpoint.every 0',
    { checkpoint: { dir: path.join(root, 'never'), every: 0 } },
    /checkpoint\.every must be a positive integer .* got 0/,
  ),
  withOptions(
    'checkpoint.every -2',
    { checkpoint: { dir: path.join(root, 'never'), every: -2 } },
    /checkpoint\.every .* got -2/,
  ),
  withOptions(
    'checkpoint without dir',
    { checkpoint: { every: 1 } as never },
    /checkpoint must be \{ dir: string/,
  ),
  withOptions('unknown loss', { loss: 'hinge' }, /Unknown loss 'hinge'/),
  withOptions('unknown metric', { metrics: ['f1'] }, /Unknown metric 'f1'/),
  withOptions('unknown optimizer', { optimizer: 'lbfgs' as never }, /Unknown optimizer 'lbfgs'/),
  withOptions('negative weightDecay', { weightDecay: -1 }, /weightDecay must be ≥ 0, got -1/),
  withOptions('seed NaN', { seed: Number.NaN }, /seed must be a finite number, got NaN/),
  withOptions(
    'cache yes',
    { cache: 'yes' as never },
    /cache must be 'auto', 'off' or \{ dir: string \}, got 'yes'/,
  ),
  withOptions(
    'verifyFrozen sometimes',
    { verifyFrozen: 'sometimes' as never },
    /verifyFrozen must be .* got 'sometimes'/,
  ),
  withOptions(
    'validationSplit 1.5',
    { validationSplit: 1.5 },
    /validationSplit must be in \(0, 1\), got 1\.5/,
  ),
  withOptions(
    'augment not a function',
    { augment: 'flip' as never },
    /augment must be a function, got 'flip'/,
  ),
  withOptions(
    'policy freezes everything',
    { policy: { default: 'frozen' } },
    /plan for epoch 1 freezes every parameter/,
  ),
  withOptions(
    'external parameter made trainable',
    { externalParams: [{ name: 'encoder/w', shape: [4], layer: 'encoder' }] },
    /external parameters trainable \(encoder\/w\)/,
  ),
  withOptions(
    'resumeFrom not a checkpoint',
    { resumeFrom: 42 as never },
    /resumeFrom must be a checkpoint folder path/,
  ),
  withOptions(
    'resume with epochs at the checkpoint',
    { epochs: 2, resumeFrom: path.join(root, 'ck') },
    /checkpoint is already at epoch 2, so epochs: 2/,
  ),
  withOptions(
    'resume with epochs below the checkpoint',
    { epochs: 1, resumeFrom: path.join(root, 'ck') },
    /checkpoint is already at epoch 2, so epochs: 1/,
  ),
  // The model.
  {
    name: 'model null',
    code: 'UNSUPPORTED_MODEL',
    message: /Expected a tf\.LayersModel .* got null/,
    run: () => train(null as never, { x, y }, base),
  },
  {
    name: 'two outputs',
    code: 'UNSUPPORTED_MODEL',
    message: /single-output models; this one has 2/,
    run: () => train(twoOutputs, { x, y }, base),
  },
];

describe('train: bad inputs get a typed error and leak nothing', () => {
  it(`has at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const owned: tf.Tensor[] = [];
      const own = <T extends tf.Tensor>(t: T) => {
        owned.push(t);
        return t;
      };
      const before = tf.memory().numTensors;
      const err = await c.run(own).then(
        () => undefined,
        (e) => e,
      );
      // The resume cases point at the checkpoint made in beforeAll.
      tf.dispose(owned);
      expect(err, 'no error thrown').toBeDefined();
      expect(err.code, err.message).toBe(c.code);
      expect(err.message).toMatch(c.message);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('resume failures release the loaded checkpoint', () => {
  it('resume(dir) with epochs ≤ the checkpoint epoch, or bad data, leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const e1 = await resume(ckptDir, { x, y }, { epochs: 2 }).catch((e) => e);
    expect(e1.code).toBe('BAD_OPTION');
    expect(e1.message).toMatch(/already at epoch 2/);
    const bad = tf.zeros([16, 5]);
    const e2 = await resume(ckptDir, { x: bad, y }, { epochs: 3 }).catch((e) => e);
    bad.dispose();
    expect(e2.code).toBe('BAD_DATA');
    const e3 = await train(m, { x, y }, { epochs: 3, resumeFrom: ckptDir, learningRate: -1 }).catch((e) => e);
    expect(e3.code).toBe('BAD_OPTION');
    const e4 = await train(m, { x, y }, { epochs: 3, resumeFrom: ckptDir, metrics: ['f1'] }).catch((e) => e);
    expect(e4.code).toBe('BAD_OPTION');
    expect(tf.memory().numTensors).toBe(before);
  });
});
