// Copies the app's static model and runtime files out of node_modules into public/, so the app serves
// them from its own origin (no CDN, no network beyond the page's host):
// - nsfwjs@4.3.0's MobileNetV2 (a UMD model.json module + a base64 weight-shard module) as a plain
//   TF.js layers model: public/models/mobilenet_v2/model.json + weights.bin;
// - @tensorflow/tfjs-backend-wasm's .wasm binaries: public/wasm/.

import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(appDir, 'package.json'));

/** Write via a temp file in the same folder, then rename (never a half-written asset). */
async function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

async function copyModel() {
  // nsfwjs exports no ./package.json; its CJS entry sits at dist/cjs/models/mobilenet_v2.js.
  const entry = require.resolve('nsfwjs/models/mobilenet_v2');
  const nsfwDir = path.join(path.dirname(entry), '..', '..', '..');
  const src = path.join(nsfwDir, 'dist', 'models', 'mobilenet_v2');
  const json = require(path.join(src, 'model.min.js'));
  const shard = await readFile(path.join(src, 'group1-shard1of1.min.js'), 'utf8');
  const b64 = /exports\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(shard)?.[1];
  if (!json?.modelTopology || !json.weightsManifest || !b64) {
    throw new Error(`nsfwjs at ${nsfwDir} is not the 4.3.0 layout (install exactly nsfwjs@4.3.0)`);
  }
  const out = path.join(appDir, 'public', 'models', 'mobilenet_v2');
  await mkdir(out, { recursive: true });
  const weights = Buffer.from(b64, 'base64');
  const manifest = [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }];
  await writeAtomic(path.join(out, 'weights.bin'), weights);
  await writeAtomic(
    path.join(out, 'model.json'),
    JSON.stringify({ ...json, weightsManifest: manifest, format: 'layers-model' }),
  );
  return weights.byteLength;
}

async function copyWasm() {
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const out = path.join(appDir, 'public', 'wasm');
  await mkdir(out, { recursive: true });
  const files = (await readdir(dist)).filter((f) => f.endsWith('.wasm'));
  for (const f of files) await copyFile(path.join(dist, f), path.join(out, f));
  return files;
}

const [bytes, wasm] = await Promise.all([copyModel(), copyWasm()]);
console.log(`assets: mobilenet_v2 weights ${(bytes / 1e6).toFixed(2)} MB, wasm binaries ${wasm.join(', ')}`);
