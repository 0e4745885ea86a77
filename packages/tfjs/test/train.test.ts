import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrostlineTfjsError, type TrainEvent, train, trainEvents } from '../src/index';
import { convNet, imageData, mlp, same, toyData, useCpu, values } from './helpers';

beforeAll(useCpu);

const maxDiff = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) => {
  let d = 0;
  for (const [k, v] of a) {
    const w = b.get(k)!;
    for (let i = 0; i < v.length; i++) d = Math.max(d, Math.abs(v[i]! - w[i]!));
  }
  return d;
};

describe('train', () => {
  it('trains, logs history and validation, emits events in order', async () => {
    const m = mlp();
    const { x, y } = toyData(40, 6, 3);
    const events: TrainEvent[] = [];
    const res = await train(
      m,
      { x, y },
      {
        policy: { rules: [{ freeze: 'd1' }] },
        epochs: 3,
        batchSize: 16,
        validationSplit: 0.25,
        learningRate: 0.05,
        onEvent: (e) => events.push(e),
      },
    );
    expect(res.history).toHaveLength(3);
    expect(res.history[0]).toHaveProperty('val_loss');
    expect(res.history[0]).toHaveProperty('val_acc');
    expect(res.history[2]!.loss).toBeLessThan(res.history[0]!.loss);
    expect(res.plans).toHaveLength(3);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types[1]).toBe('plan');
    expect(types.filter((t) => t === 'batchEnd')).toHaveLength(3 * 2);
    expect(types.filter((t) => t === 'verify')).toHaveLength(3);
    expect(types.at(-1)).toBe('end');
    x.dispose();
    y.dispose();
    m.dispose();
  });

  it('honours LR factors per parameter (factor 0.5 moves half as far with SGD)', async () => {
    const a = mlp();
    const { x, y } = toyData(16, 6, 3);
    const before = values(a);
    await train(
      a,
      { x, y },
      {
        policy: { lr: { mult: [{ select: 'd1', factor: 0.5 }] } },
        epochs: 1,
        batchSize: 16,
        optimizer: 'sgd',
        learningRate: 0.1,
        shuffle: false,
      },
    );
    const b = mlp();
    await train(
      b,
      { x, y },
      { epochs: 1, batchSize: 16, optimizer: 'sgd', learningRate: 0.1, shuffle: false },
    );
    const da = values(a)
      .get('d1/kernel')!
      .map((v, i) => v - before.get('d1/kernel')![i]!);
    const db = values(b)
      .get('d1/kernel')!
      .map((v, i) => v - before.get('d1/kernel')![i]!);
    for (let i = 0; i < da.length; i++) expect(da[i]!).toBeCloseTo(db[i]! * 0.5, 6);
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('schedule unfreezing at epoch 2 changes the trainable set then and keeps Adam moments of the head', async () => {
    const m = mlp();
    const { x, y } = toyData(32, 6, 3);
    const snaps: Record<number, { step: number; m: Float32Array; v: Float32Array } | undefined> = {};
    let d1AtPlan2: unknown = 'unset';
    const plansSeen: Array<{ epoch: number; trainable: string[] }> = [];
    const res = await train(
      m,
      { x, y },
      {
        policy: { rules: [{ freeze: ['d1', 'd2'] }], schedule: [{ kind: 'unfreeze', at: 2, select: 'd2' }] },
        epochs: 4,
        batchSize: 16,
        onEvent: (e, ctx) => {
          if (e.type === 'plan') {
            plansSeen.push({ epoch: e.epoch, trainable: e.plan.trainableNames() });
            if (e.epoch === 2) {
              const s = ctx.optimizer.read('head/kernel')!;
              snaps[2] = { step: s.step, m: s.slots.m!, v: s.slots.v! };
              d1AtPlan2 = ctx.optimizer.read('d2/kernel');
            }
          }
          if (e.type === 'epochEnd' && e.epoch === 1) {
            const s = ctx.optimizer.read('head/kernel')!;
            snaps[1] = { step: s.step, m: s.slots.m!, v: s.slots.v! };
          }
          if (e.type === 'epochEnd' && e.epoch === 2) {
            expect(ctx.optimizer.read('d2/kernel')!.step).toBe(2);
            expect(ctx.optimizer.read('head/kernel')!.step).toBe(6);
          }
        },
      },
    );
    expect(plansSeen.map((p) => p.epoch)).toEqual([0, 2]);
    expect(plansSeen[0]!.trainable).toEqual(['head/kernel', 'head/bias']);
    expect(plansSeen[1]!.trainable).toEqual(['d2/kernel', 'd2/bias', 'head/kernel', 'head/bias']);
    expect(res.plans[1]!.trainableNames()).not.toContain('d2/kernel');
    expect(res.plans[2]!.trainableNames()).toContain('d2/kernel');
    // Moments survive the boundary bit for bit, and the step count continues (4 steps in epochs 0–1).
    expect(snaps[1]!.step).toBe(4);
    expect(snaps[2]!.step).toBe(4);
    expect(same(snaps[1]!.m, snaps[2]!.m)).toBe(true);
    expect(same(snaps[1]!.v, snaps[2]!.v)).toBe(true);
    expect(snaps[1]!.m.some((v) => v !== 0)).toBe(true);
    expect(d1AtPlan2).toBeUndefined();
    tf.dispose([x, y]);
    m.dispose();
  });

  for (const nested of [true, false]) {
    it(`activation cache gives the same weights as uncached training (${nested ? 'nested backbone' : 'sequential'})`, async () => {
      const { x, y } = imageData(20, 8, 1, 3);
      const policy = { rules: [{ freeze: ['conv1', 'bn1', 'conv2', 'bn2'] }] };
      const opts = { policy, epochs: 3, batchSize: 8, seed: 5, learningRate: 0.05, validationSplit: 0.2 };
      const a = convNet(8, 3, nested);
      const cacheEvents: TrainEvent[] = [];
      const ra = await train(
        a,
        { x, y },
        { ...opts, onEvent: (e) => e.type === 'cache' && cacheEvents.push(e) },
      );
      const b = convNet(8, 3, nested);
      const rb = await train(b, { x, y }, { ...opts, cache: 'off' });
      expect(ra.cache.status).toBe('used');
      expect(ra.cache.prefixLayers).toBe(7); // 6 backbone layers + the weightless pooling
      expect(rb.cache.status).toBe('off');
      expect(cacheEvents.map((e) => (e as { status: string }).status)).toEqual(['built', 'hit', 'hit']);
      expect(maxDiff(values(a), values(b))).toBeLessThan(1e-5);
      expect(Math.abs(ra.history[2]!.val_loss! - rb.history[2]!.val_loss!)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      a.dispose();
      b.dispose();
    });
  }

  it('cache: { dir } keeps features in the persistent store: same result, and a second run reuses them', async () => {
    const os = await import('node:os');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-cache-'));
    const { x, y } = imageData(20, 8, 1, 3);
    const opts = { policy: { rules: [{ freeze: 'backbone' }] }, epochs: 2, batchSize: 8, seed: 3 };
    const a = convNet();
    const ra = await train(a, { x, y }, { ...opts, cache: { dir } });
    const b = convNet();
    await train(b, { x, y }, { ...opts, cache: 'off' });
    expect(ra.cache.status).toBe('used');
    expect(ra.cache.builds).toBe(1);
    expect(maxDiff(values(a), values(b))).toBeLessThan(1e-5);
    // The entry outlives the run, named by content (prefix weights, cut, data), not by the process.
    expect(fs.readdirSync(dir)).toEqual(ra.cache.store!.keys);
    const c = convNet();
    const rc = await train(c, { x, y }, { ...opts, cache: { dir } });
    expect(rc.cache).toMatchObject({ status: 'reused', builds: 0 });
    expect(rc.history.map((h) => h.cache)).toEqual(['reused', 'hit']);
    expect(maxDiff(values(a), values(c))).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
    c.dispose();
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('invalidates the cache when a schedule unfreezes into the prefix, and disables it under augment', async () => {
    const { x, y } = imageData(16, 8, 1, 3);
    const statuses: string[] = [];
    const m = convNet();
    await train(
      m,
      { x, y },
      {
        policy: { rules: [{ freeze: 'backbone' }], schedule: [{ kind: 'unfreeze', at: 1, select: 'conv2' }] },
        epochs: 2,
        batchSize: 8,
        onEvent: (e) => e.type === 'cache' && statuses.push(`${e.status}:${e.prefixLayers}`),
      },
    );
    expect(statuses).toEqual(['built:7', 'invalidated:3', 'built:3']);
    const seen: string[] = [];
    const r = await train(
      m,
      { x, y },
      {
        policy: { rules: [{ freeze: 'backbone' }] },
        epochs: 1,
        augment: (t) => tf.reverse(t, 2),
        onEvent: (e) => e.type === 'cache' && seen.push(e.status),
      },
    );
    expect(seen).toEqual(['disabled']);
    expect(r.cache.status).toBe('disabled');
    expect(r.cache.reason).toMatch(/augment/);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('disables the cache with a reason when dropout sits in the frozen prefix', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [6], name: 'a' }),
        tf.layers.dropout({ rate: 0.5, name: 'drop' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }),
      ],
    });
    const { x, y } = toyData(16, 6, 3);
    const r = await train(m, { x, y }, { policy: { rules: [{ freeze: 'a' }] }, epochs: 1 });
    // 'a' alone is cacheable (the cut stops before the dropout).
    expect(r.cache.prefixLayers).toBe(1);
    const m2 = tf.sequential({
      layers: [
        tf.layers.dropout({ rate: 0.5, inputShape: [6], name: 'drop0' }),
        tf.layers.dense({ units: 8, name: 'a' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }),
      ],
    });
    const r2 = await train(m2, { x, y }, { policy: { rules: [{ freeze: 'a' }] }, epochs: 1 });
    expect(r2.cache.status).toBe('disabled');
    expect(r2.cache.reason).toMatch(/Dropout/);
    tf.dispose([x, y]);
    m.dispose();
    m2.dispose();
  });

  it('stops early and restores the best weights', async () => {
    const m = mlp();
    const { x, y } = toyData(32, 6, 3);
    const res = await train(
      m,
      { x, y },
      {
        epochs: 30,
        learningRate: 0.5,
        optimizer: 'sgd',
        earlyStopping: { monitor: 'loss', patience: 1, minDelta: 10, restoreBest: true },
      },
    );
    expect(res.stoppedEarly).toBe(true);
    expect(res.history.length).toBe(2);
    expect(res.bestEpoch).toBe(0);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('throws NAN_LOSS naming epoch and batch with a hint to lower the LR', async () => {
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const bad = x.mul(Number.NaN);
    const err = await train(m, { x: bad, y }, { epochs: 1, batchSize: 8 }).catch((e) => e);
    expect(err).toBeInstanceOf(FrostlineTfjsError);
    expect(err.code).toBe('NAN_LOSS');
    expect(err.message).toMatch(/epoch 1, batch 1\/2/);
    expect(err.message).toMatch(/learning rate/);
    tf.dispose([x, y, bad]);
    m.dispose();
  });

  it('explains bad data and label/class mismatches', async () => {
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const y4 = tf.oneHot(tf.zeros([16], 'int32'), 4);
    const e1 = await train(m, { x, y: y4 }, { epochs: 1 }).catch((e) => e);
    expect(e1.code).toBe('LABEL_MISMATCH');
    expect(e1.message).toMatch(/3 classes/);
    const e2 = await train(m, { x: x.slice(0, 10), y }, { epochs: 1 }).catch((e) => e);
    expect(e2.code).toBe('BAD_DATA');
    const e3 = await train(m, { x: tf.zeros([16, 5]), y }, { epochs: 1 }).catch((e) => e);
    expect(e3.code).toBe('BAD_DATA');
    const sparse = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => i % 5),
      'int32',
    );
    const e4 = await train(m, { x, y: sparse }, { epochs: 1 }).catch((e) => e);
    expect(e4.code).toBe('LABEL_MISMATCH');
    tf.dispose([x, y, y4, sparse]);
    m.dispose();
  });

  it('supports sparse integer labels', async () => {
    const m = mlp();
    const { x } = toyData(16, 6, 3);
    const labels = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => i % 3),
      'int32',
    );
    const r = await train(m, { x, y: labels }, { epochs: 1 });
    expect(r.loss).toBe('sparseCategoricalCrossentropy');
    expect(r.history[0]!.acc).toBeDefined();
    tf.dispose([x, labels]);
    m.dispose();
  });

  it('stops on AbortSignal with code ABORTED', async () => {
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const ac = new AbortController();
    const err = await train(
      m,
      { x, y },
      {
        epochs: 5,
        batchSize: 8,
        signal: ac.signal,
        onEvent: (e) => e.type === 'epochEnd' && e.epoch === 1 && ac.abort(),
      },
    ).catch((e) => e);
    expect(err.code).toBe('ABORTED');
    expect(err.message).toMatch(/epoch 3/);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('streams events through an async iterator', async () => {
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const run = trainEvents(m, { x, y }, { epochs: 2, batchSize: 8 });
    const types: string[] = [];
    for await (const e of run) types.push(e.type);
    const res = await run.result;
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('end');
    expect(res.history).toHaveLength(2);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('FROZEN_CHANGED when something writes a frozen weight during training', async () => {
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const err = await train(
      m,
      { x, y },
      {
        policy: { rules: [{ freeze: 'd1' }] },
        epochs: 2,
        onEvent: (e, ctx) => {
          if (e.type === 'epochStart') {
            const w = ctx.model.getLayer('d1').getWeights()[1]!;
            ctx.model.getLayer('d1').setWeights([ctx.model.getLayer('d1').getWeights()[0]!, tf.add(w, 1)]);
          }
        },
      },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(FrostlineTfjsError);
    expect(err.code).toBe('FROZEN_CHANGED');
    expect(err.message).toContain('d1/bias');
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('optimizers', () => {
  for (const optimizer of ['sgd', 'momentum', 'rmsprop', 'adam'] as const) {
    it(`${optimizer} lowers the loss; weight decay never touches frozen weights`, async () => {
      const m = mlp();
      const { x, y } = toyData(32, 6, 3);
      const before = values(m);
      const r = await train(
        m,
        { x, y },
        {
          policy: { rules: [{ freeze: 'd1' }] },
          epochs: 4,
          batchSize: 8,
          optimizer,
          learningRate: optimizer === 'sgd' || optimizer === 'momentum' ? 0.1 : 0.01,
          weightDecay: 0.1,
          shuffle: false,
        },
      );
      expect(r.history[3]!.loss).toBeLessThan(r.history[0]!.loss);
      const after = values(m);
      expect(same(before.get('d1/kernel')!, after.get('d1/kernel')!)).toBe(true);
      tf.dispose([x, y]);
      m.dispose();
    });
  }
});
