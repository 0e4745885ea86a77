/**
 * The demo as a function: runs the selected parts in order, collects what report.html shows, and
 * returns every part's measured result (the smoke test asserts on these).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoOptions } from './args.js';
import { setupBackend } from './backend.js';
import { type DemoContext, firstLine, ReportCollector } from './context.js';
import { type Part1Result, runPart1 } from './part1-plans.js';
import { type Part2Result, runPart2 } from './part2-mnist.js';
import { type Part3Result, runPart3 } from './part3-mobilenet.js';
import { type Part4Result, runPart4 } from './part4-sentiment.js';
import { heading, type Logger, ms } from './print.js';
import { type WrittenReport, writeReport } from './report.js';
import { DEFAULT_SIZES, QUICK_SIZES, type Sizes } from './sizes.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export interface DemoResult {
  part1?: Part1Result;
  part2?: Part2Result;
  part3?: Part3Result;
  part4?: Part4Result;
  /** Parts that failed with an unexpected error. */
  failed: Array<{ part: number; error: string }>;
  timings: Record<number, number>;
  backend: { name: string; reason: string };
  outDir: string;
  report?: WrittenReport;
}

export function defaultOutDir(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return join(REPO_ROOT, 'runs', `demo-${stamp}`);
}

export async function runDemo(
  opts: DemoOptions,
  log: Logger = console.log,
  overrides: Partial<Sizes> = {},
): Promise<DemoResult> {
  const sizes = { ...(opts.quick ? QUICK_SIZES : DEFAULT_SIZES), ...overrides };
  const outDir = resolve(opts.out ?? defaultOutDir());
  const backend = await setupBackend(opts.backend);
  log(
    `frostline demo${opts.quick ? ' (quick)' : ''}: parts ${opts.only.join(', ')}; backend ${backend.name} (${backend.reason})`,
  );

  const report = new ReportCollector();
  const tty = log === console.log && process.stdout.isTTY === true;
  const ctx: DemoContext = { opts, sizes, log, tty, report, backend };
  const result: DemoResult = { failed: [], timings: {}, backend, outDir };
  const parts: Record<number, () => Promise<void>> = {
    1: async () => {
      result.part1 = await runPart1(ctx);
    },
    2: async () => {
      result.part2 = await runPart2(ctx);
    },
    3: async () => {
      result.part3 = await runPart3(ctx);
    },
    4: async () => {
      result.part4 = await runPart4(ctx);
    },
  };
  for (const n of opts.only) {
    const t0 = performance.now();
    try {
      await (parts[n] as () => Promise<void>)();
    } catch (err) {
      const msg = firstLine(err);
      result.failed.push({ part: n, error: msg });
      log(`\n[part ${n} failed] ${msg}`);
      if (process.env.FROSTLINE_DEBUG) log((err as Error).stack ?? '');
    }
    result.timings[n] = performance.now() - t0;
  }

  log(heading('Summary'));
  for (const n of opts.only) {
    const state = result.failed.some((f) => f.part === n) ? 'FAILED' : 'ok';
    log(`part ${n}: ${state.padEnd(8)} ${ms(result.timings[n] ?? 0)}`);
  }
  result.report = await writeReport(outDir, 'frostline demo', report, {
    parts: opts.only,
    quick: opts.quick,
    seed: opts.seed,
    backend: `${backend.name} (${backend.reason})`,
    sizes: JSON.stringify(sizes),
    timingsMs: result.timings,
    node: process.version,
    date: new Date().toISOString(),
  });
  log(`\nreport: ${result.report.path}`);
  return result;
}
