// Prints the size of the production build (dist/) by kind: the app code a page loads, the model
// weights, and the wasm binaries (a page fetches one of the three), raw and gzip-compressed.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'dist');

async function files(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

const kindOf = (rel) => (rel.startsWith('models/') ? 'model' : rel.startsWith('wasm/') ? 'wasm' : 'app');
const totals = { app: [0, 0], model: [0, 0], wasm: [0, 0] };
for (const f of await files(dist)) {
  const data = await readFile(f);
  const t = totals[kindOf(path.relative(dist, f))];
  t[0] += data.byteLength;
  t[1] += gzipSync(data, { level: 9 }).byteLength;
}
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log('production build (dist/):');
for (const [k, [raw, gz]] of Object.entries(totals))
  console.log(`  ${k.padEnd(5)} ${kb(raw).padStart(9)} raw, ${kb(gz).padStart(9)} gzip`);
const all = Object.values(totals).reduce((a, [r, g]) => [a[0] + r, a[1] + g], [0, 0]);
console.log(`  total ${kb(all[0]).padStart(9)} raw, ${kb(all[1]).padStart(9)} gzip`);
