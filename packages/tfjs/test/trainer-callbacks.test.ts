import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend';
import { loadCheckpoint, type TrainEvent, train } from '../src/index';
import { mlp, toyData } from './helpers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-callbacks-'));
beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('early stopping, progress and checkpointing as callbacks on the event stream', () => {
  it('early stopping decides before the user sees epochEnd; checkpointing saves the stopping epoch after', async () => {
    const m = mlp();
    const { x, y } = toyData(32, 6, 3);
    const dir = path.join(root, 'ck');
    const seen: string[] = [];
    const res = await train(
      m,
      { x, y },
      {
        epochs: 30,
        batchSize: 16,
        optimizer: 'sgd',
        learningRate: 0.5,
        // minDelta 10: no epoch after the first counts as an improvement, so epoch 1 (0-based) stops.
        earlyStopping: { monitor: 'loss', patience: 1, minDelta: 10 },
        checkpoint: { dir, every: 5 },
        onEvent: (e: TrainEvent) => {
          if (e.type === 'epochEnd' || e.type === 'checkpoint' || e.type === 'end')
            seen.push(`${e.type}:${'epoch' in e ? e.epoch : ''}`);
        },
      },
    );
    expect(res.stoppedEarly).toBe(true);
    expect(res.bestEpoch).toBe(0);
    // every: 5 would first save after epoch 5; the stop makes epoch 1 the last, so it is saved.
    expect(seen).toEqual(['epochEnd:0', 'epochEnd:1', 'checkpoint:1', 'end:']);
    const ck = await loadCheckpoint(dir);
    expect(ck.meta.epoch).toBe(2);
    expect(ck.meta.earlyStopping).toMatchObject({ bestEpoch: 0, wait: 1 });
    // Each epoch's cache status travels in the saved history too.
    expect(ck.meta.history.map((h) => h.cache)).toEqual(['disabled', 'disabled']);
    ck.model.dispose();
    ck.dispose();
    tf.dispose([x, y]);
    m.dispose();
  });

  it('the context a listener gets shows the plan in force at the event', async () => {
    const m = mlp();
    const { x, y } = toyData(16, 6, 3);
    const trainableAt: Record<number, string[]> = {};
    await train(
      m,
      { x, y },
      {
        epochs: 3,
        batchSize: 16,
        policy: { rules: [{ freeze: ['d1', 'd2'] }], schedule: [{ kind: 'unfreeze', at: 2, select: 'd2' }] },
        onEvent: (e, ctx) => {
          if (e.type === 'epochStart') trainableAt[e.epoch] = ctx.plan!.trainableNames();
        },
      },
    );
    expect(trainableAt[1]).toEqual(['head/kernel', 'head/bias']);
    expect(trainableAt[2]).toEqual(['d2/kernel', 'd2/bias', 'head/kernel', 'head/bias']);
    tf.dispose([x, y]);
    m.dispose();
  });
});
