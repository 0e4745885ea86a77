/**
 * frostline/tfjs bench: ratios measured side by side in ONE run, printed as ONE table.
 *
 *   pnpm bench                      (full: ~5-10 min on 2 busy cores)
 *   FROSTLINE_BENCH_QUICK=1 pnpm bench   (smoke: smaller data, fewer epochs/steps)
 *
 * Rows (same MobileNet-like net from bench/model.ts: ~0.61 M params, 96x96x3, batch 32, fixed seeds):
 *  a) frozen backbone + head, per epoch after the first: frostline train (activation cache) vs plain
 *     tfjs model.fit (backbone trainable=false; tfjs keeps running frozen BN in training mode);
 *  b) frostline train with cache 'off' vs a hand-written `model.fit` loop on the same model, the
 *     loop given the same frozen-BN semantics (fixFrozenBatchNorm) so both do the same arithmetic;
 *  c) last two blocks unfrozen, one training step: wasm with frostline's gradient kernels vs cpu;
 *  d) the same steps in PyTorch on CPU (bench/pytorch_step.py, Debian python3-torch), if installed.
 * Tests never assert time; this script does not either: it reports.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { fixFrozenBatchNorm, selectBackend, train } from '../src/index';
import { BLOCKS, benchNet, freezeBackbone, lastBlocks, syntheticData } from './model';

const QUICK = process.env.FROSTLINE_BENCH_QUICK === '1';
const BATCH = 32;
const here = dirname(fileURLToPath(import.meta.url));

const cfg = QUICK
  ? { n: 64, epochs: 3, fitEpochs: 2, wasmSteps: 2, cpuBatch: 4, torchSteps: 2 }
  : { n: 256, epochs: 5, fitEpochs: 3, wasmSteps: 3, cpuBatch: 32, torchSteps: 5 };

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const now = () => performance.now();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmtMs = (ms: number) =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

interface Row {
  id: string;
  what: string;
  a: string;
  aMs: number;
  b: string;
  bMs: number;
  /** how many times faster `a` is than `b` (bMs / aMs), or overhead for row b */
  ratio: string;
  target: string;
  note?: string;
}
const rows: Row[] = [];

function compileAdam(model: tf.LayersModel): void {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
}

/** Wall time of each `model.fit` epoch, called one epoch at a time (the hand-written loop). */
async function fitEpochs(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  epochs: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t = now();
    const h = await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
    if (!Number.isFinite(h.history.loss?.[0] as number)) throw new Error('model.fit loss is not finite');
    times.push(now() - t);
  }
  return times;
}

async function rowA(x: tf.Tensor, y: tf.Tensor): Promise<void> {
  log(`a) frozen backbone + head: frostline train with the cache, ${cfg.epochs} epochs of ${cfg.n} examples`);
  const m1 = benchNet();
  freezeBackbone(m1);
  const r = await train(
    m1,
    { x, y },
    { epochs: cfg.epochs, batchSize: BATCH, optimizer: 'adam', learningRate: 1e-3, seed: 1 },
  );
  if (r.cache.status !== 'used') throw new Error(`the activation cache was not used: ${r.cache.reason}`);
  const cached = median(r.timing.epochMs.slice(1));
  log(
    `   epochs ${r.timing.epochMs.map(fmtMs).join(', ')} (first builds the cache of ${r.cache.prefixLayers} layers); ` +
      `frozen-weight verification ${fmtMs(r.timing.verifyMs / cfg.epochs)} per epoch`,
  );
  m1.dispose();

  log(`a) baseline: plain model.fit, backbone trainable=false, ${cfg.fitEpochs} epochs`);
  const m2 = benchNet();
  freezeBackbone(m2);
  compileAdam(m2);
  const fit = await fitEpochs(m2, x, y, cfg.fitEpochs);
  log(`   epochs ${fit.map(fmtMs).join(', ')}`);
  m2.dispose();
  const fitMs = median(fit.slice(1));
  rows.push({
    id: 'a',
    what: `frozen backbone + head, epoch after the first (${cfg.n} ex.)`,
    a: 'frostline train, activation cache',
    aMs: cached,
    b: 'plain model.fit, backbone frozen',
    bMs: fitMs,
    ratio: `${(fitMs / cached).toFixed(0)}x faster`,
    target: '>= 20x',
    note: `first epoch, which builds the cache (one forward pass of the frozen backbone): ${fmtMs(r.timing.epochMs[0] as number)}`,
  });
}

async function rowB(x: tf.Tensor, y: tf.Tensor): Promise<void> {
  // Interleave the two so load changes on a shared machine hit both alike: fit, train, fit, train.
  const trainMs: number[] = [];
  const fitMs: number[] = [];
  const rounds = QUICK ? 1 : 2;
  for (let round = 0; round < rounds; round++) {
    log(
      `b) round ${round + 1}/${rounds}: hand-written model.fit loop (frozen BN in inference mode), ${cfg.fitEpochs} epochs`,
    );
    const m2 = benchNet();
    freezeBackbone(m2);
    fixFrozenBatchNorm(m2);
    compileAdam(m2);
    const f = await fitEpochs(m2, x, y, cfg.fitEpochs);
    fitMs.push(...f.slice(1));
    m2.dispose();
    log(`   epochs ${f.map(fmtMs).join(', ')}`);

    log(`b) round ${round + 1}/${rounds}: frostline train, cache 'off', ${cfg.fitEpochs} epochs`);
    const m1 = benchNet();
    freezeBackbone(m1);
    const r = await train(
      m1,
      { x, y },
      {
        epochs: cfg.fitEpochs,
        batchSize: BATCH,
        optimizer: 'adam',
        learningRate: 1e-3,
        cache: 'off',
        seed: 1,
      },
    );
    trainMs.push(...r.timing.epochMs.slice(1));
    m1.dispose();
    log(`   epochs ${r.timing.epochMs.map(fmtMs).join(', ')}`);
  }
  const t = median(trainMs);
  const f = median(fitMs);
  const overhead = (t / f - 1) * 100;
  rows.push({
    id: 'b',
    what: `no cache: train() overhead per epoch (${cfg.n} ex.)`,
    a: "frostline train, cache 'off'",
    aMs: t,
    b: 'hand-written model.fit loop',
    bMs: f,
    ratio: `${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}% time`,
    target: '<= +5%',
    note: 'includes per-epoch frozen-weight verification; medians of interleaved epochs',
  });
}

/** ms of one training step with the last two blocks (+ head) unfrozen, on the active backend. */
async function stepMs(batch: number, steps: number): Promise<number> {
  const model = benchNet();
  freezeBackbone(model, lastBlocks(2));
  fixFrozenBatchNorm(model);
  compileAdam(model);
  const { x, y } = syntheticData(batch, undefined, 7);
  const warm = syntheticData(Math.min(batch, 4), undefined, 8);
  await model.trainOnBatch(warm.x, warm.y); // warm-up: kernel setup, optimizer slots
  if (batch !== warm.x.shape[0]) await model.trainOnBatch(x, y);
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t = now();
    await model.trainOnBatch(x, y);
    times.push(now() - t);
  }
  tf.dispose([x, y, warm.x, warm.y]);
  model.dispose();
  return median(times);
}

async function rowC(): Promise<number> {
  await selectBackend({ prefer: 'wasm', quiet: true });
  log(`c) last two blocks unfrozen, wasm: ${cfg.wasmSteps} steps at batch ${BATCH}`);
  const wasm = await stepMs(BATCH, cfg.wasmSteps);
  log(`   ${fmtMs(wasm)} per step`);
  await selectBackend({ prefer: 'cpu', quiet: true });
  log(`c) same on the cpu backend: 1 step at batch ${cfg.cpuBatch} (slow: plain-JS conv backprop)`);
  // The cpu step has no warm-up at full batch (it would double a minutes-long run); stepMs warms
  // up at batch 4. Per-example cost is linear in batch on cpu, so a smaller batch is scaled.
  const cpuRaw = await stepMs(cfg.cpuBatch, 1);
  const cpu = (cpuRaw * BATCH) / cfg.cpuBatch;
  log(
    `   ${fmtMs(cpuRaw)} at batch ${cfg.cpuBatch}${cfg.cpuBatch !== BATCH ? ` -> ${fmtMs(cpu)} scaled to ${BATCH}` : ''}`,
  );
  await selectBackend({ prefer: 'wasm', quiet: true });
  rows.push({
    id: 'c',
    what: `last ${2} of ${BLOCKS.length} blocks unfrozen, one step (batch ${BATCH})`,
    a: 'wasm + frostline kernels',
    aMs: wasm,
    b: 'cpu backend',
    bMs: cpu,
    ratio: `${(cpu / wasm).toFixed(1)}x faster`,
    target: '>= 10x',
    note:
      cfg.cpuBatch !== BATCH
        ? `cpu measured at batch ${cfg.cpuBatch}, 1 step, scaled x${BATCH / cfg.cpuBatch}`
        : 'cpu: 1 step at batch 32',
  });
  return wasm;
}

/** Frozen backbone + head, one step without any cache, on wasm (the tfjs number to hold against torch). */
async function frozenStepMs(steps: number): Promise<number> {
  const model = benchNet();
  freezeBackbone(model);
  fixFrozenBatchNorm(model);
  compileAdam(model);
  const { x, y } = syntheticData(BATCH, undefined, 9);
  await model.trainOnBatch(x, y);
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t = now();
    await model.trainOnBatch(x, y);
    times.push(now() - t);
  }
  tf.dispose([x, y]);
  model.dispose();
  return median(times);
}

function torchAvailable(): string | undefined {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return 'no /usr/bin/python3';
  try {
    execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'PyTorch not importable by /usr/bin/python3 (apt-get install python3-torch)';
  }
}

async function rowTorch(wasmLast2: number): Promise<void> {
  const missing = torchAvailable();
  if (missing) {
    rows.push({
      id: 'd',
      what: 'PyTorch CPU comparison',
      a: '-',
      aMs: Number.NaN,
      b: '-',
      bMs: Number.NaN,
      ratio: 'skipped',
      target: '(report)',
      note: missing,
    });
    return;
  }
  log(`d) wasm frozen-backbone step (no cache), ${cfg.wasmSteps} steps`);
  const wasmFrozen = await frozenStepMs(cfg.wasmSteps);
  log(`   ${fmtMs(wasmFrozen)} per step`);
  for (const threads of [1, 2]) {
    log(`d) PyTorch ${threads} thread(s): ${cfg.torchSteps} steps per mode`);
    const out = execFileSync(
      'nice',
      [
        '-n',
        '10',
        '/usr/bin/python3',
        join(here, 'pytorch_step.py'),
        '--batch',
        String(BATCH),
        '--steps',
        String(cfg.torchSteps),
        '--threads',
        String(threads),
      ],
      { encoding: 'utf8' },
    );
    const res = JSON.parse(out.trim().split('\n').at(-1) as string) as {
      torch: string;
      results: { last2: number; frozen: number };
    };
    log(`   torch ${res.torch}: last2 ${fmtMs(res.results.last2)}, frozen ${fmtMs(res.results.frozen)}`);
    const tag = `torch ${res.torch} CPU, ${threads} thr`;
    const vs = (tfjs: number, torch: number) =>
      tfjs <= torch
        ? `tfjs ${(torch / tfjs).toFixed(2)}x faster`
        : `torch ${(tfjs / torch).toFixed(2)}x faster`;
    rows.push({
      id: `d${threads}`,
      what: `last 2 blocks unfrozen, one step (batch ${BATCH})`,
      a: 'tfjs wasm + frostline kernels',
      aMs: wasmLast2,
      b: tag,
      bMs: res.results.last2,
      ratio: vs(wasmLast2, res.results.last2),
      target: '(report)',
      note: `tfjs/torch = ${(wasmLast2 / res.results.last2).toFixed(2)}; wasm in Node is 1 thread`,
    });
    rows.push({
      id: `e${threads}`,
      what: `frozen backbone + head, one step, no cache (batch ${BATCH})`,
      a: 'tfjs wasm, model.trainOnBatch',
      aMs: wasmFrozen,
      b: tag,
      bMs: res.results.frozen,
      ratio: vs(wasmFrozen, res.results.frozen),
      target: '(report)',
      note: `tfjs/torch = ${(wasmFrozen / res.results.frozen).toFixed(2)}; frostline's cache makes this per-epoch cost one-off (row a)`,
    });
  }
}

function printTable(): void {
  const head = ['row', 'measure', 'frostline / tfjs', 'time', 'baseline', 'time', 'ratio', 'target'];
  const body = rows.map((r) => [
    r.id,
    r.what,
    r.a,
    Number.isNaN(r.aMs) ? '-' : fmtMs(r.aMs),
    r.b,
    Number.isNaN(r.bMs) ? '-' : fmtMs(r.bMs),
    r.ratio,
    r.target,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
  out.push('');
  for (const r of rows) if (r.note) out.push(`${r.id}: ${r.note}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const t0 = now();
  const choice = await selectBackend({ prefer: 'wasm', logger: log });
  const probe = benchNet();
  log(
    `backend ${choice.name}; ${QUICK ? 'QUICK smoke run' : 'full run'}; net ${probe.countParams().toLocaleString('en-US')} params`,
  );
  probe.dispose();
  const { x, y } = syntheticData(cfg.n);
  // The first heavy wasm work in a process pays one-off costs (heap growth, XNNPACK operator setup,
  // JIT); pay them here so no row's first epoch carries them.
  const warm = benchNet();
  tf.tidy(() => warm.predict(x, { batchSize: BATCH }));
  warm.dispose();
  const only = process.env.FROSTLINE_BENCH_ROWS?.split(',');
  const want = (id: string) => !only || only.includes(id);
  if (want('a')) await rowA(x, y);
  if (want('b')) await rowB(x, y);
  let wasmLast2 = Number.NaN;
  if (want('c') || want('d')) wasmLast2 = await rowC();
  if (want('d')) await rowTorch(wasmLast2);
  tf.dispose([x, y]);
  process.stdout.write(
    `\nfrostline/tfjs bench — ${new Date().toISOString()} — ${QUICK ? 'QUICK' : 'full'} — tfjs ${tf.version.tfjs}, Node ${process.version}, ${choice.name}\n\n`,
  );
  printTable();
  log(`done in ${fmtMs(now() - t0)}`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
