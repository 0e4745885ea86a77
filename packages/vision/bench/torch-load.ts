/**
 * Loading a full-size torchvision ResNet50 `.safetensors` (25.6 M parameters, random init written by this
 * bench, ~98 MiB) with `loadBackbone({ arch: 'resnet50', weights })`: load time and peak memory (RSS) against
 * the file size, lazy (tensor by tensor from the file, what loadBackbone does with a path) vs eager (the
 * whole file read into memory first), side by side in one run, interleaved, each in a fresh process.
 *
 *   pnpm --filter @frostline/vision bench:torch          (3 rounds; FROSTLINE_BENCH_ROUNDS=n to change)
 *
 * Reports, never asserts. The load includes building the TF.js model (its own random initialisation).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type SafetensorsInput, saveSafetensors } from '@frostline/tfjs';
import { initializerFactory } from '../src/build-utils';
import { buildTorchResNet } from '../src/torch/resnet';

const ROUNDS = Number(process.env.FROSTLINE_BENCH_ROUNDS ?? 3);
const here = path.dirname(new URL(import.meta.url).pathname);
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

/** A torchvision resnet50 state_dict at random init: the key list and shapes come from the TF.js builder. */
async function writeRandomResNet50(file: string): Promise<number> {
  const { graph, model } = buildTorchResNet('resnet50', () => undefined, {
    inputSize: 32,
    includeTop: true,
    activation: 'linear',
    init: initializerFactory(undefined),
  });
  model.dispose();
  let seed = 42;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const tensors: Record<string, SafetensorsInput> = {};
  for (const b of graph.bindings) {
    const n = b.torchShape.reduce((a, c) => a * c, 1);
    const data = new Float32Array(n);
    const positive = /running_var|\.weight$/.test(b.key) && b.torchShape.length === 1;
    for (let i = 0; i < n; i++) data[i] = positive ? 1 + rand() * 0.2 : rand() * 0.05;
    tensors[b.key] = { dtype: 'F32', shape: b.torchShape, data };
  }
  for (const k of graph.buffers) tensors[k] = { dtype: 'I64', shape: [], data: Int32Array.of(0) };
  return (await saveSafetensors(file, tensors, { metadata: { format: 'pt' } })).bytes;
}

interface Result {
  mode: string;
  loadMs: number;
  forwardMs: number;
  baselineMB: number;
  peakMB: number;
  peakWithForwardMB: number;
  tfjsMB: number;
  params: number;
}

type Mode = 'lazy' | 'eager' | 'model-only';

function measure(file: string, mode: Mode): Result {
  const tsx = path.join(here, '..', '..', '..', 'node_modules', '.bin', 'tsx');
  const out = execFileSync(
    tsx,
    [
      '--tsconfig',
      path.join(here, '..', 'scripts', 'tsconfig.json'),
      path.join(here, 'torch-load-child.ts'),
      file,
      mode,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as Result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(path.join(os.tmpdir(), 'frostline-bench-torch-'));
try {
  const file = path.join(dir, 'resnet50.safetensors');
  const t0 = performance.now();
  const bytes = await writeRandomResNet50(file);
  log(
    `wrote ${file}: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const results: Record<Mode, Result[]> = { lazy: [], eager: [], 'model-only': [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order: Mode[] = ['lazy', 'eager', 'model-only'];
    for (const mode of r % 2 ? order.reverse() : order) {
      const res = measure(file, mode);
      results[mode].push(res);
      log(
        `round ${r + 1} ${mode}: load ${res.loadMs.toFixed(0)} ms, peak RSS ${res.peakMB.toFixed(0)} MiB (baseline ${res.baselineMB.toFixed(0)}), load avg ${os.loadavg()[0]!.toFixed(2)}`,
      );
    }
  }
  const fileMB = statSync(file).size / 2 ** 20;
  console.log(
    `\nResNet50 (torchvision, ${results.lazy[0]!.params.toLocaleString('en-US')} params), file ${fileMB.toFixed(1)} MiB, wasm backend, ${ROUNDS} rounds, medians`,
  );
  console.log(
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  );
  console.log(
    '| reading | load (build + read + assign) | peak RSS after load | over baseline | over baseline / file size | forward 1×224² | peak RSS with forward |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const mode of ['lazy', 'eager', 'model-only'] as const) {
    const rs = results[mode];
    const over = median(rs.map((r) => r.peakMB - r.baselineMB));
    console.log(
      `| ${mode} | ${(median(rs.map((r) => r.loadMs)) / 1000).toFixed(2)} s | ${median(rs.map((r) => r.peakMB)).toFixed(0)} MiB | ${over.toFixed(0)} MiB | ${(over / fileMB).toFixed(2)}× | ${median(rs.map((r) => r.forwardMs)).toFixed(0)} ms | ${median(rs.map((r) => r.peakWithForwardMB)).toFixed(0)} MiB |`,
    );
  }
  console.log(
    `TF.js tensor memory after load: ${results.lazy[0]!.tfjsMB.toFixed(1)} MiB (the weights themselves).`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
