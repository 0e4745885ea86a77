/**
 * Check a full-size torchvision checkpoint you have on disk (not a test: nothing is downloaded).
 *
 *   pnpm --filter @frostline/vision check:torch <resnet50-0676ba61.pth> [--arch resnet50] [--image cat.jpg]
 *                                               [--python /usr/bin/python3] [--size 224]
 *
 * It loads the file with `loadBackbone({ arch, weights })` (every key must match, strict), reports load time
 * and memory, runs the forward on one input (the image through torchvision's preprocessing, or a fixed
 * pseudo-random tensor) and, when a Python with torch + torchvision is found, runs the same weights and input
 * in PyTorch and prints the largest logit difference (exit code 1 when it exceeds 1e-4 of the largest logit). With an image it prints the
 * top-5 ImageNet class indices of both.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { decodeImage, isTorchArch, loadBackbone, TORCH_ARCHS } from '../src/index';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    arch: { type: 'string', default: 'resnet50' },
    image: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    size: { type: 'string', default: '224' },
  },
});
const file = positionals[0];
const arch = values.arch;
if (!file || !existsSync(file) || !isTorchArch(arch)) {
  console.error(
    `usage: check-full-size.ts <checkpoint.pth|.safetensors> [--arch ${TORCH_ARCHS.join('|')}] [--image img.jpg]`,
  );
  process.exit(2);
}
const size = Number(values.size);

/** One NHWC input in torchvision's normalisation: the image resized to size², or seeded noise. */
async function input(b: Awaited<ReturnType<typeof loadBackbone>>): Promise<tf.Tensor4D> {
  if (!values.image) return tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const img = await decodeImage(values.image, { size: [size, size], channels: 3 });
  return tf.tidy(() => b.preprocess(img.expandDims(0) as tf.Tensor4D));
}

/** The same weights and input in PyTorch (NCHW float32 file), or undefined without a usable Python. */
function torchLogits(x: tf.Tensor4D): Float32Array | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'frostline-check-'));
  try {
    const inp = path.join(dir, 'input.f32');
    const nchw = tf.tidy(() => x.transpose([0, 3, 1, 2]).dataSync() as Float32Array);
    writeFileSync(inp, Buffer.from(nchw.buffer, nchw.byteOffset, nchw.byteLength));
    const code = `
import json, sys, torch, torchvision
path, arch, inp, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if path.endswith('.safetensors'):
    from safetensors.torch import load_file
    sd = load_file(path)
else:
    sd = torch.load(path, map_location='cpu')
m = getattr(torchvision.models, arch)(num_classes=sd[[k for k in sd if k.endswith('.weight')][-1]].shape[0])
m.load_state_dict(sd)
m.eval()
x = torch.frombuffer(bytearray(open(inp, 'rb').read()), dtype=torch.float32).reshape(1, 3, size, size)
with torch.no_grad():
    print(json.dumps(m(x).flatten().tolist()))
`;
    const out = execFileSync(values.python!, ['-c', code, file!, arch!, inp, String(size)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return Float32Array.from(JSON.parse(out.trim().split('\n').at(-1)!) as number[]);
  } catch (e) {
    console.log(`PyTorch comparison skipped: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const top5 = (v: Float32Array) => [...v.keys()].sort((a, b) => v[b]! - v[a]!).slice(0, 5);

await selectBackend({ prefer: 'wasm' });
const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const b = await loadBackbone({ arch, weights: file, inputSize: size });
const loadMs = performance.now() - t0;
console.log(
  `${arch}: ${b.model.countParams().toLocaleString('en-US')} params, ${b.torch.bindings.length} keys loaded in ${(loadMs / 1000).toFixed(2)} s; RSS +${((process.resourceUsage().maxRSS * 1024 - rss0) / 2 ** 20).toFixed(0)} MiB`,
);
const x = await input(b);
const ours = (b.model.predict(x) as tf.Tensor).dataSync() as Float32Array;
console.log(`TF.js top-5: ${top5(ours).join(', ')}`);
const theirs = torchLogits(x);
if (theirs) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
    scale = Math.max(scale, Math.abs(theirs[i]!));
  }
  // float32 sums over 2048 features in a different order: judge the difference relative to the logits' size
  const rel = diff / Math.max(scale, 1e-12);
  console.log(
    `PyTorch top-5: ${top5(theirs).join(', ')}; max |logit difference| ${diff.toExponential(2)} (largest |logit| ${scale.toFixed(2)}, relative ${rel.toExponential(2)})`,
  );
  process.exitCode = rel <= 1e-4 ? 0 : 1;
}
