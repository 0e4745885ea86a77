/**
 * Datasets of any size (issue 12): peak memory and time of the in-memory and the streaming path on
 * generated 224-px JPEG folders of two sizes, and a second streaming run that reuses the persistent
 * feature cache. Each run is its own process (peak RSS is per process); the sides are interleaved and
 * repeated, and the machine load is printed with every row.
 *
 *   pnpm --filter @frostline/vision exec tsx bench/stream.ts [--sizes=1000,4000] [--repeats=2] [--epochs=3] [--px=224]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const sizes = (args.sizes ?? '1000,4000').split(',').map(Number);
const repeats = Number(args.repeats ?? 2);
const epochs = Number(args.epochs ?? 3);
const px = Number(args.px ?? 224);
const here = path.dirname(new URL(import.meta.url).pathname);
const work = mkdtempSync(path.join(os.tmpdir(), 'frostline-bench-stream-'));

/** n JPEGs in 5 classes: each class a colour, each image a different square position and noise. */
async function makeFolder(n: number): Promise<string> {
  const root = path.join(work, `imgs-${n}`);
  const classes = ['a', 'b', 'c', 'd', 'e'];
  for (const c of classes) mkdirSync(path.join(root, c), { recursive: true });
  for (let i = 0; i < n; i++) {
    const cls = i % 5;
    const raw = Buffer.alloc(px * px * 3);
    for (let p = 0; p < px * px; p++) {
      raw[p * 3] = (cls * 50 + ((p * 7 + i) % 23)) & 255;
      raw[p * 3 + 1] = ((p % px) * 255) / px;
      raw[p * 3 + 2] = ((i * 13 + p) % 256) & 255;
    }
    await sharp(raw, { raw: { width: px, height: px, channels: 3 } })
      .jpeg({ quality: 85 })
      .toFile(path.join(root, classes[cls]!, `${i}.jpg`));
  }
  return root;
}

/** One measured run in its own process; a run that dies (the in-memory path can exhaust wasm's 4 GB heap) is recorded as failed. */
function run(mode: 'memory' | 'stream', dir: string, store: string): Record<string, unknown> {
  const args = [
    '--import',
    'tsx',
    path.join(here, 'stream-child.ts'),
    `--mode=${mode}`,
    `--dir=${dir}`,
    `--store=${store}`,
    `--epochs=${epochs}`,
    `--size=${px}`,
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    const why = /memory access out of bounds|out of memory/i.test(r.stderr)
      ? 'out of memory'
      : `exit ${r.status}`;
    return { failed: why, load: os.loadavg()[0]!.toFixed(2) };
  }
  return { ...JSON.parse(line), load: os.loadavg()[0]!.toFixed(2) };
}

const rows: Array<Record<string, unknown>> = [];
const folders = new Map<number, string>();
for (const n of sizes) folders.set(n, await makeFolder(n));
console.log(
  `machine: ${os.cpus().length} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${px}px, ${epochs} epochs`,
);
for (let r = 0; r < repeats; r++) {
  for (const n of sizes) {
    for (const mode of r % 2 ? (['stream', 'memory'] as const) : (['memory', 'stream'] as const)) {
      const store = path.join(work, `store-${n}-${r}-${mode}`);
      const first = run(mode, folders.get(n)!, store);
      rows.push({ n, mode, run: 'first', ...first });
      console.log(JSON.stringify(rows.at(-1)));
      if (mode === 'stream') {
        const second = run(mode, folders.get(n)!, store);
        rows.push({ n, mode, run: 'second', ...second });
        console.log(JSON.stringify(rows.at(-1)));
      }
      rmSync(store, { recursive: true, force: true });
    }
  }
}
const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : Number.NaN;
/** Median over the runs that finished (NaN, printed as "failed", when none did). */
const pick = (n: number, mode: string, run: string, key: string) =>
  median(
    rows.filter((x) => x.n === n && x.mode === mode && x.run === run && !x.failed).map((x) => Number(x[key])),
  );
console.log(
  '\n| images | in-memory peak RSS | streaming peak RSS | in-memory time | streaming time | stream/memory time | 2nd run: first head step vs 1st |',
);
console.log('|---|---|---|---|---|---|---|');
for (const n of sizes) {
  const mr = pick(n, 'memory', 'first', 'maxRssMB');
  const sr = pick(n, 'stream', 'first', 'maxRssMB');
  const mt = pick(n, 'memory', 'first', 'ms');
  const st = pick(n, 'stream', 'first', 'ms');
  const f1 = pick(n, 'stream', 'first', 'firstHeadStepMs');
  const f2 = pick(n, 'stream', 'second', 'firstHeadStepMs');
  const failed = (v: number, text: string) => (Number.isNaN(v) ? 'failed (out of memory)' : text);
  console.log(
    `| ${n} | ${failed(mr, `${mr.toFixed(0)} MB`)} | ${failed(sr, `${sr.toFixed(0)} MB`)} | ${failed(mt, `${(mt / 1000).toFixed(1)} s`)} | ${failed(st, `${(st / 1000).toFixed(1)} s`)} | ${Number.isNaN(mt) ? '–' : `${(st / mt).toFixed(2)}×`} | ${(f1 / f2).toFixed(1)}× faster |`,
  );
}
if (sizes.length >= 2) {
  const [a, b] = [sizes[0]!, sizes.at(-1)!];
  console.log(
    `\nstreaming RSS ${b}/${a}: ${(pick(b, 'stream', 'first', 'maxRssMB') / pick(a, 'stream', 'first', 'maxRssMB')).toFixed(2)}× (target ≤ 1.3×); in-memory: ${Number.isNaN(pick(b, 'memory', 'first', 'maxRssMB')) ? `failed at ${b} images` : `${(pick(b, 'memory', 'first', 'maxRssMB') / pick(a, 'memory', 'first', 'maxRssMB')).toFixed(2)}×`}`,
  );
}
console.log(
  `load after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
rmSync(work, { recursive: true, force: true });
