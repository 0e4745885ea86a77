/**
 * One measurement of bench/torch-load.ts, in a fresh process so its peak RSS is its own:
 *   tsx bench/torch-load-child.ts <file.safetensors> <lazy|eager>
 * lazy: loadBackbone reads the file tensor by tensor; eager: the whole file is read into memory first
 * (what a reader without random access would do); model-only: just build the TF.js model (zero-initialised
 * convolutions, no file), the floor any loader starts from. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { initializerFactory } from '../src/build-utils';
import { loadBackbone } from '../src/index';
import { buildTorchResNet } from '../src/torch/resnet';

const [file, mode] = process.argv.slice(2) as [string, 'lazy' | 'eager' | 'model-only'];
await selectBackend({ prefer: 'wasm' });
const mb = (bytes: number) => bytes / 2 ** 20;
const baseline = mb(process.memoryUsage().rss);
const t0 = performance.now();
const b =
  mode === 'model-only'
    ? buildTorchResNet('resnet50', () => undefined, {
        inputSize: 224,
        includeTop: true,
        activation: 'linear',
        init: initializerFactory(undefined),
      })
    : await loadBackbone({
        arch: 'resnet50',
        weights: mode === 'lazy' ? file : new Uint8Array(readFileSync(file)),
        inputSize: 224,
      });
const loadMs = performance.now() - t0;
const peakAfterLoad = process.resourceUsage().maxRSS / 1024;
const tfjsMB = mb(tf.memory().numBytes);
const x = tf.zeros([1, 224, 224, 3]);
const t1 = performance.now();
(b.model.predict(x) as tf.Tensor).dataSync();
const forwardMs = performance.now() - t1;
process.stdout.write(
  `${JSON.stringify({
    mode,
    loadMs,
    forwardMs,
    baselineMB: baseline,
    peakMB: peakAfterLoad,
    peakWithForwardMB: process.resourceUsage().maxRSS / 1024,
    tfjsMB,
    params: b.model.countParams(),
  })}\n`,
);
