import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { listParams, paramName } from '../src/index';
import { convNet, mlp, useCpu } from './helpers';

beforeAll(useCpu);

describe('listParams', () => {
  it('names weights layer path + short name, in layer order', () => {
    const m = mlp();
    const ps = listParams(m);
    expect(ps.map((p) => p.name)).toEqual([
      'd1/kernel',
      'd1/bias',
      'd2/kernel',
      'd2/bias',
      'head/kernel',
      'head/bias',
    ]);
    expect(ps[0]).toMatchObject({
      layer: 'd1',
      layerType: 'Dense',
      kind: 'parameter',
      shape: [6, 8],
      trainable: true,
    });
    m.dispose();
  });

  it('prefixes nested model layers with the outer layer name and marks BN statistics as buffers', () => {
    const m = convNet();
    const ps = listParams(m);
    const names = ps.map((p) => p.name);
    expect(names).toContain('backbone/conv1/kernel');
    expect(names).toContain('backbone/bn2/moving_variance');
    expect(names).toContain('fc/kernel');
    const kinds = Object.fromEntries(
      ps.filter((p) => p.layer === 'backbone/bn1').map((p) => [p.name, p.kind]),
    );
    expect(kinds).toEqual({
      'backbone/bn1/gamma': 'parameter',
      'backbone/bn1/beta': 'parameter',
      'backbone/bn1/moving_mean': 'buffer',
      'backbone/bn1/moving_variance': 'buffer',
    });
    expect(new Set(names).size).toBe(names.length);
    m.dispose();
  });

  it('is stable for a second model with the same layer names (TF.js suffixes variable names)', () => {
    const a = mlp();
    const b = mlp();
    expect(listParams(b).map((p) => p.name)).toEqual(listParams(a).map((p) => p.name));
    expect(b.weights[0]!.name).not.toBe('d1/kernel'); // TF.js made it unique, our name did not change
    a.dispose();
    b.dispose();
  });

  it('applies aliases and builds names in one place', () => {
    const m = mlp();
    const ps = listParams(m, {
      aliases: (p) => (p.layer === 'head' ? [`classifier/${p.name.split('/')[1]}`] : []),
    });
    expect(ps.find((p) => p.name === 'head/kernel')?.aliases).toEqual(['classifier/kernel']);
    expect(ps.find((p) => p.name === 'd1/kernel')?.aliases).toBeUndefined();
    expect(paramName(['backbone', 'conv1'], 'kernel')).toBe('backbone/conv1/kernel');
    m.dispose();
  });

  it('works for a functional model without nesting', () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3, name: 'b', useBias: false }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    expect(listParams(m).map((p) => p.name)).toEqual(['a/kernel', 'a/bias', 'b/kernel']);
    m.dispose();
  });
});
