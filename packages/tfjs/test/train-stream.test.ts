import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StreamSource, type TrainEvent, train } from '../src/index';
import { mlp, toyData, useCpu } from './helpers';

beforeAll(useCpu);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-train-stream-'));
  dirs.push(d);
  return d;
};

/** Weights sorted by layer/weight name (`d1/kernel`, …: stable across rebuilds; `model.weights` puts trainable ones first). */
const weights = (m: tf.LayersModel) =>
  [...m.weights]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((w) => Float32Array.from(w.read().dataSync()));
/** Equal values (±0 compare equal: a relu gradient may be -0 on one path and +0 on the other). */
const allSame = (a: Float32Array[], b: Float32Array[]) =>
  a.length === b.length && a.every((v, i) => v.length === b[i]!.length && v.every((x, j) => x === b[i]![j]));

/** `x`, `y` as a re-iterable stream of row slices of `batch` rows, counting the batches it hands out. */
function sliced(x: tf.Tensor, y: tf.Tensor, batch: number, identity?: string) {
  const n = x.shape[0]!;
  const counter = { batches: 0 };
  const source: StreamSource = {
    size: n,
    ...(identity ? { identity } : {}),
    *batches() {
      for (let s = 0; s < n; s += batch) {
        counter.batches++;
        yield { x: x.slice(s, Math.min(batch, n - s)), y: y.slice(s, Math.min(batch, n - s)) };
      }
    },
  };
  return { source, counter };
}

const base = { epochs: 3, batchSize: 8, learningRate: 0.05, seed: 5 };
const headOnly = { rules: [{ freeze: 'd1' }, { freeze: 'd2' }] };

describe('train on streams', () => {
  it('a tf.data.Dataset and an async iterable train to exactly the tensor path, cache off (same batches, no shuffle)', async () => {
    const { x, y } = toyData(40, 6, 3);
    const opts = { ...base, shuffle: false, cache: 'off' as const, policy: { rules: [{ freeze: 'd1' }] } };
    const ref = mlp();
    await train(ref, { x, y }, opts);

    const viaDataset = mlp();
    const xs = x.arraySync() as number[][];
    const ys = y.arraySync() as number[][];
    const ds = tf.data.zip({ xs: tf.data.array(xs), ys: tf.data.array(ys) }).batch(8);
    const rd = await train(viaDataset, ds as never, opts);
    expect(allSame(weights(viaDataset), weights(ref))).toBe(true);
    expect(rd.history.map((h) => h.cache)).toEqual(['off', 'off', 'off']);

    const viaIterable = mlp();
    async function* gen() {
      for (let s = 0; s < 40; s += 8) yield { x: x.slice(s, 8), y: y.slice(s, 8) };
    }
    await train(viaIterable, () => gen(), opts);
    expect(allSame(weights(viaIterable), weights(ref))).toBe(true);
    tf.dispose([x, y]);
    for (const m of [ref, viaDataset, viaIterable]) m.dispose();
  });

  it('with a frozen prefix the stream is read once into the feature store; shuffled epochs equal the tensor path', async () => {
    const { x, y } = toyData(40, 6, 3);
    const v = toyData(12, 6, 3, 9);
    const opts = { ...base, policy: headOnly };
    const ref = mlp();
    const rr = await train(ref, { train: { x, y }, validation: v }, opts);
    expect(rr.cache.status).toBe('used');

    const m = mlp();
    const frozenBefore = weights(m).slice(0, 4);
    const tr = sliced(x, y, 16);
    const va = sliced(v.x, v.y, 5);
    const events: TrainEvent[] = [];
    const before = tf.memory().numTensors;
    const res = await train(
      m,
      { train: tr.source, validation: va.source },
      { ...opts, cache: { dir: tmp() }, onEvent: (e) => events.push(e) },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(allSame(weights(m), weights(ref))).toBe(true);
    expect(allSame(weights(m).slice(0, 4), frozenBefore)).toBe(true);
    expect(res.history.map((h) => h.val_loss)).toEqual(rr.history.map((h) => h.val_loss));
    // One pass over each stream (the first batch read ahead for checks is replayed, not re-read).
    expect(tr.counter.batches).toBe(3);
    expect(va.counter.batches).toBe(3);
    const extract = events.filter((e) => e.type === 'extract');
    expect(extract.at(-1)).toMatchObject({ split: 'validation', rows: 12, total: 12 });
    expect(
      extract
        .filter((e) => e.type === 'extract' && e.split === 'train')
        .map((e) => (e as { rows: number }).rows),
    ).toEqual([16, 32, 40]);
    const ends = events.filter((e) => e.type === 'batchEnd') as Array<
      Extract<TrainEvent, { type: 'batchEnd' }>
    >;
    expect(ends.slice(0, 5).map((e) => [e.examplesSeen, e.examplesTotal, e.batches])).toEqual([
      [8, 40, 5],
      [16, 40, 5],
      [24, 40, 5],
      [32, 40, 5],
      [40, 40, 5],
    ]);
    tf.dispose([x, y, v.x, v.y]);
    ref.dispose();
    m.dispose();
  });

  it('a second run on the same stream identity reuses the stored features: no prefix forward, same result', async () => {
    const { x, y } = toyData(30, 6, 3);
    const dir = tmp();
    const opts = { ...base, policy: headOnly, cache: { dir } };
    const a = mlp();
    const s1 = sliced(x, y, 10, 'toy-data-v1');
    const r1 = await train(a, s1.source, opts);
    expect(r1.cache).toMatchObject({ status: 'used', builds: 1 });
    expect(s1.counter.batches).toBe(3);

    const b = mlp();
    const s2 = sliced(x, y, 10, 'toy-data-v1');
    const events: TrainEvent[] = [];
    const r2 = await train(b, s2.source, { ...opts, onEvent: (e) => events.push(e) });
    expect(r2.cache).toMatchObject({ status: 'reused', builds: 0 });
    expect(r2.history.map((h) => h.cache)).toEqual(['reused', 'hit', 'hit']);
    expect(events.some((e) => e.type === 'extract')).toBe(false);
    // Only the first batch is read ahead (to check the loss and shapes); the prefix never runs.
    expect(s2.counter.batches).toBe(1);
    expect(allSame(weights(a), weights(b))).toBe(true);

    // Any change misses: the data's identity, a prefix weight, the cut.
    const c = mlp();
    expect((await train(c, sliced(x, y, 10, 'toy-data-v2').source, opts)).cache.status).toBe('used');
    const d = mlp();
    d.getLayer('d1').getWeights()[1]!.dataSync();
    d.getLayer('d1').setWeights([d.getLayer('d1').getWeights()[0]!, tf.fill([8], 0.01)]);
    expect((await train(d, sliced(x, y, 10, 'toy-data-v1').source, opts)).cache.status).toBe('used');
    const e = mlp();
    const cutLater = await train(e, sliced(x, y, 10, 'toy-data-v1').source, {
      ...opts,
      policy: { rules: [{ freeze: 'd1' }] },
    });
    expect(cutLater.cache.status).toBe('used');
    expect(fs.readdirSync(dir).filter((n) => !n.startsWith('.')).length).toBe(4);
    tf.dispose([x, y]);
    for (const m of [a, b, c, d, e]) m.dispose();
  });

  it('a stream without identity gets a one-run entry that is removed at the end', async () => {
    const { x, y } = toyData(20, 6, 3);
    const dir = tmp();
    const m = mlp();
    const res = await train(m, sliced(x, y, 10).source, { ...base, policy: headOnly, cache: { dir } });
    expect(res.cache.status).toBe('used');
    expect(fs.readdirSync(dir)).toEqual([]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('memory is stable across epochs on a stream without cache, and schedules work on streams', async () => {
    const { x, y } = toyData(24, 6, 3);
    const m = mlp();
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const res = await train(m, sliced(x, y, 8).source, {
      ...base,
      epochs: 4,
      cache: 'off',
      policy: { rules: [{ freeze: 'd1' }], schedule: [{ kind: 'unfreeze', at: 2, select: 'd1' }] },
      onEvent: (e) => {
        if (e.type === 'epochEnd') counts.push(tf.memory().numTensors);
      },
    });
    // Stable within each plan (unfreezing d1 at epoch 2 adds its optimizer slots once).
    expect(counts[1]).toBe(counts[0]);
    expect(counts[3]).toBe(counts[2]);
    expect(tf.memory().numTensors).toBe(before);
    expect(res.plans.map((p) => p.trainableNames().length)).toEqual([4, 4, 6, 6]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('bad streams are typed errors that name the batch, and leak nothing', async () => {
    const { x, y } = toyData(16, 6, 3);
    const m = mlp();
    const before = tf.memory().numTensors;
    const run = (data: unknown, extra = {}) =>
      train(m, data as never, { ...base, epochs: 2, cache: 'off', ...extra });
    function* shapeChange() {
      yield { x: x.slice(0, 8), y: y.slice(0, 8) };
      yield { x: tf.zeros([8, 5]), y: y.slice(8, 8) };
    }
    await expect(run(() => shapeChange())).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(
        /training stream, batch 2 of epoch 1: input 0 has per-example shape \[5\]/,
      ),
    });
    await expect(run(() => [])).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(/is empty/),
    });
    function* throwing() {
      yield { x: x.slice(0, 8), y: y.slice(0, 8) };
      throw new Error('network share went away');
    }
    await expect(run(() => throwing())).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(/threw at batch 2 of epoch 1: network share went away/),
    });
    async function* once() {
      yield { x: x.slice(0, 8), y: y.slice(0, 8) };
    }
    await expect(run(once())).rejects.toMatchObject({
      code: 'BAD_DATA',
      hint: expect.stringMatching(/fresh iterable/),
    });
    await expect(run(() => shapeChange(), { validationSplit: 0.2 })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
    function* wrongLabels() {
      yield { x: x.slice(0, 8), y: tf.zeros([8, 7]) };
    }
    await expect(run(() => wrongLabels())).rejects.toMatchObject({ code: 'LABEL_MISMATCH' });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('resumes a streamed run from its checkpoint (the resumed epoch reads the stream from its start)', async () => {
    const { x, y } = toyData(24, 6, 3);
    const ckpt = path.join(tmp(), 'ckpt');
    const full = mlp();
    await train(full, sliced(x, y, 8).source, { ...base, shuffle: false, cache: 'off', policy: headOnly });
    const part = mlp();
    await train(part, sliced(x, y, 8).source, {
      ...base,
      epochs: 2,
      shuffle: false,
      cache: 'off',
      policy: headOnly,
      checkpoint: { dir: ckpt },
    });
    const resumed = mlp();
    const r = await train(resumed, sliced(x, y, 8).source, {
      ...base,
      shuffle: false,
      cache: 'off',
      resumeFrom: ckpt,
    });
    expect(r.history).toHaveLength(3);
    expect(allSame(weights(resumed), weights(full))).toBe(true);
    tf.dispose([x, y]);
    for (const mm of [full, part, resumed]) mm.dispose();
  });
});
