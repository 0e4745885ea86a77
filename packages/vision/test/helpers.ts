import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Switch TF.js to wasm (frozen-backbone work) or cpu (conv gradients), quietly. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') {
    const req = createRequire(import.meta.url);
    const dir = path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(`${path.join(dir, 'dist')}${path.sep}`);
  }
  await tf.setBackend(name);
  await tf.ready();
}

/** Every weight's bytes by (unique) variable name. */
export function weightBytes(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const w of model.weights) out.set(w.originalName, (w.read().dataSync() as Float32Array).slice());
  return out;
}

export function accuracyOf(model: tf.LayersModel, x: tf.Tensor, labels: Int32Array): number {
  const pred = tf.tidy(() => (model.predict(x, { batchSize: 64 }) as tf.Tensor).argMax(-1).dataSync());
  let ok = 0;
  labels.forEach((l, i) => {
    if (pred[i] === l) ok++;
  });
  return ok / labels.length;
}
