import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EngineName, type TrainEvent, train } from '../src/index';
import { convNet, imageData, useCpu, values } from './helpers';

beforeAll(useCpu);

const policy = { rules: [{ freeze: ['conv1', 'bn1', 'conv2', 'bn2'] }] };
const opts = { policy, epochs: 2, batchSize: 8, seed: 5, learningRate: 0.05, validationSplit: 0.2 };

async function trainWith(engine: EngineName | 'auto') {
  const { x, y } = imageData(20, 8, 1, 3);
  const model = convNet(8, 3, true);
  const frozenBefore = values(model);
  const events: TrainEvent[] = [];
  const tensorsBefore = tf.memory().numTensors;
  const result = await train(
    model,
    { x, y },
    { ...opts, engine, onEvent: (e) => e.type === 'cache' && events.push(e) },
  );
  const leaked = tf.memory().numTensors - tensorsBefore;
  const after = values(model);
  tf.dispose([x, y]);
  model.dispose();
  return { result, events, frozenBefore, after, leaked };
}

describe('train(…, { engine })', () => {
  it("'auto' builds the cache on onnxruntime and says so in result.cache.engine and the cache event", async () => {
    const { result, events, leaked } = await trainWith('auto');
    const info = result.cache.engine!;
    expect(info.name).toBe('onnxruntime');
    expect(info.requested).toBe('auto');
    expect(info.reason).toMatch(/^fastest engine present/);
    expect(info.guard?.ok).toBe(true);
    expect(info.examplesPerSec).toBeGreaterThan(0);
    const built = events.find((e) => e.type === 'cache' && e.status === 'built') as Extract<
      TrainEvent,
      { type: 'cache' }
    >;
    expect(built.engine).toBe('onnxruntime');
    expect(built.engineReason).toBe(info.reason);
    // The first batch ran on both: their times and the engine's speed-up over TF.js in this very run.
    const g = info.guard!;
    expect(g.tfjsMs).toBeGreaterThan(0);
    expect(g.engineMs).toBeGreaterThan(0);
    // TF.js checks only the first rows (its wasm heap grows for 4 rows, not a whole batch); the ratio is per row.
    expect(g.checkedRows).toBe(Math.min(4, g.rows!));
    expect(g.speedup).toBeCloseTo(g.tfjsMs! / g.checkedRows! / (g.engineMs! / g.rows!), 10);
    expect(built.engineSpeedup).toBe(g.speedup);
    expect(built.examplesPerSec).toBe(info.examplesPerSec);
    expect(leaked).toBe(0);
  });

  it('every engine trains the head to the same weights as TF.js, frozen weights untouched, no leaks', async () => {
    const ref = await trainWith('tfjs');
    expect(ref.result.cache.engine?.name).toBe('tfjs');
    for (const engine of ['onnxruntime', 'workers'] as const) {
      const run = await trainWith(engine);
      expect(run.result.cache.engine?.name).toBe(engine);
      expect(run.result.cache.engine?.reason).toBe(`forced with engine: '${engine}'`);
      expect(run.leaked).toBe(0);
      for (const [name, v] of run.after) {
        const w = ref.after.get(name)!;
        let d = 0;
        for (let i = 0; i < v.length; i++) d = Math.max(d, Math.abs(v[i]! - w[i]!));
        expect(d, name).toBeLessThan(1e-4);
        if (/conv|bn/.test(name)) expect(v).toEqual(run.frozenBefore.get(name));
      }
    }
  });

  it('rejects an unknown engine with BAD_OPTION before training', async () => {
    const { x, y } = imageData(4, 8, 1, 3);
    const model = convNet(8, 3, true);
    await expect(train(model, { x, y }, { epochs: 1, engine: 'gpu' as never })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
    tf.dispose([x, y]);
    model.dispose();
  });
});
