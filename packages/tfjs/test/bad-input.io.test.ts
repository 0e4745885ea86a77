import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../../../test-support/tree-hash';
import {
  FrostlineTfjsError,
  type FrostlineTfjsErrorCode,
  fileSystemIO,
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
  saveModel,
  train,
} from '../src/index';
import { type OptimizerState, optimizerConfig } from '../src/optimizer';
import { mlp, same, useCpu, values } from './helpers';

/**
 * The catalogue of bad inputs to model and checkpoint IO. Every case asserts the exact code, that the
 * message names the input (a path, a field, a value), that nothing on disk changed, and that no
 * tensor leaked. Cases are data: add a row to cover a new failure.
 */
// biome-ignore lint/suspicious/noExplicitAny: the cases edit parsed JSON files freely
type Json = any;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-bad-io-'));
let model: tf.LayersModel;
let goodModel: string;
let goodCkpt: string;
let n = 0;

function optimizerState(fill?: number): OptimizerState {
  return {
    config: optimizerConfig('adam', 0.01, 0),
    params: [
      {
        name: 'head/kernel',
        step: 3,
        slots: { m: tf.fill([8, 3], fill ?? 0.5), v: tf.fill([8, 3], 0.25) },
      },
    ],
  };
}

beforeAll(async () => {
  await useCpu();
  model = mlp();
  goodModel = path.join(root, 'good-model');
  await saveModel(model, goodModel);
  goodCkpt = path.join(root, 'good-ckpt');
  const opt = optimizerState();
  await saveCheckpoint(goodCkpt, { model, policy: { rules: [{ freeze: 'd1' }] }, epoch: 2, optimizer: opt });
  tf.dispose(opt.params.flatMap((p) => Object.values(p.slots)));
});
afterAll(() => {
  model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh copy of a fixture folder to break. */
function copyOf(src: string): string {
  const dir = path.join(root, `case-${++n}`);
  fs.cpSync(src, dir, { recursive: true });
  return dir;
}
const readJson = (dir: string, f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const writeJson = (dir: string, f: string, v: unknown) =>
  fs.writeFileSync(path.join(dir, f), JSON.stringify(v));
function editJson(dir: string, f: string, edit: (j: Record<string, unknown>) => unknown): void {
  const j = readJson(dir, f);
  const out = edit(j);
  writeJson(dir, f, out === undefined ? j : out);
}
const editMeta = (edit: (m: Record<string, Json>) => unknown) => (dir: string) =>
  editJson(dir, 'frostline.json', edit);
const editManifest =
  (edit: (weights: Array<Record<string, Json>>, group: Record<string, Json>) => void) => (dir: string) =>
    editJson(dir, 'model.json', (j) => {
      const group = (j.weightsManifest as Array<Record<string, Json>>)[0]!;
      edit(group.weights, group);
    });

interface Case {
  name: string;
  code: FrostlineTfjsErrorCode;
  /** What the message must name (the path, field or value at fault). */
  names: string | RegExp | ((dir: string) => string);
  /** Fixture folder to copy and break first (file cases); omitted for call-only cases. */
  from?: 'model' | 'ckpt';
  breakIt?: (dir: string) => void;
  run: (dir: string) => Promise<unknown>;
}

const load = (dir: string) => loadModel(dir);
const loadCk = async (dir: string) => {
  const ck = await loadCheckpoint(dir);
  ck.model.dispose();
  ck.dispose();
};

const modelCases: Case[] = [
  {
    name: 'model.json missing',
    code: 'MODEL_LOAD_FAILED',
    names: (d) => d,
    from: 'model',
    breakIt: (d) => fs.rmSync(path.join(d, 'model.json')),
    run: load,
  },
  {
    name: 'model.json not JSON',
    code: 'MODEL_LOAD_FAILED',
    names: 'model.json',
    from: 'model',
    breakIt: (d) => fs.writeFileSync(path.join(d, 'model.json'), '{"modelTopology": '),
    run: load,
  },
  ...['../x.bin', '/etc/passwd', 'sub/../../x.bin', 'http://evil.example/x.bin', 'C:\\x.bin'].map(
    (p): Case => ({
      name: `weight path ${p}`,
      code: 'UNSAFE_PATH',
      names: p,
      from: 'model',
      breakIt: editManifest((_w, g) => {
        g.paths = [p];
      }),
      run: load,
    }),
  ),
  {
    name: 'weight file is a symlink leading outside',
    code: 'UNSAFE_PATH',
    names: 'weights.bin',
    from: 'model',
    breakIt: (d) => {
      const outside = path.join(root, `outside-${n}.bin`);
      fs.renameSync(path.join(d, 'weights.bin'), outside);
      fs.symlinkSync(outside, path.join(d, 'weights.bin'));
    },
    run: load,
  },
  {
    name: 'weight file missing',
    code: 'MODEL_LOAD_FAILED',
    names: 'weights.bin',
    from: 'model',
    breakIt: (d) => fs.rmSync(path.join(d, 'weights.bin')),
    run: load,
  },
  {
    name: 'weights.bin cut short',
    code: 'WEIGHT_SIZE_MISMATCH',
    names: 'weights.bin',
    from: 'model',
    breakIt: (d) => fs.truncateSync(path.join(d, 'weights.bin'), 40),
    run: load,
  },
  {
    name: 'weights.bin with extra bytes',
    code: 'WEIGHT_SIZE_MISMATCH',
    names: 'weights.bin',
    from: 'model',
    breakIt: (d) => fs.appendFileSync(path.join(d, 'weights.bin'), Buffer.alloc(8)),
    run: load,
  },
  {
    name: 'manifest entries reordered (same total bytes)',
    code: 'WEIGHT_CHECKSUM_MISMATCH',
    names: 'd1/bias',
    from: 'model',
    breakIt: editManifest((w) => {
      // d1/kernel [6,8] then d1/bias [8] → bias first: same bytes in all, every offset moved.
      [w[0], w[1]] = [w[1]!, w[0]!];
    }),
    run: load,
  },
  {
    name: 'two same-shape entries swapped',
    code: 'WEIGHT_CHECKSUM_MISMATCH',
    names: /'d[12]\/bias'/,
    from: 'model',
    breakIt: editManifest((w) => {
      // d1/bias [8] and d2/bias [8]: shapes agree, so only the fingerprints can tell.
      const a = w.findIndex((e) => e.name.endsWith('d1/bias'));
      const b = w.findIndex((e) => e.name.endsWith('d2/bias'));
      [w[a], w[b]] = [w[b]!, w[a]!];
    }),
    run: load,
  },
  {
    name: 'weights.bin changed in place',
    code: 'WEIGHT_CHECKSUM_MISMATCH',
    names: 'd1/kernel',
    from: 'model',
    breakIt: (d) => {
      const f = path.join(d, 'weights.bin');
      const b = fs.readFileSync(f);
      b[5] = b[5]! ^ 0xff;
      fs.writeFileSync(f, b);
    },
    run: load,
  },
  {
    name: 'a fingerprint edited',
    code: 'WEIGHT_CHECKSUM_MISMATCH',
    names: 'head/bias',
    from: 'model',
    breakIt: editManifest((w) => {
      w.find((e) => e.name.endsWith('head/bias'))!.frostlineFingerprint = '0000000000000000';
    }),
    run: load,
  },
  {
    name: 'in-memory artifacts with reordered weight specs',
    code: 'WEIGHT_CHECKSUM_MISMATCH',
    names: 'the given artifacts',
    run: async () => {
      const a = await fileSystemIO(goodModel).load!();
      const specs = [...a.weightSpecs!];
      [specs[0], specs[1]] = [specs[1]!, specs[0]!];
      return loadModel({ ...a, weightSpecs: specs });
    },
  },
  {
    name: 'unknown layer class',
    code: 'MODEL_LOAD_FAILED',
    names: 'NoSuchLayer',
    from: 'model',
    breakIt: (d) =>
      editJson(d, 'model.json', (j) => {
        (j.modelTopology as Json).config.layers[1].class_name = 'NoSuchLayer';
      }),
    run: load,
  },
  {
    name: 'save into a folder holding other files',
    code: 'BAD_OPTION',
    names: 'notes.txt',
    from: 'model',
    breakIt: (d) => fs.writeFileSync(path.join(d, 'notes.txt'), 'mine'),
    run: (d) => saveModel(model, d),
  },
  {
    name: 'save over a regular file',
    code: 'BAD_OPTION',
    names: 'a-file',
    from: 'model',
    breakIt: (d) => fs.writeFileSync(path.join(d, 'a-file'), 'mine'),
    run: (d) => saveModel(model, path.join(d, 'a-file')),
  },
  {
    name: 'save under a regular file',
    code: 'IO_ERROR',
    names: 'a-file',
    from: 'model',
    breakIt: (d) => fs.writeFileSync(path.join(d, 'a-file'), 'mine'),
    run: (d) => saveModel(model, path.join(d, 'a-file', 'sub', 'm')),
  },
  {
    name: 'save to /proc/x (Node 20 mkdir -p would hang there)',
    code: 'IO_ERROR',
    names: '/proc/x',
    run: () => saveModel(model, '/proc/x'),
  },
  {
    name: 'save to /proc/x/y/z',
    code: 'IO_ERROR',
    names: '/proc/x/y/z',
    run: () => saveModel(model, '/proc/x/y/z'),
  },
];

const metaCases: Array<[string, string | RegExp, (m: Record<string, Json>) => unknown]> = [
  ['frostline.json = null', 'null', () => null],
  ['frostline.json = []', '[]', () => []],
  ['frostline.json = "x"', "'x'", () => 'x'],
  [
    'wrong format',
    'keras',
    (m) => {
      m.format = 'keras';
    },
  ],
  [
    'version 2',
    'version 2',
    (m) => {
      m.version = 2;
    },
  ],
  [
    'epoch -1',
    'epoch is -1',
    (m) => {
      m.epoch = -1;
    },
  ],
  [
    'epoch 1.5',
    'epoch is 1.5',
    (m) => {
      m.epoch = 1.5;
    },
  ],
  [
    'epoch "3"',
    "epoch is '3'",
    (m) => {
      m.epoch = '3';
    },
  ],
  [
    'epoch null (NaN written as JSON)',
    'epoch is null',
    (m) => {
      m.epoch = null;
    },
  ],
  [
    'seed a string',
    "seed is 'x'",
    (m) => {
      m.seed = 'x';
    },
  ],
  [
    'policy with a misspelled rule',
    'policy',
    (m) => {
      m.policy = { rules: [{ freez: 'd1' }] };
    },
  ],
  [
    'policy = null',
    'policy',
    (m) => {
      m.policy = null;
    },
  ],
  [
    'history = {}',
    'history',
    (m) => {
      m.history = {};
    },
  ],
  [
    'trainable = [1]',
    'trainable',
    (m) => {
      m.trainable = [1];
    },
  ],
  [
    'earlyStopping.wait -1',
    'earlyStopping.wait',
    (m) => {
      m.earlyStopping = { best: 1, wait: -1 };
    },
  ],
  [
    'optimizer.params = {}',
    'optimizer.params',
    (m) => {
      m.optimizer.params = {};
    },
  ],
  [
    'optimizer.params[0] = null',
    'optimizer.params[0]',
    (m) => {
      m.optimizer.params[0] = null;
    },
  ],
  [
    'step -1',
    'optimizer.params[0].step',
    (m) => {
      m.optimizer.params[0].step = -1;
    },
  ],
  [
    'slot offset past the end',
    'optimizer.params[0].slots.v',
    (m) => {
      m.optimizer.params[0].slots.v.offset = 1000;
    },
  ],
  [
    'slot shape disagrees with its length',
    'optimizer.params[0].slots.m.shape',
    (m) => {
      m.optimizer.params[0].slots.m.shape = [8, 4];
    },
  ],
  [
    'optimizer.file leaves the folder',
    '../x.bin',
    (m) => {
      m.optimizer.file = '../x.bin';
    },
  ],
  [
    'unknown optimizer',
    'nadam',
    (m) => {
      m.optimizer.config.name = 'nadam';
    },
  ],
  [
    'learning rate null',
    'optimizer.config.learningRate',
    (m) => {
      m.optimizer.config.learningRate = null;
    },
  ],
  [
    'a parameter listed twice',
    "'head/kernel' twice",
    (m) => {
      m.optimizer.params.push(m.optimizer.params[0]);
    },
  ],
];

const floatsAt = (d: string) => path.join(d, 'optimizer.bin');
function writeFloat(d: string, index: number, v: number): void {
  const b = fs.readFileSync(floatsAt(d));
  b.writeFloatLE(v, index * 4);
  fs.writeFileSync(floatsAt(d), b);
}

const checkpointCases: Case[] = [
  ...metaCases.map(
    ([name, names, edit]): Case => ({
      name: `load: ${name}`,
      code: 'CHECKPOINT_INVALID',
      names,
      from: 'ckpt',
      breakIt: editMeta(edit),
      run: loadCk,
    }),
  ),
  {
    name: 'load: frostline.json not JSON',
    code: 'CHECKPOINT_INVALID',
    names: 'frostline.json',
    from: 'ckpt',
    breakIt: (d) => fs.writeFileSync(path.join(d, 'frostline.json'), '{'),
    run: loadCk,
  },
  {
    name: 'load: a plain model folder',
    code: 'CHECKPOINT_INVALID',
    names: 'frostline.json is missing',
    from: 'model',
    run: loadCk,
  },
  {
    name: 'load: optimizer.bin missing',
    code: 'CHECKPOINT_INVALID',
    names: 'optimizer.bin is missing',
    from: 'ckpt',
    breakIt: (d) => fs.rmSync(floatsAt(d)),
    run: loadCk,
  },
  {
    name: 'load: optimizer.bin cut mid-float',
    code: 'CHECKPOINT_INVALID',
    names: 'optimizer.bin is cut',
    from: 'ckpt',
    breakIt: (d) => fs.truncateSync(floatsAt(d), 30),
    run: loadCk,
  },
  {
    name: 'load: optimizer.bin cut at a float boundary',
    code: 'CHECKPOINT_INVALID',
    names: 'optimizer.bin holds 44 floats',
    from: 'ckpt',
    breakIt: (d) => fs.truncateSync(floatsAt(d), 44 * 4),
    run: loadCk,
  },
  {
    name: 'load: optimizer.bin holds NaN',
    code: 'CHECKPOINT_INVALID',
    names: "'head/kernel' (slot 'm', value 3) is NaN",
    from: 'ckpt',
    breakIt: (d) => writeFloat(d, 3, Number.NaN),
    run: loadCk,
  },
  {
    name: 'load: optimizer.bin holds Infinity',
    code: 'CHECKPOINT_INVALID',
    names: "slot 'v', value 0) is Infinity",
    from: 'ckpt',
    breakIt: (d) => writeFloat(d, 24, Number.POSITIVE_INFINITY),
    run: loadCk,
  },
  {
    name: 'load: model.json with an unknown layer class',
    code: 'CHECKPOINT_INVALID',
    names: 'NoSuchLayer',
    from: 'ckpt',
    breakIt: (d) =>
      editJson(d, 'model.json', (j) => {
        (j.modelTopology as Json).config.layers[2].class_name = 'NoSuchLayer';
      }),
    run: loadCk,
  },
  {
    name: 'load: reordered manifest in a checkpoint',
    code: 'WEIGHT_CHECKSUM_MISMATCH',
    names: 'd1/bias',
    from: 'ckpt',
    breakIt: editManifest((w) => {
      [w[0], w[1]] = [w[1]!, w[0]!];
    }),
    run: loadCk,
  },
  {
    name: 'load: empty path',
    code: 'BAD_OPTION',
    names: 'folder path',
    run: () => loadCheckpoint(''),
  },
];

/** saveCheckpoint over a good checkpoint with a bad argument: refused before anything moves. */
const saveArgCases: Array<[string, string | RegExp, () => Record<string, unknown>]> = [
  ['epoch NaN', 'epoch is null', () => ({ epoch: Number.NaN })],
  ['epoch -1', 'epoch is -1', () => ({ epoch: -1 })],
  ['epoch 2.5', 'epoch is 2.5', () => ({ epoch: 2.5 })],
  ['epoch Infinity', 'epoch is null', () => ({ epoch: Number.POSITIVE_INFINITY })],
  ['a misspelled policy rule', 'policy', () => ({ policy: { rules: [{ freez: 'd1' }] } })],
  ['policy rules not a list', 'policy', () => ({ policy: { rules: 'd1' } })],
  ['seed NaN', 'seed is null', () => ({ seed: Number.NaN })],
  ['history not a list', 'history', () => ({ history: 'x' })],
  ['trainable with a number', 'trainable', () => ({ trainable: ['d1/kernel', 3] })],
  [
    'optimizer state with NaN',
    "'head/kernel' (slot 'm', value 0) is NaN",
    () => ({ optimizer: optimizerState(Number.NaN) }),
  ],
  ['earlyStopping.wait NaN', 'earlyStopping.wait', () => ({ earlyStopping: { best: 1, wait: Number.NaN } })],
];

const saveCases: Case[] = [
  ...saveArgCases.map(
    ([name, names, args]): Case => ({
      name: `save: ${name}`,
      code: 'CHECKPOINT_INVALID',
      names,
      from: 'ckpt',
      run: async (d) => {
        const a = args();
        try {
          await saveCheckpoint(d, { model, policy: {}, epoch: 3, ...a } as never);
        } finally {
          const opt = a.optimizer as OptimizerState | undefined;
          if (opt) tf.dispose(opt.params.flatMap((p) => Object.values(p.slots)));
        }
      },
    }),
  ),
  {
    name: 'save: args null',
    code: 'BAD_OPTION',
    names: 'model',
    from: 'ckpt',
    run: (d) => saveCheckpoint(d, null as never),
  },
  {
    name: 'save: no model',
    code: 'BAD_OPTION',
    names: 'model',
    from: 'ckpt',
    run: (d) => saveCheckpoint(d, { policy: {}, epoch: 1 } as never),
  },
  {
    name: 'save: empty folder path',
    code: 'BAD_OPTION',
    names: 'folder path',
    run: () => saveCheckpoint('', { model, policy: {}, epoch: 1 }),
  },
  {
    name: 'save: a model with a layer class TF.js cannot load back',
    code: 'CHECKPOINT_INVALID',
    names: 'NotRegisteredLayer',
    from: 'ckpt',
    run: async (d) => {
      class NotRegisteredLayer extends tf.layers.Layer {
        static className = 'NotRegisteredLayer';
        override call(x: tf.Tensor | tf.Tensor[]) {
          return x;
        }
      }
      const m = tf.sequential({
        layers: [tf.layers.dense({ units: 2, inputShape: [3] }), new NotRegisteredLayer({})],
      });
      try {
        await saveCheckpoint(d, { model: m, policy: {}, epoch: 1 });
      } finally {
        m.dispose();
      }
    },
  },
  {
    name: 'save: under /proc',
    code: 'IO_ERROR',
    names: '/proc/frostline-ckpt',
    run: () => saveCheckpoint('/proc/frostline-ckpt', { model, policy: {}, epoch: 1 }),
  },
];

/** train({ cache: { dir } }) where the folder cannot exist: a typed error, not ENOTDIR or a hang. */
const cacheCases: Case[] = [
  ['under a regular file', (d: string) => path.join(d, 'a-file', 'cache')],
  ['under /proc', () => '/proc/frostline-cache'],
].map(
  ([name, dirOf]): Case => ({
    name: `train cache dir ${name as string}`,
    code: 'IO_ERROR',
    names: name === 'under /proc' ? '/proc/frostline-cache' : 'a-file',
    from: 'model',
    breakIt: (d) => fs.writeFileSync(path.join(d, 'a-file'), 'mine'),
    run: async (d) => {
      const m = mlp();
      const x = tf.ones([4, 6]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3).toFloat());
      try {
        await train(
          m,
          { x, y },
          {
            epochs: 1,
            policy: { rules: [{ freeze: 'd1' }] },
            cache: { dir: (dirOf as (d: string) => string)(d) },
          },
        );
      } finally {
        tf.dispose([x, y]);
        m.dispose();
      }
    },
  }),
);

const allCases = [...modelCases, ...checkpointCases, ...saveCases, ...cacheCases];

describe('bad inputs to model and checkpoint IO', () => {
  it('has a large catalogue', () => {
    expect(allCases.length).toBeGreaterThanOrEqual(70);
  });

  it.each(allCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = c.from ? copyOf(c.from === 'model' ? goodModel : goodCkpt) : root;
    c.breakIt?.(dir);
    const hashBefore = c.from ? treeHash(root) : undefined;
    const tensors = tf.memory().numTensors;
    const err = await c.run(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'expected a typed error').toBeInstanceOf(FrostlineTfjsError);
    const e = err as FrostlineTfjsError;
    expect(e.code, e.message).toBe(c.code);
    const names = typeof c.names === 'function' ? c.names(dir) : c.names;
    if (typeof names === 'string') expect(e.message).toContain(names);
    else expect(e.message).toMatch(names);
    expect(e.message.length).toBeLessThan(600);
    expect(tf.memory().numTensors, 'no tensor leaked').toBe(tensors);
    if (hashBefore) expect(treeHash(root), 'nothing on disk changed').toBe(hashBefore);
  });
});

describe('what the bad inputs must not break', () => {
  it('a foreign model without fingerprints (even reordered) loads as before', async () => {
    const dir = copyOf(goodModel);
    editManifest((w) => {
      for (const e of w) delete e.frostlineFingerprint;
      const a = w.findIndex((e) => e.name.endsWith('d1/bias'));
      const b = w.findIndex((e) => e.name.endsWith('d2/bias'));
      [w[a], w[b]] = [w[b]!, w[a]!];
    })(dir);
    const m = await loadModel(dir);
    // Loaded, and (as in plain TF.js) with the two biases swapped: nothing to check them against.
    expect(same(values(m).get('d1/bias')!, values(model).get('d2/bias')!)).toBe(true);
    m.dispose();
  });

  it('a refused save leaves the previous checkpoint loadable with its weights', async () => {
    const dir = copyOf(goodCkpt);
    await expect(saveCheckpoint(dir, { model, policy: {}, epoch: Number.NaN })).rejects.toThrow(/epoch/);
    const ck = await loadCheckpoint(dir);
    expect(ck.meta.epoch).toBe(2);
    const a = values(ck.model);
    for (const [k, v] of values(model)) expect(same(v, a.get(k)!), k).toBe(true);
    ck.model.dispose();
    ck.dispose();
  });
});
