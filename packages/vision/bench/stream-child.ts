/**
 * One measured run for bench/stream.ts, in its own process so that its peak RSS is its own:
 * frozen MobileNetV2 (shipped nsfwjs weights) + a new head on an image folder, in memory or streaming.
 * Prints one JSON line.
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import { train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { imageFolder, loadPretrained, withHead } from '../src/index';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const mode = args.mode as 'memory' | 'stream';
const root = args.dir!;
const size = Number(args.size ?? 224);
const epochs = Number(args.epochs ?? 3);

const req = createRequire(import.meta.url);
setWasmPaths(
  `${path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}${path.sep}`,
);
await tf.setBackend('wasm');
await tf.ready();

const t0 = performance.now();
const backbone = withHead(await loadPretrained('mobilenet_v2', { inputSize: size }), { numClasses: 5 });
let firstHeadStep: number | undefined;
let prefixRows = 0;
const onEvent = (e: { type: string; rows?: number }) => {
  if (e.type === 'batchEnd' && firstHeadStep === undefined) firstHeadStep = performance.now() - t0;
  if (e.type === 'extract' && typeof e.rows === 'number') prefixRows = e.rows;
};
const common = {
  epochs,
  batchSize: 32,
  policy: { rules: [{ freeze: '**' }, { unfreeze: 'head' }] },
  onEvent,
  seed: 1,
  ...(args.engine ? { engine: args.engine as 'auto' | 'onnxruntime' | 'workers' | 'tfjs' } : {}),
};
let result: Awaited<ReturnType<typeof train>>;
if (mode === 'memory') {
  const ds = await imageFolder(root, { backbone, valSplit: 0.1 });
  result = await train(
    backbone,
    { train: ds.train, validation: ds.validation! },
    { ...common, cache: 'auto' },
  );
  prefixRows = result.cache.builds > 0 ? ds.train.x.shape[0]! + ds.validation!.x.shape[0]! : 0;
  ds.dispose();
} else {
  const ds = await imageFolder(root, { backbone, valSplit: 0.1, stream: true, batchSize: 32 });
  result = await train(
    backbone,
    { train: ds.train, validation: ds.validation! },
    { ...common, cache: { dir: args.store! } },
  );
}
const ms = performance.now() - t0;
console.log(
  JSON.stringify({
    mode,
    ms,
    firstHeadStepMs: firstHeadStep,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    cache: result.cache,
    prefixRows,
    valAcc: result.history.at(-1)?.val_acc,
  }),
);
