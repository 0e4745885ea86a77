/**
 * Frozen-prefix engines bench: ratios measured side by side in ONE run, interleaved and repeated, with the
 * machine load printed next to every figure.
 *
 *   pnpm --filter @frostline/tfjs bench:engines           (full: prefix forward + e2e, 1,000 images × 10 epochs)
 *   pnpm --filter @frostline/tfjs bench:engines --quick   (small: e2e on 200 images × 3 epochs, fewer repeats)
 *   … --only=forward | --only=e2e
 *
 * Prefix forward, batch 8, MobileNetV2 (nsfwjs@4.3.0 weights, via @frostline/vision) at 224 and 96 px:
 *   onnxruntime engine vs TF.js wasm; workers(2) vs TF.js wasm; onnxruntime vs PyTorch CPU (2 threads).
 * End to end, the seed's loop (MobileNetV2 224 frozen + new linear head, Adam, batch 32):
 *   frostline train (engine 'auto' + activation cache) vs PyTorch seed-style (backbone recomputed every
 *   epoch) and vs PyTorch with the features cached by hand. PyTorch runs as one persistent subprocess
 *   (bench/torch_server.py, Debian /usr/bin/python3 with torch + torchvision), so the sides interleave.
 * Needs `pnpm turbo run build` first (the bench imports the built @frostline/tfjs and vision's sources).
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  type FrozenEngine,
  modelPrefix,
  onnxruntimeEngine,
  selectBackend,
  tfjsEngine,
  train,
  workersEngine,
} from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { loadPretrained } from '../../vision/src/index';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const ONLY = args.find((a) => a.startsWith('--only='))?.slice(7);
const BATCH = 8;
const cfg = QUICK
  ? { reps: 3, e2eImages: 200, e2eEpochs: 3, e2eRounds: 1 }
  : { reps: 7, e2eImages: 1000, e2eEpochs: 10, e2eRounds: 1 };
const here = dirname(fileURLToPath(import.meta.url));

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const load = () => loadavg()[0]!.toFixed(1);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (ms: number) =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

/** The PyTorch subprocess: one JSON line in, one out. */
class Torch {
  private readonly proc = spawn('/usr/bin/python3', [join(here, 'torch_server.py'), '2'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  private readonly lines = createInterface({ input: this.proc.stdout! })[Symbol.asyncIterator]();
  version = '';

  async start(): Promise<void> {
    const hello = JSON.parse((await this.lines.next()).value as string);
    this.version = `torch ${hello.torch} CPU, ${hello.threads} threads`;
  }

  async call(cmd: Record<string, unknown>): Promise<number> {
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    const r = JSON.parse((await this.lines.next()).value as string);
    if (r.error) throw new Error(r.error);
    return r.ms as number;
  }

  stop(): void {
    this.proc.stdin!.end();
  }
}

async function timeEngine(engine: FrozenEngine, x: tf.Tensor): Promise<number> {
  const t = performance.now();
  const y = await engine.run(x);
  await y.data();
  const ms = performance.now() - t;
  y.dispose();
  return ms;
}

interface Row {
  measure: string;
  side: string;
  ms: number;
  base: string;
  baseMs: number;
  load: string;
}

/** Prefix forward at one input size: all sides interleaved, `reps` rounds after one warm-up round. */
async function forwardRows(size: number, torch: Torch | undefined): Promise<Row[]> {
  const backbone = await loadPretrained('mobilenet_v2', { inputSize: size });
  const prefix = modelPrefix(backbone.model);
  const engines: FrozenEngine[] = [
    tfjsEngine(prefix),
    await onnxruntimeEngine(prefix, { threads: 2 }),
    await workersEngine(prefix, { workers: 2 }),
  ];
  const x = tf.randomUniform([BATCH, size, size, 3], -1, 1, 'float32', 1);
  const times = new Map<string, number[]>();
  const loads: number[] = [];
  for (let rep = -1; rep < cfg.reps; rep++) {
    for (const e of engines) {
      const ms = await timeEngine(e, x);
      if (rep >= 0) times.set(e.name, [...(times.get(e.name) ?? []), ms]);
    }
    if (torch) {
      const ms = await torch.call({ op: 'fwd', size, batch: BATCH });
      if (rep >= 0) times.set('torch', [...(times.get('torch') ?? []), ms]);
    }
    loads.push(loadavg()[0]!);
    log(`forward ${size}px round ${rep + 1}/${cfg.reps}: load ${load()}`);
  }
  for (const e of engines) await e.dispose();
  x.dispose();
  backbone.model.dispose();
  const m = (k: string) => median(times.get(k)!);
  const l = `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  const what = `MobileNetV2 ${size}px prefix, batch ${BATCH}`;
  const rows: Row[] = [
    {
      measure: what,
      side: 'onnxruntime (2 thr)',
      ms: m('onnxruntime'),
      base: 'TF.js wasm',
      baseMs: m('tfjs'),
      load: l,
    },
    {
      measure: what,
      side: 'workers (2 × wasm)',
      ms: m('workers'),
      base: 'TF.js wasm',
      baseMs: m('tfjs'),
      load: l,
    },
  ];
  if (torch) {
    rows.push({
      measure: what,
      side: 'onnxruntime (2 thr)',
      ms: m('onnxruntime'),
      base: torch.version,
      baseMs: m('torch'),
      load: l,
    });
  }
  return rows;
}

/** frostline's transfer loop: nsfwjs MobileNetV2 224 frozen + a new linear head, engine 'auto' + cache. */
async function frostlineE2e(n: number, epochs: number): Promise<{ ms: number; engine: string }> {
  const backbone = await loadPretrained('mobilenet_v2', { inputSize: 224 });
  for (const layer of backbone.model.layers) layer.trainable = false;
  const out = tf.layers
    .dense({ units: 5, activation: 'softmax', name: 'new_head' })
    .apply(backbone.model.outputs[0]!) as tf.SymbolicTensor;
  const model = tf.model({ inputs: backbone.model.inputs, outputs: out });
  const x = tf.randomUniform([n, 224, 224, 3], -1, 1, 'float32', 2);
  const y = tf.oneHot(tf.randomUniform([n], 0, 5, 'int32', 3), 5).toFloat();
  const t = performance.now();
  const r = await train(model, { x, y }, { epochs, batchSize: 32, engine: 'auto', verifyFrozen: 'end' });
  const ms = performance.now() - t;
  tf.dispose([x, y]);
  model.dispose();
  const e = r.cache.engine;
  return { ms, engine: e ? `${e.name}, cache ${fmt(e.ms)}` : `no engine (${r.cache.reason})` };
}

async function e2eRows(torch: Torch): Promise<Row[]> {
  const n = cfg.e2eImages;
  const epochs = cfg.e2eEpochs;
  const cmd = { op: 'e2e', n, epochs, size: 224, batch: 32, classes: 5 };
  const f: number[] = [];
  const seed: number[] = [];
  const cached: number[] = [];
  const loads: number[] = [];
  let engine = '';
  for (let round = 0; round < cfg.e2eRounds; round++) {
    const fr = await frostlineE2e(n, epochs);
    f.push(fr.ms);
    engine = fr.engine;
    loads.push(loadavg()[0]!);
    log(`e2e frostline ${fmt(fr.ms)} (${engine}), load ${load()}`);
    seed.push(await torch.call({ ...cmd, mode: 'seed' }));
    loads.push(loadavg()[0]!);
    log(`e2e torch seed-style ${fmt(seed.at(-1)!)}, load ${load()}`);
    cached.push(await torch.call({ ...cmd, mode: 'cached' }));
    loads.push(loadavg()[0]!);
    log(`e2e torch cached by hand ${fmt(cached.at(-1)!)}, load ${load()}`);
    log(`e2e round ${round + 1}/${cfg.e2eRounds}: frostline ${fmt(fr.ms)} (${engine}), load ${load()}`);
  }
  const l = `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  const what = `seed loop: MobileNetV2 224 frozen + head, ${n} img × ${epochs} ep`;
  return [
    {
      measure: what,
      side: `frostline auto (${engine})`,
      ms: median(f),
      base: `${torch.version}, seed-style`,
      baseMs: median(seed),
      load: l,
    },
    {
      measure: what,
      side: 'frostline auto + cache',
      ms: median(f),
      base: `${torch.version}, features cached by hand`,
      baseMs: median(cached),
      load: l,
    },
  ];
}

function printTable(rows: Row[]): void {
  const lines = [
    '| measure | frostline side | time | baseline | time | speed-up | load (1 min) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${r.side} | ${fmt(r.ms)} | ${r.base} | ${fmt(r.baseMs)} | ${(r.baseMs / r.ms).toFixed(2)}× | ${r.load} |`,
    ),
  ];
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  await selectBackend({ prefer: 'wasm', quiet: true });
  log(
    `start: load ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' / ')}; ${QUICK ? 'quick' : 'full'} run`,
  );
  const torch = new Torch();
  await torch.start();
  const rows: Row[] = [];
  try {
    if (ONLY !== 'e2e') {
      for (const size of [224, 96]) {
        const r = await forwardRows(size, torch);
        rows.push(...r);
        printTable(r); // as soon as measured: a long e2e cannot lose them
      }
    }
    if (ONLY !== 'forward') rows.push(...(await e2eRows(torch)));
  } finally {
    torch.stop();
  }
  console.log(`\n${new Date().toISOString()} — Node ${process.version}, ${QUICK ? 'quick' : 'full'} run`);
  printTable(rows);
  console.log(
    `end: load ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' / ')} (1/5/15 min) on ${availableParallelism()} cores`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
