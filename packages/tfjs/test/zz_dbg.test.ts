import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { applyPolicy } from '../src/index';
import { mlp, toyData, useCpu, values } from './helpers';
it('dbg', async () => {
  await useCpu();
  const m = mlp();
  applyPolicy(m, { rules: [{ freeze: 'head/kernel' }] });
  m.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
  console.log((m as any).model.collectedTrainableWeights.map((w: any) => w.originalName));
  const before = values(m);
  const { x, y } = toyData(32, 6, 3);
  await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  const after = values(m);
  for (const k of before.keys()) console.log(k, before.get(k)![0], after.get(k)![0]);
});
