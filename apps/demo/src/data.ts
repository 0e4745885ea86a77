/** Small helpers shared by the parts: a seeded shuffle and batched accuracy. */
import { seededRandom } from '@frostline/tfjs';
import type * as tfTypes from '@tensorflow/tfjs';

export function shuffledIndices(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  const rnd = seededRandom(seed); // frostline's shared mulberry32
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/** Accuracy of a model's argmax on (x, labels), predicted in batches so memory stays flat. */
export function accuracy(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  x: tfTypes.Tensor,
  labels: readonly number[],
  batchSize = 64,
): number {
  let correct = 0;
  const n = x.shape[0] as number;
  for (let i = 0; i < n; i += batchSize) {
    const size = Math.min(batchSize, n - i);
    const pred = tf.tidy(() => (model.predict(x.slice(i, size)) as tfTypes.Tensor).argMax(-1));
    const p = pred.dataSync();
    pred.dispose();
    for (let j = 0; j < size; j++) if (p[j] === labels[i + j]) correct++;
  }
  return correct / n;
}

/**
 * Disposes models that may share layers (vision's `withHead` shares the backbone's): TF.js counts
 * references per layer and throws on a second dispose, so each is tried once and "already disposed" ignored.
 */
export function disposeAll(...models: Array<{ dispose(): unknown } | undefined>): void {
  for (const m of models) {
    try {
      m?.dispose();
    } catch (err) {
      if (!/already disposed/.test((err as Error).message)) throw err;
    }
  }
}
