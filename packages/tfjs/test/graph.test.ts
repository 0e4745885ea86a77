import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutPoints, flattenModel } from '../src/graph';
import { train } from '../src/index';
import { same, seedWeights, toyData, useCpu, values } from './helpers';

beforeAll(useCpu);

/** in → a → [b → c] + a (residual) → add → d → out */
function residual(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const a = tf.layers.dense({ units: 8, activation: 'relu', name: 'a' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 8, activation: 'relu', name: 'b' }).apply(a) as tf.SymbolicTensor;
  const c = tf.layers.dense({ units: 8, name: 'c' }).apply(b) as tf.SymbolicTensor;
  const s = tf.layers.add({ name: 'add' }).apply([c, a]) as tf.SymbolicTensor;
  const d = tf.layers.dense({ units: 3, activation: 'softmax', name: 'd' }).apply(s) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: d });
  seedWeights(m, 3);
  return m;
}

describe('graph flattening and cut points', () => {
  it('only cuts where a single tensor is live (never inside a residual block)', () => {
    const m = residual();
    const g = flattenModel(m);
    expect(g.nodes.map((n) => n.path.join('/'))).toEqual(['a', 'b', 'c', 'add', 'd']);
    const cuts = cutPoints(g).map((k) => k !== undefined);
    expect(cuts).toEqual([true, false, false, true, false]);
    m.dispose();
  });

  it('expands nested models inline', () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [
        tf.layers.dense({ units: 4, inputShape: [6], name: 'x1' }),
        tf.layers.dense({ units: 4, name: 'x2' }),
      ],
    });
    const input = tf.input({ shape: [6] });
    const out = tf.layers
      .dense({ units: 2, name: 'top' })
      .apply(inner.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const g = flattenModel(m);
    expect(g.nodes.map((n) => n.path.join('/'))).toEqual(['inner/x1', 'inner/x2', 'top']);
    expect(g.nodes[1]!.outputs[0]).toBe(g.nodes[2]!.inputs[0]);
    expect(cutPoints(g).map((k) => k !== undefined)).toEqual([true, true, false]);
    m.dispose();
  });

  it('caches the frozen part of a residual model up to the last valid cut, matching uncached training', async () => {
    const { x, y } = toyData(24, 6, 3);
    const opts = { policy: { rules: [{ freeze: ['a', 'b', 'c'] }] }, epochs: 3, batchSize: 8, seed: 2 };
    const m1 = residual();
    const r1 = await train(m1, { x, y }, opts);
    const m2 = residual();
    await train(m2, { x, y }, { ...opts, cache: 'off' });
    expect(r1.cache.status).toBe('used');
    expect(r1.cache.prefixLayers).toBe(4); // a, b, c, add
    for (const [k, v] of values(m1)) {
      const w = values(m2).get(k)!;
      if (/^[abc]\//.test(k)) expect(same(v, w)).toBe(true);
      for (let i = 0; i < v.length; i++) expect(Math.abs(v[i]! - w[i]!)).toBeLessThan(1e-5);
    }
    // Unfreezing 'b' (inside the block) leaves only 'a' cacheable.
    const m3 = residual();
    const r3 = await train(m3, { x, y }, { ...opts, policy: { rules: [{ freeze: ['a', 'c'] }] } });
    expect(r3.cache.prefixLayers).toBe(1);
    tf.dispose([x, y]);
    for (const m of [m1, m2, m3]) m.dispose();
  });
});
